"""Stable identifiers and URLs: the show's podcast:guid, episode GUIDs, storage keys and the
public URL of each."""

from __future__ import annotations

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from podcast.core.errors import StorageError
from podcast.core.text import url_join
from podcast.project.config import Config

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcasting 2.0 spec
# A storage key: path segments that start with a letter or digit (no dotfiles, no "..").
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


LOCAL_HOSTS = frozenset(["localhost", "localhost.localdomain", "ip6-localhost"])
PREVIEW_PORTS = (8000,)  # podcast serve's default: the old `podcast init` derived every GUID from it


def is_public(url: str) -> bool:
    """Whether listeners outside this machine and network could fetch `url` (not loopback, a
    private address range, or a .local name)."""
    host = (urlsplit(url).hostname or "").lower()
    if not host or host in LOCAL_HOSTS or host.endswith((".local", ".localhost", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host  # a bare name ("nas") only resolves on a local network
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified)


def guid_from_feed_url(feed_url: str) -> str:
    """The Podcasting 2.0 rule: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def show_guid(config: Config) -> str:
    """The show's podcast:guid: config.show.guid when set; else, for a public feed, the
    Podcasting 2.0 rule on its URL; else (a local preview) one unique to this project, so two
    shows previewed on the same address never share a GUID (nor, through it, episode GUIDs)."""
    if config.show.guid:
        return config.show.guid
    if is_public(config.show.base_url):
        return guid_from_feed_url(config.feed_url)
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, f"local-preview:{config.root.resolve()}"))


def preview_guids(config: Config) -> set[str]:
    """GUIDs derived from a local preview address: never a public show's identity."""
    ports = {*PREVIEW_PORTS, config.serve.port}
    urls = {f"http://{host}:{port}/feed.xml" for host in ("127.0.0.1", "localhost") for port in ports}
    if not is_public(config.show.base_url):
        urls.add(config.feed_url)
    found = {guid_from_feed_url(url) for url in urls}
    found.add(str(uuid.uuid5(PODCAST_GUID_NAMESPACE, f"local-preview:{config.root.resolve()}")))
    return found


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


LIGHT_ROLE = "audio.light"  # the lighter rendition's role among an episode's published objects


def media_key(slug: str, role: str, digest: str, suffix: str) -> str:
    """Content-addressed key: a key never changes meaning once published. The audio is named
    after the episode (SLUG-HASH.mp3, SLUG-light-HASH.ogg): the name a listener's download keeps."""
    stem = {"audio": slug, LIGHT_ROLE: f"{slug}-light"}.get(role, role.replace(".", "-"))
    return f"episodes/{slug}/{stem}-{digest[:12]}{key_suffix(suffix)}"


def key_suffix(suffix: str) -> str:
    """A file's extension as published: lower case, and .jpg for .jpeg (apps and feedgen expect
    artwork URLs to end in .jpg or .png)."""
    suffix = suffix.lower()
    return ".jpg" if suffix == ".jpeg" else suffix


def check_key(key: str) -> str:
    """`key`, when it is a safe storage key (nothing can escape the storage root)."""
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise StorageError(f"refusing unsafe storage key {key!r}")
    return key


def public_url(config: Config, key: str) -> str:
    """Where listeners fetch the object stored under `key`."""
    return url_join(config.show.base_url, key)


def enclosure_url(config: Config, key: str) -> str:
    """The audio URL the feed gives apps: the public URL, behind the analytics prefix when one
    is set ([stats] prefix: OP3, Podtrac...), which counts the request and redirects to it.
    An https URL goes after the prefix without its scheme (the services' convention); an http
    one keeps it. The episode's GUID never depends on this URL."""
    url = public_url(config, key)
    prefix = config.stats.prefix
    if not prefix:
        return url
    return prefix + (url.removeprefix("https://") if url.startswith("https://") else url)
