"""Identifiers, storage keys and content types."""

from __future__ import annotations

import pytest

from podcast.core.errors import StorageError
from podcast.edges import storage
from podcast.project import ids


def test_storage_keys_cannot_escape() -> None:
    for key in ("../x", "a/../../b", "/etc/passwd", "a//b", ".hidden", "a/.."):
        with pytest.raises(StorageError):
            ids.check_key(key)
    assert ids.check_key("episodes/ep-1/ep-1-abc.mp3")
    assert storage.content_type("x.mp3") == "audio/mpeg"
    assert storage.content_type("x.vtt") == "text/vtt"
    assert storage.content_type("feed.xml") == "application/rss+xml"
