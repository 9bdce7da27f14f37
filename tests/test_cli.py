"""The CLI surface: help everywhere, scaffolding, and every bad input of the foundation issue."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from podcast.cli import cli
from podcast.project.config import Audio, Notify, Serve, Show, StorageSettings, Transcribe

from .conftest import Run, add_episode, make_tone


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, subcommands of groups (artwork check, ...) included."""
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help_with_an_example() -> None:
    names = {path[0] for path in all_commands()}
    assert {"init", "new", "status", "publish", "process", "transcribe", "tag", "upload", "feed"} <= names
    assert ("artwork", "check") in all_commands() and ("artwork", "fix") in all_commands()
    top = CliRunner().invoke(cli, ["--help"])
    assert top.exit_code == 0 and "Examples:" in top.output
    for path in all_commands():
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"{' '.join(path)} --help has no example"


def test_init_documents_every_config_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "p" / "config.toml").read_text()
    for section, cls in {
        "show": Show,
        "storage": StorageSettings,
        "audio": Audio,
        "transcribe": Transcribe,
        "serve": Serve,
        "notify": Notify,
    }.items():
        assert f"[{section}]" in text
        for name in (f.name for f in dataclasses.fields(cls)):
            # a key with no default (a decision left to the producer) is documented commented out
            documented = (f"\n{name} = ", f"\n# {name} = ", f"[{section}.{name}]", f"[[{section}.{name}]]")
            assert any(d in text for d in documented), f"{section}.{name} is not documented in the scaffold"
    again = CliRunner().invoke(cli, ["init", str(tmp_path / "p")])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_new_copies_the_recording_and_never_touches_the_original(project: Path, run: Run, tmp_path: Path) -> None:
    source = make_tone(tmp_path / "raw.wav")
    before = source.read_bytes()
    result = run("new", "ep-1", "--title", "Un titre « accentué » & co", "--source", str(source))
    assert result.exit_code == 0, result.output
    folder = project / "episodes" / "ep-1"
    assert (folder / "raw.wav").read_bytes() == before
    assert (folder / "notes.md").is_file()
    assert 'title = "Un titre « accentué » & co"' in (folder / "episode.toml").read_text()
    assert source.read_bytes() == before


@pytest.mark.parametrize("slug", ["../escape", "a/b", "..", "Upper", "with space", "trail-", ""])
def test_bad_slugs_are_refused_and_nothing_is_written(project: Path, run: Run, slug: str) -> None:
    before = sorted(p.name for p in (project / "episodes").iterdir())
    result = run("new", slug, "--title", "x")
    assert result.exit_code != 0
    assert "invalid episode slug" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (project / "episodes").iterdir()) == before
    assert not (project.parent / "escape").exists()
    published = run("publish", slug)
    assert published.exit_code != 0


@pytest.mark.parametrize("kind", ["text", "empty", "missing"])
def test_new_refuses_bad_recordings(project: Path, run: Run, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "rec.wav"
    if kind == "text":
        path.write_text("this is not audio")
    elif kind == "empty":
        path.write_bytes(b"")
    result = run("new", "ep-bad", "--title", "x", "--source", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --source")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (project / "episodes" / "ep-bad").exists()


def test_missing_config_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PODCAST_PROJECT", raising=False)
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 1
    assert "no config.toml" in result.stderr and "podcast init" in result.stderr
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "status"])
    assert result.exit_code == 1 and "config.toml: not found" in result.stderr


def test_project_is_found_from_a_subfolder_and_from_the_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "episodes")
    monkeypatch.delenv("PODCAST_PROJECT", raising=False)
    assert CliRunner().invoke(cli, ["status"]).exit_code == 0
    monkeypatch.chdir(project.parent)
    monkeypatch.setenv("PODCAST_PROJECT", str(project))
    assert CliRunner().invoke(cli, ["status"]).exit_code == 0


