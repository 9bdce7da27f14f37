"""Stable identifiers and URLs: the show's podcast:guid, episode GUIDs, storage keys and the
public URL of each."""

from __future__ import annotations

import re
import uuid

from .config import Config, url_join
from .errors import StorageError

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcasting 2.0 spec
# A storage key: path segments that start with a letter or digit (no dotfiles, no "..").
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def show_guid(config: Config) -> str:
    """config.show.guid, or the UUIDv5 of the feed URL without its scheme (the spec's rule)."""
    if config.show.guid:
        return config.show.guid
    bare = config.feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def episode_guid(config: Config, slug: str, explicit: str = "") -> str:
    """A GUID that never changes once published: derived from the show's GUID and the slug."""
    if explicit:
        return explicit
    try:
        namespace = uuid.UUID(show_guid(config))
    except ValueError:
        namespace = uuid.uuid5(PODCAST_GUID_NAMESPACE, show_guid(config))
    return str(uuid.uuid5(namespace, slug))


def episode_page_url(config: Config, slug: str) -> str:
    """The episode's web page: index.html spelled out, so any bucket serves it without a
    website configuration."""
    return url_join(config.show.base_url, "episodes", slug, "index.html")


def media_key(slug: str, role: str, digest: str, suffix: str) -> str:
    """Content-addressed key: a key never changes meaning once published."""
    stem = slug if role == "audio" else role.replace(".", "-")
    return f"episodes/{slug}/{stem}-{digest[:12]}{suffix.lower()}"


def check_key(key: str) -> str:
    """`key`, when it is a safe storage key (nothing can escape the storage root)."""
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise StorageError(f"refusing unsafe storage key {key!r}")
    return key


def public_url(config: Config, key: str) -> str:
    """Where listeners fetch the object stored under `key`."""
    return url_join(config.show.base_url, key)
