"""Storage backends: where published files go, laid out exactly as listeners fetch them.

The local folder (`public/` by default) is the embedded backend; S3-compatible storage
plugs in behind the same interface. Keys are checked so nothing escapes the storage root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import fsutil
from .config import Config, url_join
from .errors import StorageError

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def check_key(key: str) -> str:
    if not _KEY_RE.match(key) or ".." in key.split("/"):
        raise StorageError(f"refusing unsafe storage key {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str = ""


class Storage(Protocol):
    def put_file(self, key: str, path: Path) -> None: ...
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def delete(self, key: str) -> None: ...
    def describe(self) -> str: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path) -> None:
        try:
            fsutil.copy_file(path, self._path(key))
        except OSError as exc:
            raise StorageError(f"cannot write {self._path(key)}: {exc.strerror or exc}") from None

    def put_bytes(self, key: str, data: bytes) -> None:
        try:
            fsutil.write_bytes(self._path(key), data)
        except OSError as exc:
            raise StorageError(f"cannot write {self._path(key)}: {exc.strerror or exc}") from None

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return ObjectInfo(path.stat().st_size, content_type(key)) if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def describe(self) -> str:
        return str(self.root)


def open_storage(config: Config) -> Storage:
    return LocalStorage(config.public_dir)


def public_url(config: Config, key: str) -> str:
    return url_join(config.show.base_url, key)
