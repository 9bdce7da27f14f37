"""Time codes: parsing what producers type, formatting what listeners read."""

from __future__ import annotations

import pytest

from podcast.core import timecode


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("1500.5", 1500.5), ("01:30", 90.0), ("00:12:03.5", 723.5), ("1:00:00", 3600.0)]
)
def test_parse_time(text: str, seconds: float) -> None:
    assert timecode.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "1:75", "abc", "1:2:3:4", "-5"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        timecode.parse(text)
