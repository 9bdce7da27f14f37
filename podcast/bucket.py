"""S3 bucket operations beyond publishing: private preview links and public access.

`podcast share` and `podcast bucket-policy` live here; the boto3 calls themselves are in
`storage.py`, the only module that uses boto3.
"""

from __future__ import annotations

import re
from typing import Any

from . import episode as episodes
from . import storage
from .config import Config
from .errors import PodcastError


def parse_duration(text: str) -> int:
    """'7d', '12h', '30m', '3600' → seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise PodcastError(f"--expires {text!r}: use e.g. 7d, 12h, 30m or a number of seconds")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _s3(config: Config, command: str) -> storage.S3Storage:
    store = storage.open_storage(config)
    if not isinstance(store, storage.S3Storage):
        raise PodcastError(f'{command} needs S3 storage (storage.kind = "s3"); local files are shared by URL')
    return store


def share(config: Config, slug: str, seconds: int) -> str:
    """A presigned (SigV4) link to the episode's published audio, for a private preview."""
    if not 1 <= seconds <= 7 * 86400:
        raise PodcastError("--expires: SigV4 links last from 1 second to 7 days")
    store = _s3(config, "share")
    audio = episodes.load(config, slug).publication().audio
    if audio is None:
        raise PodcastError(f"{slug} is not published yet (run `podcast publish {slug}`)")
    return store.presign(audio.key, seconds)


def public_read_policy(config: Config) -> dict[str, Any]:
    return _s3(config, "bucket-policy").public_read_policy()


def apply_public_read_policy(config: Config) -> str:
    store = _s3(config, "bucket-policy")
    store.apply_public_read_policy()
    return f"public-read policy set on {store.describe()}"