def test_episode_folder_without_episode_toml(project: Path, run: Run) -> None:
    (project / "episodes" / "orphan").mkdir()
    result = run("publish", "orphan")
    assert result.exit_code == 1
    assert "episode.toml: not found" in result.stderr
    status = run("status")
    assert "orphan" in status.output and "episode.toml: not found" in status.output


def test_missing_recording_is_reported_plainly(project: Path, run: Run) -> None:
    add_episode(project, "no-audio", None, source='"interview.wav"')
    status = run("status")
    assert "no recording" in status.output and "recording not found: interview.wav" in status.output
    named = run("publish", "no-audio")
    assert named.exit_code == 1 and "recording not found: interview.wav" in named.stderr
    everything = run("publish", "--all")
    assert everything.exit_code == 0, everything.output
    assert "no-audio: skipped: recording not found: interview.wav" in everything.output


def test_ffmpeg_missing_gives_an_install_hint(
    project: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "t.wav"))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run("process", "ep")
    assert result.exit_code == 1
    assert "ffprobe not found on PATH" in result.stderr or "ffmpeg not found on PATH" in result.stderr
    assert "apt-get install ffmpeg" in result.stderr
    assert not (project / "build" / "ep" / "audio.mp3").exists()
    monkeypatch.setenv("PATH", os.defpath)


def test_usage_errors(run: Run) -> None:
    assert run("publish").exit_code == 2
    assert run("publish", "a", "--all").exit_code == 2
    assert run("--set", "nonsense", "status").exit_code == 2


def test_dry_run_writes_nothing_and_verbose_shows_ffmpeg(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=3))
    dry = run("publish", "ep", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "ep: process: would run (never run)" in dry.output
    assert "encode: MP3 44100 Hz mono 96 kbps CBR" in dry.output
    assert "would publish feed.xml" in dry.output
    assert not (project / "build").exists() and not (project / "public").exists()
    verbose = run("-v", "process", "ep")
    assert verbose.exit_code == 0
    assert "$ " in verbose.stderr and "ffmpeg -hide_banner" in verbose.stderr and "ebur128=peak=true" in verbose.stderr


def test_doctor_reports_what_to_fix(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", None, source='"absent.wav"')
    result = run("doctor", "--no-model")
    assert "ok    ffmpeg: ffmpeg version" in result.output
    assert "ok    config:" in result.output
    assert "warn  episode ep: recording not found: absent.wav" in result.output
    assert result.exit_code == 0
    broken = run(
        "--set", "transcribe.enabled=true", "--set", "transcribe.model=/nonexistent/model", "doctor", "--no-model"
    )
    assert broken.exit_code == 1
    assert "FAIL  whisper model: model folder not found: /nonexistent/model" in broken.output


def test_ctrl_c_during_processing_leaves_the_previous_output(project: Path, run: Run, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=3))
    assert run("process", "ep").exit_code == 0
    audio = project / "build" / "ep" / "audio.mp3"
    before = audio.read_bytes()
    long = make_tone(tmp_path / "long.wav", seconds=1800, channels=2)
    (project / "episodes" / "ep" / "t.wav").unlink()
    long.rename(project / "episodes" / "ep" / "t.wav")
    proc = subprocess.Popen(
        [sys.executable, "-m", "podcast", "--project", str(project), "process", "ep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert audio.read_bytes() == before
    assert [p.name for p in audio.parent.iterdir() if p.name.startswith(".")] == []
    time.sleep(0.5)
    orphans = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(project).encode() in cmdline.read_bytes():
                orphans.append(cmdline)
        except OSError:
            pass
    assert orphans == [], "ffmpeg kept running after Ctrl-C"


def test_a_reader_that_goes_away_ends_the_command_quietly(project: Path) -> None:
    """`podcast move --to URL | head -1`: no traceback, no 'internal error' when the pipe closes."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "podcast", "--project", str(project), "move", "--to", "https://x.example/f.xml"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 1 and done.stderr == ""
