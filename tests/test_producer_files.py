"""The one reader and writer of the producer's files: comments and layout kept, values escaped."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from podcast.core.errors import ConfigError
from podcast.project import producer_files

EPISODE = """\
# Mon entretien, relu par Anne
title = "Ancien titre"   # le titre affiché
number = 3

[edit]
cuts = ["00:01-00:02"]   # la toux
"""


def test_setting_a_key_keeps_every_comment_and_the_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text(EPISODE, encoding="utf-8")
    with producer_files.edit(path) as document:
        document.set("title", "Nouveau titre")
    text = path.read_text(encoding="utf-8")
    assert text == EPISODE.replace('"Ancien titre"', '"Nouveau titre"')


def test_a_table_added_lands_after_what_the_producer_wrote(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text(EPISODE, encoding="utf-8")
    with producer_files.edit(path) as document:
        document.append("chapters", {"start": "00:04:10", "title": "Territoires", "url": ""})
    text = path.read_text(encoding="utf-8")
    assert text.startswith(EPISODE)
    assert tomllib.loads(text)["chapters"] == [{"start": "00:04:10", "title": "Territoires"}]


def test_nothing_is_written_when_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text(EPISODE, encoding="utf-8")
    before = path.stat().st_mtime_ns
    with producer_files.edit(path) as document:
        document.set("number", 3)
    assert path.stat().st_mtime_ns == before and not document.changed


@pytest.mark.parametrize(
    "hostile",
    ['"\nsource = "/etc/passwd', "a'''b", 'x"""\n[edit]\ncuts=[]', "\\u0000", "line\r\nbreak", "#"],
)
def test_any_text_reads_back_as_the_same_text(hostile: str) -> None:
    document = producer_files.new_episode()
    document.set("title", hostile)
    data = tomllib.loads(document.text())
    assert data["title"] == hostile and data["source"] == "enregistrement.wav"


def test_an_edit_refuses_to_overwrite_a_file_saved_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text(EPISODE, encoding="utf-8")
    with (
        pytest.raises(ConfigError, match="changed while podcast was editing it"),
        producer_files.edit(path) as document,
    ):
        document.set("title", "Mien")
        path.write_text(EPISODE + "season = 2\n", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == EPISODE + "season = 2\n"


def test_a_new_file_never_replaces_one(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text(EPISODE, encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        producer_files.write_new(path, producer_files.new_episode())
    assert path.read_text(encoding="utf-8") == EPISODE


def test_the_templates_are_valid_and_dates_are_toml_dates() -> None:
    config = tomllib.loads(producer_files.new_config().text())
    assert config["show"]["title"] and config["storage"]["kind"] == "local"
    document = producer_files.new_episode()
    document.set("date", dt.datetime(2024, 5, 1, 10, 0))
    assert tomllib.loads(document.text())["date"] == dt.datetime(2024, 5, 1, 10, 0)
    assert "# publication date" in document.text()


def test_a_bad_file_is_one_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "episode.toml"
    path.write_text('title = "x"\ntitle = "y"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 2"):
        producer_files.read(path)
