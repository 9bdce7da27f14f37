"""Configuration is validated eagerly: errors name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcast.core.errors import ConfigError
from podcast.project.config import load_config, load_episode

from .conftest import Run, add_episode, edit, make_tone


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[audio]\n", "[audio]\nbitrat = 96\n", "unknown key 'audio.bitrat' (did you mean 'audio.bitrate'?)"),
        ("loudness = -16.0", 'loudness = "loud"', "'audio.loudness' must be a number"),
        ("channels = 1", "channels = 6", "'audio.channels' must be one of 1, 2"),
        ("enabled = false", "enabled = 1", "'transcribe.enabled' must be true or false"),
        ("[storage]\n", '[storage]\naws_secret_access_key = "abc"\n', "looks like a credential"),
        ('title = "Essai & Cie"', 'title = "unterminated', "invalid TOML"),
        ('artwork = "cover.jpg"', 'artwork = "nope.jpg"', "show.artwork: file not found"),
        (
            'base_url = "http://127.0.0.1:8000"',
            'base_url = "ftp://x"',
            "'show.base_url' must be an http:// or https:// address",
        ),
    ],
)
def test_bad_config_fails_before_any_work(project: Path, run: Run, old: str, new: str, message: str) -> None:
    edit(project / "config.toml", old, new)
    result = run("status")
    assert result.exit_code == 1
    assert str(project / "config.toml") in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / "build").exists()


def test_overrides_win_over_the_file(project: Path) -> None:
    config = load_config(project, {"audio.loudness": "-19", "show.title": "Autre"})
    assert config.audio.loudness == -19.0
    assert config.show.title == "Autre"
    with pytest.raises(ConfigError, match=r"unknown key 'audio\.nope'"):
        load_config(project, {"audio.nope": "1"})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("date = 2024-13-45", "invalid TOML"),
        ('date = "le 3 mai"', "'date' is not a date"),
        ('number = "deux"', "'number' must be a whole number"),
        ('source = "../../etc/passwd"', "must be a file name inside the episode folder"),
        ('colour = "blue"', "unknown key 'colour'"),
    ],
)
def test_bad_episode_toml(project: Path, run: Run, tmp_path: Path, line: str, message: str) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=2))
    toml = folder / "episode.toml"
    key = line.split("=")[0].strip()
    lines = [ln for ln in toml.read_text().splitlines() if not ln.startswith(f"{key} =")]
    toml.write_text("\n".join([lines[0], line, *lines[1:]]) + "\n")
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert str(toml) in result.stderr and message in result.stderr


def test_dates_get_the_show_time_zone(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    toml = tmp_path / "episode.toml"
    toml.write_text('title = "t"\ndate = 2024-05-14\nsource = "a.wav"\n')
    meta = load_episode(toml, ZoneInfo("Europe/Paris"))
    assert meta.date is not None and meta.date.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert meta.source == ("a.wav",)
