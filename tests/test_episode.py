"""An episode: where its files are, what it declares, and the checks made before any stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcast.core.errors import EpisodeError, RecordingMissing, UnsafePath
from podcast.domain.markers import MarkerError
from podcast.project import episode as episodes
from podcast.project.config import load_config

from .conftest import add_episode, edit


def load(project: Path, slug: str = "ep") -> episodes.Episode:
    return episodes.load(load_config(project), slug)


def declare(folder: Path, text: str) -> None:
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def test_build_files_live_in_build_never_in_the_episode_folder(project: Path) -> None:
    add_episode(project, "ep", None)
    ep = load(project)
    for path in (ep.processed_audio, ep.tagged_audio, ep.edit_list_path, ep.chapters_path, ep.state_path):
        assert path.parent == project / "build" / "ep"
    assert ep.tagged_audio.name == "ep.mp3" and ep.own_transcript == project / "episodes" / "ep" / "transcript.vtt"


def test_a_missing_recording_is_said_as_such(project: Path) -> None:
    add_episode(project, "ep", None, source='"absent.wav"')
    with pytest.raises(RecordingMissing, match=r"recording not found: absent\.wav"):
        load(project).require_sources()


def test_a_file_linked_out_of_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", None)
    outside = tmp_path / "secret.txt"
    outside.write_text("00:00:01 Fuite\n")
    (folder / "notes.md").unlink()
    (folder / "notes.md").symlink_to(outside)
    with pytest.raises(UnsafePath):
        _ = load(project).notes


def test_the_glossary_is_the_shows_then_the_guests_without_repeats(project: Path) -> None:
    edit(project / "config.toml", "glossary = []", 'glossary = ["ATD Quart Monde", "Isabelle Bouyer"]')
    folder = add_episode(project, "ep", None)
    declare(folder, '[[guests]]\nname = "Isabelle Bouyer"\n\n[[guests]]\nname = "Karim"')
    assert load(project).glossary == ["ATD Quart Monde", "Isabelle Bouyer", "Karim"]


def test_tracks_are_named_from_speakers_then_hosts_and_guests(project: Path) -> None:
    folder = add_episode(project, "ep", None)
    declare(folder, '[[guests]]\nname = "Invitée"')
    assert load(project).track_names(3) == ["Invitée", "Voix 2", "Voix 3"]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ('[[chapters]]\nstart = "00:00:05"\ntitle = "Dans la coupe"', "chapter 'Dans la coupe'"),
        ('[[chapters]]\nstart = "00:01:00"\ntitle = "Trop tard"', "Trop tard"),
        ('[[soundbites]]\nstart = "00:00:55"\nduration = 10.0\ntitle = "Extrait"', "ends after the recording"),
        ('[[soundbites]]\nstart = "00:00:04.5"\nduration = 1.0\ntitle = "Coupé"', "inside a cut"),
        ('[[soundbites]]\nstart = "quatre"\nduration = 1.0\ntitle = "Illisible"', "soundbite at quatre"),
    ],
)
def test_what_the_producer_declared_is_checked_against_the_recording(
    project: Path, declared: str, message: str
) -> None:
    folder = add_episode(project, "ep", None)
    edit(folder / "episode.toml", "cuts = []", 'cuts = ["00:00:04-00:00:06"]')
    declare(folder, declared)
    with pytest.raises(EpisodeError, match=message):
        load(project).check_declared(60.0)


def test_a_cut_past_the_end_and_overlapping_marker_regions_are_found_before_processing(project: Path) -> None:
    folder = add_episode(project, "ep", None)
    edit(folder / "episode.toml", "cuts = []", 'cuts = ["00:00:50-00:01:10"]')
    with pytest.raises(EpisodeError, match="goes past the end"):
        load(project).check_declared(60.0)
    edit(folder / "episode.toml", 'cuts = ["00:00:50-00:01:10"]', "cuts = []")
    (folder / "markers.txt").write_text("1.0\t3.0\ttoux\n2.0\t4.0\trire\n")
    with pytest.raises(MarkerError, match="overlap"):
        load(project).check_declared(60.0)


def test_chapters_from_markers_and_notes_pass_when_they_fit(project: Path) -> None:
    folder = add_episode(project, "ep", None)
    (folder / "notes.md").write_text("00:00:00 Accueil\n00:00:10 Suite\n")
    load(project).check_declared(60.0)
    (folder / "markers.txt").write_text("20.0\t20.0\tDepuis les marqueurs\n")
    ep = load(project)
    assert [c.title for c in ep.marked_chapters()] == ["Depuis les marqueurs"]
    ep.check_declared(60.0)
