"""Hostile input on the tool's servers and downloads (#23): the review page's save endpoint,
`podcast serve`, the project lock shared by the review server's threads, and `podcast model
pull` against a hub that misbehaves. Each case was found by trying it against the tool."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from podcast.core import fsutil
from podcast.core.errors import Busy

from .conftest import Run, add_episode, make_tone

# -- The review server ----------------------------------------------------------------------------


@pytest.fixture
def review(project: Path, run: Run, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A processed episode with a transcript of its own, and its review server (no Whisper)."""
    from podcast.project.config import load_config
    from podcast.workflows import review as review_page

    add_episode(project, "ep", make_tone(tmp_path / "tone.wav", seconds=6, channels=1))
    assert run("process", "ep").exit_code == 0
    vtt = tmp_path / "mine.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nBonjour.\n\n00:00:02.500 --> 00:00:04.000\nAu revoir.\n")
    assert run("transcript", "import", "ep", str(vtt)).exit_code == 0
    assert run("transcribe", "ep").exit_code == 0
    server = review_page.make_server(load_config(project), "ep", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    page.request("GET", "/", headers={"Host": f"127.0.0.1:{port}"})
    token = page.getresponse().read().decode().split('name="review-token" content="')[1].split('"')[0]
    yield {"port": port, "token": token, "project": project}
    server.shutdown()
    server.server_close()


def post(review: dict[str, Any], body: bytes, length: str | None = None) -> tuple[int, dict[str, Any]]:
    """A save as the page sends it, with `length` as its Content-Length header, raw."""
    port = review["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        head = (
            f"POST /save HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Review-Token: {review['token']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body) if length is None else length}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1]) if reply else 0
    payload = reply.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in reply else b""
    return status, json.loads(payload) if payload.startswith(b"{") else {}


CUES = {"cues": [{"start": 0.5, "end": 2.0, "text": "Bonjour à tous.", "speaker": ""}]}


@pytest.mark.parametrize(
    ("body", "length", "status", "says"),
    [
        (b"{}", "abc", 400, "Content-Length"),
        (b"{}", "1e3", 400, "Content-Length"),
        (b"{}", "-5", 400, "Content-Length"),
        (b"[" * 100_000 + b"]" * 100_000, None, 400, "levels deep"),
        (b'{"cues": [{"start": NaN, "end": 1, "text": "x"}]}', None, 400, "NaN"),
        (b'{"cues": [{"start": 1e999, "end": 1, "text": "x"}]}', None, 400, "out of range"),
    ],
)
def test_a_bad_save_is_answered_400_without_a_traceback(
    review: dict[str, Any], capfd: pytest.CaptureFixture[str], body: bytes, length: str | None, status: int, says: str
) -> None:
    answer, payload = post(review, body, length)
    assert answer == status, payload
    assert says in payload.get("error", ""), payload
    assert "Traceback" not in capfd.readouterr().err


def test_twenty_saves_at_once_all_get_an_answer(review: dict[str, Any], capfd: pytest.CaptureFixture[str]) -> None:
    answers: list[tuple[int, dict[str, Any]]] = []

    def save(number: int) -> None:
        cues = {"cues": [{"start": 0.5, "end": 2.0, "text": f"Relu, version {number}.", "speaker": ""}]}
        answers.append(post(review, json.dumps(cues).encode()))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == 20
    assert [status for status, _ in answers] == [200] * 20, answers
    assert "Traceback" not in capfd.readouterr().err
    own = (review["project"] / "episodes" / "ep" / "transcript.vtt").read_text()
    vtt = (review["project"] / "build" / "ep" / "transcript.vtt").read_text()
    last = own.split("Relu, version ")[1].split(".")[0]
    assert f"Relu, version {last}." in vtt  # the published files follow the last save
    leftovers = [p for p in review["project"].rglob(".*part*")]
    assert leftovers == []


def test_a_save_never_copies_a_linked_transcript_out(review: dict[str, Any], tmp_path: Path) -> None:
    secret = tmp_path / "secret.vtt"
    secret.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nmot de passe : hunter2\n")
    own = review["project"] / "episodes" / "ep" / "transcript.vtt"
    own.unlink()
    own.symlink_to(secret)
    status, payload = post(review, json.dumps(CUES).encode())
    assert status == 400 and "leads outside the project" in payload["error"], payload
    build = review["project"] / "build"
    assert not [p for p in build.rglob("*") if p.is_file() and b"hunter2" in p.read_bytes()]
    assert own.is_symlink()


def test_the_project_lock_is_never_shared_between_threads(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with fsutil.project_lock(tmp_path):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(Busy, match="already working on the project"), fsutil.project_lock(tmp_path):
            pass  # another thread of this process holds it: not "re-entered"
    finally:
        release.set()
        thread.join()
    with fsutil.project_lock(tmp_path), fsutil.project_lock(tmp_path):  # the same thread may re-enter
        pass


def test_a_runs_cleanup_never_deletes_a_file_being_written(tmp_path: Path) -> None:
    """The first holder of the lock removes what interrupted runs left: never a temporary
    file another thread (a review save) is writing at that moment."""
    target = tmp_path / "build" / "ep" / "cache" / "transcript-1.vtt"
    writing, written = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def save() -> None:
        try:
            with fsutil.atomic_path(target) as tmp:
                tmp.write_text("WEBVTT\n")
                writing.set()
                written.wait(10)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=save)
    thread.start()
    assert writing.wait(10)
    stale = tmp_path / "build" / "ep" / ".audio.ab12cd34.part.mp3"  # what an interrupted run left
    stale.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    with fsutil.project_lock(tmp_path / "build", clean=(tmp_path / "build",)):
        pass
    written.set()
    thread.join()
    assert errors == [] and target.read_text() == "WEBVTT\n"
    assert not stale.exists()


# -- podcast serve ---------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from podcast.workflows.serve import make_server

    project = tmp_path / "show"
    public = project / "public"
    (public / "episodes" / "ep").mkdir(parents=True)
    (project / "config.toml").write_text('[storage]\nsecret = "ne pas montrer"\n')
    (public / "feed.xml").write_text("<rss/>")
    (public / ".hidden").write_text("caché")
    (public / "episodes" / "ep" / ".ep.x1y2z3w4.part.mp3").write_bytes(b"half")
    (public / "root").symlink_to(project)  # a link to the project: config.toml is one click away
    (public / "passwd").symlink_to("/etc/passwd")
    (public / "same-feed.xml").symlink_to(public / "feed.xml")  # a link inside the folder is fine
    (public / "to-hidden").symlink_to(public / ".hidden")
    server = make_server(public, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", project
    server.shutdown()
    server.server_close()


def status_of(address: str, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.request("GET", path)  # sent as written: no client normalises it
    response = connection.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize(
    "path",
    [
        "/.hidden",
        "/%2ehidden",
        "/%2Ehidden",
        "/episodes/ep/%2eep.x1y2z3w4.part.mp3",
        "/%2E%2E/config.toml",
        "/episodes/%2e%2e/%2e%2e/config.toml",
        "/root/config.toml",
        "/passwd",
        "/to-hidden",
        "/episodes/",
        "/root/",
    ],
)
def test_serve_never_serves_hidden_files_or_links_out(served: tuple[str, Path], path: str) -> None:
    address, _ = served
    status, body = status_of(address, path)
    assert status == 404, (path, body[:200])
    assert b"ne pas montrer" not in body and b"root:" not in body and "caché".encode() not in body


def test_serve_still_serves_the_site(served: tuple[str, Path]) -> None:
    address, _ = served
    assert status_of(address, "/feed.xml") == (200, b"<rss/>")
    assert status_of(address, "/same-feed.xml") == (200, b"<rss/>")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /feed.xml HTTP/9\r\n\r\n", 400),  # a version that does not exist
        (b"\x16\x03\x01\x02\x00<script>\r\n\r\n", 400),  # TLS spoken to plain HTTP, markup after
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 200 + b"\r\n", 431),  # too many headers
        (b"GET /feed.xml HTT", None),  # cut off: the client hangs up, then the server closes
    ],
)
def test_serve_answers_a_malformed_request_with_one_log_line_and_no_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], request_bytes: bytes, status: int | None
) -> None:
    """A request refused before its headers are read has none: it is answered and logged all
    the same (its request line escaped), and the producer's terminal shows no traceback, nor
    when the client is gone before the answer."""
    from podcast.workflows.serve import make_server

    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "feed.xml").write_bytes(b"<rss/>")
    log = tmp_path / "access.log"
    server = make_server(tmp_path / "public", "127.0.0.1", 0, access_log=log)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(request_bytes)
            if status is not None:
                assert str(status).encode() in sock.recv(4096)  # answered (as HTTP/0.9 where the version is unknown)
    finally:
        server.shutdown()
        server.server_close()
    lines = log.read_text().splitlines()
    if status is not None:
        assert len(lines) == 1 and f'" {status} - "-" "-"' in lines[0], lines
    if request_bytes.startswith(b"\x16"):
        assert "\x16" not in lines[0] and "\\x16" in lines[0]  # a control byte never reaches the log raw
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err


