"""The show's identity (#15): GUIDs never shared between shows, fixed before the first public
publication, never changed after it; checked by parsing what was published."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from podcast.cli import cli
from podcast.project.ids import PODCAST_GUID_NAMESPACE

from .conftest import Run, add_episode, edit, make_tone

PODCAST = "{https://podcastindex.org/namespace/1.0}"
PUBLIC = "https://media.example.org/podcast"
LEGACY = "83592e4d-9d26-5dd7-bc60-9d742a8bfb85"  # what every project made by the old `podcast init` had


def feed_guids(project: Path) -> tuple[str, list[str]]:
    root = etree.parse(str(project / "public" / "feed.xml"))
    return root.findtext(f"channel/{PODCAST}guid") or "", [g.text or "" for g in root.iter("guid")]


def go_public(project: Path) -> str:
    """Serve the show from a public address; returns the GUID the Podcasting 2.0 rule gives it."""
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{PUBLIC}"')
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, f"{PUBLIC.split('://')[1]}/feed.xml"))


def test_two_new_shows_never_share_a_guid(tmp_path: Path, artwork: Path) -> None:
    projects = []
    for name in ("a", "b"):
        root = tmp_path / name
        result = CliRunner().invoke(cli, ["init", str(root), "--title", "Même titre", "--no-input"])
        assert result.exit_code == 0, result.output
        add_episode(root, "ep-1", make_tone(tmp_path / f"{name}.wav", seconds=2))
        assert CliRunner().invoke(cli, ["--project", str(root), "publish", "--all"]).exit_code == 0
        projects.append(feed_guids(root))
    (show_a, items_a), (show_b, items_b) = projects
    assert show_a != show_b and LEGACY not in (show_a, show_b)
    assert set(items_a).isdisjoint(items_b)


def test_a_public_feed_needs_its_guid_fixed_first(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    rule = go_public(project)
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert f'add guid = "{rule}" to [show] of config.toml' in result.stderr
    assert not (project / "public" / "feed.xml").exists()
    edit(project / "config.toml", 'guid = ""', f'guid = "{rule}"')
    assert run("publish", "ep").exit_code == 0
    assert feed_guids(project)[0] == rule


def test_a_guid_from_the_preview_address_is_refused_for_a_public_feed(project: Path, run: Run) -> None:
    rule = go_public(project)
    edit(project / "config.toml", 'guid = ""', f'guid = "{LEGACY}"')
    result = run("check")
    assert result.exit_code == 1
    assert f"{LEGACY} comes from a local preview address" in result.stderr and rule in result.stderr


def test_a_published_guid_never_changes(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    rule = go_public(project)
    edit(project / "config.toml", 'guid = ""', f'guid = "{rule}"')
    assert run("publish", "ep").exit_code == 0
    show, (item,) = feed_guids(project)

    edit(folder / "episode.toml", "draft = false", 'draft = false\nguid = "new-guid"')
    refused = run("publish", "ep")
    assert refused.exit_code == 1 and f"changed from {item} to new-guid" in refused.stderr
    assert feed_guids(project) == (show, [item])
    assert run("--force", "publish", "ep").exit_code == 0  # forced through...
    assert f"changed from {item} to new-guid" in run("check").stderr  # ...it keeps failing

    edit(project / "config.toml", f'guid = "{rule}"', f'guid = "{uuid.uuid4()}"')
    assert f"changed from {show}" in run("check").stderr


def test_the_live_feed_is_the_reference_when_build_is_wiped(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    rule = go_public(project)
    edit(project / "config.toml", 'guid = ""', f'guid = "{rule}"')
    assert run("publish", "ep").exit_code == 0
    shutil.rmtree(project / "build")
    other = str(uuid.uuid4())
    edit(project / "config.toml", f'guid = "{rule}"', f'guid = "{other}"')
    result = run("check")
    assert result.exit_code == 1 and f"the published feed has {rule}" in result.stderr
