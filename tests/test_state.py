"""The state file: what each stage produced, typed results read back, old records still read."""

from __future__ import annotations

import json
import os
from pathlib import Path

from podcast.project.episode import Publication, PublishedObject
from podcast.project.state import State
from podcast.stages import Processed, Tagged, Transcribed


def test_a_result_is_stored_and_read_back_as_its_type(tmp_path: Path) -> None:
    state = State(tmp_path / "state.json")
    state.record_done("process", "f1", {"audio.mp3": "abc"}, Processed(61.4, {"integrated": -16.0}, 1))
    again = State(tmp_path / "state.json")
    assert again.result("process", Processed) == Processed(61.4, {"integrated": -16.0}, 1)
    assert again.result("tag", Tagged) is None
    assert again.get("process") is not None and again.get("process").fingerprint == "f1"  # type: ignore[union-attr]


def test_a_failure_keeps_the_last_good_result(tmp_path: Path) -> None:
    state = State(tmp_path / "state.json")
    audio = PublishedObject("episodes/ep/ep-0123456789ab.mp3", 1000, "audio/mpeg", 12.5)
    state.record_done("upload", "f", {}, Publication({"audio": audio}))
    state.record_failed("upload", "endpoint down")
    again = State(tmp_path / "state.json")
    record = again.get("upload")
    assert record is not None and record.status == "failed" and record.error == "endpoint down"
    publication = again.result("upload", Publication)
    assert publication is not None and publication.audio == audio


def test_a_version_1_file_is_read(tmp_path: Path) -> None:
    """State written by the previous release ("info", hashes as lists) is read, not discarded."""
    path = tmp_path / "state.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "stages": {
                    "transcribe": {
                        "status": "done",
                        "fingerprint": "x",
                        "outputs": {},
                        "info": {"segments": 3, "words": 20, "dropped": 1, "source": "whisper"},
                        "error": "",
                        "at": "2024-05-01T00:00:00+00:00",
                    }
                },
                "hashes": {"/nowhere/rec.wav": [10, 20, "deadbeef"]},
            }
        )
    )
    state = State(path)
    assert state.result("transcribe", Transcribed) == Transcribed(3, 20, 1, "whisper")
    state.save()
    assert json.loads(path.read_text())["version"] == 2


def test_a_damaged_file_starts_afresh_without_failing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for text in ("{", '{"version": 2, "stages": {"x": 3}}', '{"version": 2, "hashes": {"a": [1]}}', "[]"):
        path.write_text(text)
        state = State(path)
        assert state.records == {} and state.get("process") is None


def test_file_hashes_are_cached_by_size_and_time(tmp_path: Path) -> None:
    state = State(tmp_path / "state.json")
    recording = tmp_path / "rec.wav"
    recording.write_bytes(b"a" * 100)
    first = state.file_hash(recording)
    state.save()
    stat = recording.stat()
    recording.write_bytes(b"b" * 100)  # same size; put the old time back: the cache cannot tell
    os.utime(recording, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert State(tmp_path / "state.json").file_hash(recording) == first
    recording.write_bytes(b"b" * 101)
    assert State(tmp_path / "state.json").file_hash(recording) != first


def test_withdrawing_forgets_the_publication_and_restoring_allows_it_again(tmp_path: Path) -> None:
    state = State(tmp_path / "state.json")
    state.record_done("upload", "f", {}, Publication({"audio": PublishedObject("k.mp3", 1, "audio/mpeg")}))
    state.withdraw(4)
    assert state.withdrawn and state.result("upload", Publication) is None
    again = State(tmp_path / "state.json")
    assert again.withdrawn
    again.restore()
    assert not State(tmp_path / "state.json").withdrawn