# -- podcast model pull against a hostile hub -------------------------------------------------------

REPO = "Systran/faster-whisper-tiny.en"


@pytest.fixture
def hostile_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A hub whose file list and files are whatever the test says; a file marked endless sends
    bytes without end (and counts what it sent)."""
    state: dict[str, Any] = {"listing": b"[]", "endless": set(), "sent": 0}

    class Hub(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/api/models/"):
                self._answer(state["listing"])
                return
            self.send_response(200)
            self.end_headers()
            try:
                while self.path.rsplit("/", 1)[-1] in state["endless"] and state["sent"] < 3 << 30:
                    self.wfile.write(b"\0" * 65536)
                    state["sent"] += 65536
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("PODCAST_MODEL_HUB", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("PODCAST_CACHE", str(tmp_path / "cache"))
    yield state
    server.shutdown()
    server.server_close()


def listing(sizes: Mapping[str, object]) -> bytes:
    return json.dumps([{"type": "file", "path": name, "size": size} for name, size in sizes.items()]).encode()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "not a model file list (nested 100,000 levels deep"),
        (b'{"type": "file"}', "not a model file list"),
        (listing({"config.json": True, "model.bin": 1, "tokenizer.json": 1, "vocabulary.txt": 1}), "not a model"),
        (listing({"config.json": 1e400}).replace(b"Infinity", b"1e400"), "out of range"),
    ],
)
def test_pull_refuses_a_file_list_it_cannot_read(hostile_hub: dict[str, Any], run: Run, body: bytes, says: str) -> None:
    hostile_hub["listing"] = body
    result = run("model", "pull", "tiny.en")
    assert result.exit_code == 1 and says in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "internal error" not in result.stderr


def test_pull_reads_no_more_than_the_hub_listed(hostile_hub: dict[str, Any], run: Run) -> None:
    sizes = {"config.json": 23, "model.bin": 1000, "tokenizer.json": 10, "vocabulary.txt": 10}
    hostile_hub["listing"] = listing(sizes)
    hostile_hub["endless"] = {"config.json"}
    started = time.monotonic()
    result = run("model", "pull", "tiny.en")
    assert time.monotonic() - started < 60
    assert result.exit_code == 1 and "config.json: more than the 23 bytes expected" in result.stderr, result.stderr
    assert hostile_hub["sent"] < 64 << 20  # given up at once, not after gigabytes
    staging = list((Path(os.environ["PODCAST_CACHE"])).rglob("*"))
    assert sum(p.stat().st_size for p in staging if p.is_file()) <= 23
