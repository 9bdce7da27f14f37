"""Each stage's contract: `prepare` reads cheaply what a run needs into a job whose fingerprint
holds what the output depends on (never where the project lives), and hands nothing twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podcast import pipeline
from podcast.core.errors import EpisodeError
from podcast.project.config import load_config
from podcast.stages import Context, Processed, Tagged, Upstream, job_key
from podcast.stages.process import ProcessStage
from podcast.stages.tag import TagStage
from podcast.stages.transcribe import TranscribeStage
from podcast.stages.upload import UploadStage

from .conftest import Run, add_episode, edit, make_tone


def context(project: Path, slug: str = "ep", **overrides: str) -> Context:
    return pipeline.make_context(load_config(project, overrides), slug, pipeline.Options())


@pytest.fixture
def episode(project: Path, tmp_path: Path) -> Path:
    return add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=3))


def test_a_process_job_does_not_depend_on_where_the_project_lives(project: Path, episode: Path) -> None:
    here = job_key(ProcessStage().prepare(context(project)))
    moved = project.parent / "moved"
    shutil.copytree(project, moved)
    assert job_key(ProcessStage().prepare(context(moved))) == here
    louder = job_key(ProcessStage().prepare(context(project, **{"audio.loudness": "-14"})))
    assert louder != here


def test_a_process_job_holds_the_recordings_and_the_editors_decisions(project: Path, episode: Path) -> None:
    (episode / "labels.txt").write_text("0.5\t1.0\tcough\n2.0\t2.0\tChapitre\n")
    edit(episode / "episode.toml", "cuts = []", 'cuts = []\nmarkers = "labels.txt"')
    job = ProcessStage().prepare(context(project))
    assert not job.as_is and len(job.sources) == 1 and job.inputs.sources[0].name == "t.wav"
    assert [m.title for m in job.inputs.markers] == ["cough", "Chapitre"]
    assert job.files[3] is not None  # the markers file's hash: editing it re-runs the stage


def test_transcription_off_means_no_job_and_a_title_never_re_transcribes(project: Path, episode: Path) -> None:
    assert TranscribeStage().prepare(context(project)) is None
    with pytest.raises(EpisodeError, match="run `podcast process` first"):
        TranscribeStage().prepare(context(project, **{"transcribe.enabled": "true"}))


def test_the_producers_transcript_is_the_job_even_with_transcription_off(project: Path, episode: Path) -> None:
    (episode / "transcript.vtt").write_text("WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nBonjour.\n")
    job = TranscribeStage().prepare(context(project))
    assert job is not None and job.own and not job.whisper
    edit(episode / "episode.toml", 'title = "Épisode ep"', 'title = "Autre titre"')
    retitled = TranscribeStage().prepare(context(project))
    assert retitled is not None and retitled.own == job.own and job_key(retitled) != job_key(job)


def test_tag_needs_the_processed_audio_and_takes_its_duration_from_upstream(
    project: Path, episode: Path, run: Run
) -> None:
    with pytest.raises(EpisodeError, match="no processed audio yet"):
        TagStage().prepare(context(project))
    assert run("process", "ep").exit_code == 0
    (episode / "notes.md").write_text("00:00:00 Accueil\n00:00:01 Suite\n")
    ctx = context(project)
    assert isinstance(ctx.upstream.processed, Processed) and ctx.upstream.processed.duration > 2.5
    job = TagStage().prepare(ctx)
    assert [c.title for c in job.chapters] == ["Accueil", "Suite"] and job.origin == "notes.md"
    assert job.chapters[-1].end == pytest.approx(ctx.upstream.processed.duration, abs=0.01)
    assert "chapter 00:00:01.000 Suite (from notes.md)" in TagStage().describe(ctx, job)


def test_upload_lists_the_audio_first_under_content_addressed_keys(project: Path, episode: Path, run: Run) -> None:
    assert run("process", "ep").exit_code == 0 and run("tag", "ep").exit_code == 0
    ctx = context(project)
    assert ctx.upstream.tagged == Tagged(0)
    job = UploadStage().prepare(ctx)
    assert job.files[0].role == "audio" and job.files[0].key.startswith("episodes/ep/ep-")
    assert job.duration == ctx.upstream.processed.duration  # type: ignore[union-attr]
    assert job_key(job)["files"][0] == {"role": "audio", "key": job.files[0].key, "size": job.files[0].size}


def test_upload_refuses_a_transcript_nobody_reviewed_when_asked(project: Path, episode: Path, run: Run) -> None:
    assert run("process", "ep").exit_code == 0 and run("tag", "ep").exit_code == 0
    ctx = context(project, **{"transcribe.enabled": "true", "transcribe.require_review": "true"})
    with pytest.raises(EpisodeError, match="the transcript is not reviewed"):
        UploadStage().prepare(ctx)


def test_upstream_is_read_from_the_state_not_recomputed(project: Path, episode: Path, run: Run) -> None:
    assert Upstream.read(context(project).state) == Upstream()
    assert run("process", "ep").exit_code == 0
    upstream = Upstream.read(context(project).state)
    assert upstream.processed is not None and upstream.tagged is None
