"""Nothing lost, nothing injected (#14): hostile and broken inputs, interrupted and concurrent
runs. Each case was found by trying it against the tool; each test fails on the code before
the fix."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree

from podcast.cli import cli

from .conftest import Run, add_episode, edit, make_tone

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


@pytest.fixture
def published(project: Path, run: Run, tmp_path: Path) -> Path:
    """The issue's set-up: a short WAV published as episode `ep`."""
    add_episode(project, "ep", make_tone(tmp_path / "short.wav", seconds=2), title='"Essai"')
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    return project


def feed_item(project: Path) -> etree._Element:
    item = etree.parse(str(project / "public" / "feed.xml")).find("channel/item")
    assert item is not None
    return item


# -- Data loss --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "why"),
    [
        (".", "is the project folder"),
        ("", "is empty"),
        ("/", "is an ancestor of the project"),
        ("..", "is an ancestor of the project"),
        ("episodes", "is inside episodes/"),
        ("episodes/ep", "is inside episodes/"),
        ("build", "is inside build/"),
        ("build/public", "is inside build/"),
    ],
)
def test_the_published_folder_never_holds_the_producers_files(project: Path, run: Run, path: str, why: str) -> None:
    edit(project / "config.toml", 'path = "public"', f'path = "{path}"')
    result = run("publish", "--all")
    assert result.exit_code == 1
    assert f"storage.path {why}" in result.stderr and len(result.stderr.splitlines()) == 1


def test_unpublish_deletes_only_what_the_tool_published(published: Path, run: Run) -> None:
    folder = published / "public" / "episodes" / "ep"
    ours = sorted(p.name for p in folder.iterdir())
    (folder / "keep-me.mp3").write_bytes(b"not ours")
    (published / "public" / "notes-de-travail.txt").write_text("à garder")
    raw = published / "episodes" / "ep" / "short.wav"
    before = raw.read_bytes()
    result = run("unpublish", "ep", "--yes")
    assert result.exit_code == 0, result.output
    assert all(f"deleted episodes/ep/{name}" in result.output for name in ours)
    assert sorted(p.name for p in folder.iterdir()) == ["keep-me.mp3"]
    assert (published / "public" / "notes-de-travail.txt").read_text() == "à garder"
    assert raw.read_bytes() == before and (published / "episodes" / "ep" / "episode.toml").is_file()
    assert etree.parse(str(published / "public" / "feed.xml")).find("channel/item") is None


# -- Markup and links ---------------------------------------------------------------------------


def test_a_summary_never_reaches_the_feed_as_markup(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2), summary='"<b onmouseover=alert(3)>x</b> & co"')
    assert run("publish", "ep").exit_code == 0
    description = feed_item(project).findtext("description") or ""
    assert description == "&lt;b onmouseover=alert(3)&gt;x&lt;/b&gt; &amp; co"  # HTML that shows the text
    parsed = feedparser.parse((project / "public" / "feed.xml").read_bytes())
    assert parsed.entries[0].summary == "&lt;b onmouseover=alert(3)&gt;x&lt;/b&gt; &amp; co"


def test_plain_text_of_the_notes_never_turns_into_markup(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    (folder / "notes.md").write_text("Du code : `<svg onload=alert(1)>` et &lt;svg onload=alert(2)&gt; fin.\n")
    assert run("publish", "ep").exit_code == 0
    description = feed_item(project).findtext("description") or ""
    assert "<svg" not in description and "&lt;svg onload=alert(1)&gt;" in description
    page = (project / "public" / "episodes" / "ep" / "index.html").read_text()
    assert "<svg" not in page


URL_FIELDS = [
    ("config.toml", 'link = ""', 'link = "javascript:alert(1)"', "show.link"),
    ("config.toml", 'apple = ""', 'apple = "javascript:alert(1)"', "show.links.apple"),
    (
        "config.toml",
        "# [[show.funding]]",
        '[[show.funding]]\nurl = "data:text/html,x"\n\n# [[show.funding]]',
        "show.funding[0].url",
    ),
    (
        "config.toml",
        "# [[show.hosts]]",
        '[[show.hosts]]\nname = "H"\nhref = "vbscript:x"\n\n# [[show.hosts]]',
        "show.hosts[0].href",
    ),
    (
        "config.toml",
        "# [[show.hosts]]",
        '[[show.hosts]]\nname = "H"\nimg = "javascript:x"\n\n# [[show.hosts]]',
        "show.hosts[0].img",
    ),
    ("config.toml", 'new_feed_url = ""', 'new_feed_url = "javascript:x"', "show.new_feed_url"),
    ("episode.toml", "[edit]", '[[guests]]\nname = "G"\nurl = "javascript:alert(1)"\n\n[edit]', "guests[0].url"),
    ("episode.toml", "[edit]", '[[guests]]\nname = "G"\nimg = "JavaScript:alert(1)"\n\n[edit]', "guests[0].img"),
    (
        "episode.toml",
        "[edit]",
        '[[chapters]]\nstart = "0"\ntitle = "C"\nurl = " javascript:x"\n\n[edit]',
        "chapters[0].url",
    ),
]


@pytest.mark.parametrize(("file", "anchor", "text", "key"), URL_FIELDS, ids=[f[3] for f in URL_FIELDS])
def test_script_urls_are_refused_naming_the_key(
    project: Path, run: Run, tmp_path: Path, file: str, anchor: str, text: str, key: str
) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    edit(project / "config.toml" if file == "config.toml" else folder / "episode.toml", anchor, text)
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert f"'{key}' must be an http:// or https:// address" in result.stderr
    for published in (project / "public").rglob("*") if (project / "public").is_dir() else []:
        if published.is_file():  # the show is still released, without the bad episode
            assert b"script:" not in published.read_bytes().lower() and b"data:text" not in published.read_bytes()


def test_a_link_out_of_the_project_is_never_read(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    (folder / "notes.md").unlink()
    (folder / "notes.md").symlink_to("/etc/passwd")
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert "leads outside the project" in result.stderr and "Traceback" not in result.output
    for published in (project / "public").rglob("*") if (project / "public").exists() else []:
        if published.is_file():
            assert b"root:" not in published.read_bytes()
    art = folder / "cover.jpg"
    art.symlink_to(tmp_path / "a.wav")
    edit(folder / "episode.toml", "draft = false", 'draft = false\nartwork = "cover.jpg"')
    (folder / "notes.md").unlink()
    assert "leads outside the project" in run("publish", "ep").stderr


def test_an_outside_recording_is_read_only_when_named_explicitly(project: Path, run: Run, tmp_path: Path) -> None:
    outside = make_tone(tmp_path / "ailleurs.wav", seconds=2)
    folder = add_episode(project, "ep", None)
    (folder / "rec.wav").symlink_to(outside)
    edit(folder / "episode.toml", "source = []", 'source = "rec.wav"')
    linked = run("publish", "ep")
    assert linked.exit_code == 1 and "recording rec.wav" in linked.stderr and "outside the project" in linked.stderr
    edit(folder / "episode.toml", 'source = "rec.wav"', f'source = "{outside}"')
    assert run("publish", "ep").exit_code == 0


# -- One bad episode must not stop the show ------------------------------------------------------


def test_a_stray_folder_is_skipped_with_a_warning(published: Path, run: Run, tmp_path: Path) -> None:
    (published / "episodes" / "Nouveau dossier").mkdir()
    add_episode(published, "ep-2", make_tone(tmp_path / "b.wav", seconds=2))
    everything = run("publish", "--all")
    assert everything.exit_code == 0, everything.output
    assert "warning: Nouveau dossier: not an episode folder, skipped" in everything.stderr
    assert "published feed.xml (2 episodes" in everything.output
    assert run("publish", "ep").exit_code == 0
    status = run("status")
    assert status.exit_code == 0 and "Nouveau dossier" in status.output and "not an episode" in status.output


@pytest.mark.parametrize("slug", ["con", "nul", "com1", "lpt9", "aux", "prn"])
def test_windows_reserved_names_are_refused(run: Run, slug: str) -> None:
    result = run("new", slug, "--title", "x")
    assert result.exit_code == 1 and "Windows reserves that name" in result.stderr


# -- Tracebacks instead of messages ---------------------------------------------------------------


def test_legacy_encodings_are_one_line_naming_file_and_line(published: Path, run: Run) -> None:
    (published / "episodes" / "ep" / "notes.md").write_bytes("Premiere ligne\nNotes \xe9t\xe9\n".encode("latin-1"))
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert "notes.md: not UTF-8 text (byte 0xe9 at line 2, column 7): save it as UTF-8" in result.stderr
    title = run("new", "ep-2", "--title", "\udce9t\udce9")  # what Python makes of Latin-1 argv bytes
    assert title.exit_code == 2 and "is not UTF-8 text (byte 0xe9)" in title.stderr
    assert len(title.stderr.strip().splitlines()) == 1


def test_a_config_file_with_a_byte_order_mark_is_accepted(project: Path, run: Run) -> None:
    config = project / "config.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert run("status").exit_code == 0


def test_control_characters_in_a_title_are_refused_without_temp_paths(project: Path, run: Run, tmp_path: Path) -> None:
    result = run("new", "ep", "--title", "Essai\x7f")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --title contains a control character (U+007F) at position 6: remove it"
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    edit(folder / "episode.toml", 'title = "Épisode ep"', 'title = "Essai\\u007f"')
    edited = run("publish", "ep")
    assert "'title' contains a control character (U+007F)" in edited.stderr and ".ep." not in edited.stderr


def bomb(path: Path) -> Path:
    """A small PNG declaring 20000×20000 pixels."""
    from PIL import Image

    Image.new("1", (20000, 20000)).save(path, optimize=True)
    return path


def test_a_decompression_bomb_as_artwork_is_refused(project: Path, run: Run, tmp_path: Path) -> None:
    art = bomb(project / "bomb.png")
    assert art.stat().st_size < 200_000
    edit(project / "config.toml", 'artwork = "cover.jpg"', 'artwork = "bomb.png"')
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    for args in (("artwork", "check"), ("artwork", "fix", str(art)), ("publish", "ep")):
        result = run(*args)
        assert result.exit_code == 1, args
        assert "decompression bomb" in result.output + result.stderr, args
        assert "Traceback" not in result.output + result.stderr


def test_serve_refuses_bad_ports_and_addresses(run: Run) -> None:
    assert run("serve", "--port", "70000").exit_code == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = run("serve", "--port", str(taken.getsockname()[1]))
    assert busy.exit_code == 1 and "is already in use" in busy.stderr
    nowhere = run("serve", "--bind", "256.1.1.1", "--port", "0")
    assert nowhere.exit_code == 1 and "not an address of this machine" in nowhere.stderr


def test_an_error_that_is_not_ours_is_a_bug_report_line(
    project: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podcast import pipeline

    def broken(*args: object, **kwargs: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(pipeline, "status_table", broken)
    result = run("status")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error (ZeroDivisionError: division by zero); this is a bug")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" in run("-vv", "status").stderr


BROKEN_PROJECTS = {
    "no config": lambda root: (root / "config.toml").unlink(),
    "empty config": lambda root: (root / "config.toml").write_text(""),
    "binary config": lambda root: (root / "config.toml").write_bytes(b"\x00\xff\xfe garbage"),
    "config is a folder": lambda root: ((root / "config.toml").unlink(), (root / "config.toml").mkdir()),
    "bad state": lambda root: _write(root / "build" / "ep" / "state.json", "{not json"),
    "bad ledger": lambda root: _write(root / "build" / "ledger.json", "[1, 2"),
    "bad edit list": lambda root: _write(root / "build" / "ep" / "edits.json", '{"segments": 3}'),
    "bad search index": lambda root: _write(root / "build" / "search.sqlite", "this is not sqlite"),
    "episode.toml is a folder": lambda root: (
        (root / "episodes" / "ep" / "episode.toml").unlink(),
        (root / "episodes" / "ep" / "episode.toml").mkdir(),
    ),
    "notes is a folder": lambda root: (
        (root / "episodes" / "ep" / "notes.md").unlink(),
        (root / "episodes" / "ep" / "notes.md").mkdir(),
    ),
    "recording is garbage": lambda root: (root / "episodes" / "ep" / "short.wav").write_bytes(b"RIFF garbage"),
    "art is text": lambda root: (root / "cover.jpg").write_text("not an image"),
}
COMMANDS = [
    ("status",),
    ("publish", "ep"),
    ("publish", "--all"),
    ("feed",),
    ("check",),
    ("doctor", "--no-model"),
    ("transcript", "ep"),
    ("search", "bonjour"),
    ("quote", "ep", "--at", "0"),
    ("newsletter", "ep"),
    ("unpublish", "ep", "--dry-run"),
    ("prune",),
    ("artwork", "check"),
    ("transcript", "import", "ep", "/dev/null"),
    ("markers", "import", "ep", "/dev/null"),
    ("markers", "export", "ep"),
    ("suggest", "ep", "--accept", "1"),
    ("model", "list"),
]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("breakage", sorted(BROKEN_PROJECTS))
def test_every_command_on_a_broken_project_says_one_line(published: Path, breakage: str) -> None:
    BROKEN_PROJECTS[breakage](published)
    for args in COMMANDS:
        result = CliRunner().invoke(cli, ["--project", str(published), *args])
        said = result.output + (result.stderr or "")
        assert "Traceback" not in said and "internal error" not in said, (breakage, args, said)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), (
            breakage,
            args,
            result.exception,
        )
        if result.exit_code != 0:  # it says why (doctor prints its verdict as a table)
            assert result.stderr.strip() or "FAIL" in result.output, (breakage, args, said)


# -- Leftovers and side effects -----------------------------------------------------------------


def test_leftovers_of_an_interrupted_run_are_cleaned_and_never_served(published: Path, run: Run) -> None:
    from podcast.workflows.serve import make_server

    build = published / "build" / "ep"
    scratch = build / ".process-ab12cd34"
    scratch.mkdir()
    (scratch / "prepared.wav").write_bytes(b"\0" * 1000)
    part_build = build / ".audio.x1y2z3w4.part.mp3"
    part_build.write_bytes(b"half")
    part_public = published / "public" / "episodes" / "ep" / ".ep-0123.q9w8e7r6.part.mp3"
    part_public.write_bytes(b"half")
    staging = published / "episodes" / ".ep-9.k3j4h5g6"
    staging.mkdir()
    mine = published / "episodes" / "ep" / ".brouillon.txt"  # the producer's own hidden file
    mine.write_text("à garder")

    import threading
    import urllib.error
    import urllib.request

    server = make_server(published / "public", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/episodes/ep/{part_public.name}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url)
        assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()

    assert run("publish", "--all").exit_code == 0
    assert not scratch.exists() and not part_build.exists() and not part_public.exists() and not staging.exists()
    assert mine.read_text() == "à garder"


def test_a_second_run_waits_for_the_first(published: Path, run: Run) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from podcast.core import fsutil\n"
            "with fsutil.project_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
            str(published / "build"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run("publish", "--all")
        assert result.exit_code == 1
        assert f"another podcast run is in progress on this project (pid {holder.pid})" in result.stderr
        assert run("status").exit_code == 0  # reading needs no lock
    finally:
        holder.kill()
        holder.wait()
    assert run("publish", "--all").exit_code == 0


def test_onnxruntime_writes_nothing_in_the_home_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": ""}
    subprocess.run([sys.executable, "-c", "from podcast.edges import whisper; whisper.load_vad()"], env=env, check=True)
    assert [p for p in home.rglob("*")] == []


def test_megabytes_of_notes_make_a_small_feed_and_a_full_page(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    paragraph = "Les territoires zéro chômeur de longue durée partent des compétences de chacun. " * 8
    (folder / "notes.md").write_text("\n\n".join(f"{i} {paragraph}" for i in range(8000)))  # ~5 MB
    assert run("publish", "ep").exit_code == 0
    feed = (project / "public" / "feed.xml").read_bytes()
    assert len(feed) < 30_000
    content = feed_item(project).findtext(CONTENT) or ""
    assert len(content.encode()) <= 10_000 and content.endswith("</a></p>") and "episodes/ep/index.html" in content
    assert etree.fromstring(f"<div>{content}</div>".encode()) is not None  # cut between blocks: well-formed
    page = (project / "public" / "episodes" / "ep" / "index.html").read_text()
    assert "7999 Les territoires" in page
    assert "the notes are over 10,000 bytes" in run("check").stderr + run("check").output


def test_ctrl_c_at_any_moment_is_exit_130_and_one_line(published: Path, tmp_path: Path) -> None:
    long = make_tone(tmp_path / "long.wav", seconds=120, channels=1)
    add_episode(published, "long", long)
    for delay in (0.3, 1.0, 2.5, 5.0):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "podcast",
                "--project",
                str(published),
                "--set",
                "transcribe.enabled=true",
                "publish",
                "long",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        if proc.returncode == 0:
            continue  # finished before the signal
        assert proc.returncode == 130, (delay, stderr)
        assert "Traceback" not in stderr and stderr.strip().splitlines()[-1].startswith("interrupted"), (delay, stderr)
    assert json.loads((published / "build" / "ep" / "state.json").read_text())["stages"]["upload"]["status"] == "done"


# A stand-in for a native module (as pybind11 builds them) interrupted while it initialises: the
# KeyboardInterrupt raised inside its init code comes out as ImportError("initialization failed").
NATIVE_INIT = """
import os, signal, time
try:
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, while the module is being set up
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass
except KeyboardInterrupt:
    raise ImportError("initialization failed") from None
"""


def test_ctrl_c_while_onnxruntime_initialises_is_an_interruption(project: Path, tmp_path: Path) -> None:
    fake = tmp_path / "stand-in" / "onnxruntime"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(NATIVE_INIT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake.parent), *sys.path])}
    command = [sys.executable, "-m", "podcast", "--project", str(project), "--set", "transcribe.enabled=true", "doctor"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 130, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("interrupted"), result.stderr
    assert "initialization failed" not in result.stdout + result.stderr


# Ctrl-C at moments from the start of onnxruntime's import (the VAD, then the speaker model's
# session), timed from the import itself: the real library, not a stand-in.
AT_ONNXRUNTIME = """
import os, signal, sys, threading, time
delay, project = float(sys.argv[1]), sys.argv[2]
state = {}
def send():
    state["sent"] = True
    os.kill(os.getpid(), signal.SIGINT)
def hook(event, args):
    if event == "import" and args[0] == "onnxruntime" and "timer" not in state:
        state["timer"] = threading.Timer(delay, send)
        state["timer"].start()
sys.addaudithook(hook)
import podcast.cli
command = podcast.cli.main
def watched(*args, **kwargs):
    try:
        return command(*args, **kwargs)
    finally:
        sys.stderr.write("sent before the end\\n" if state.get("sent") else "over before the signal\\n")
podcast.cli.main = watched
sys.argv = ["podcast", "--project", project, "--set", "transcribe.enabled=true", "doctor"]
from podcast.__main__ import main
main()
"""


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_onnxruntimes_initialisation(project: Path) -> None:
    for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3):
        result = subprocess.run(
            [sys.executable, "-c", AT_ONNXRUNTIME, str(delay), str(project)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        said = result.stdout + result.stderr
        if "over before the signal" in said:
            assert result.returncode == 0, (delay, said)
            continue
        assert result.returncode == 130, (delay, said)
        assert "interrupted: outputs" in result.stderr and "initialization failed" not in said, (delay, said)
        assert "Traceback" not in said, (delay, said)


# -- podroll and directories: the other shows' feeds, and our own live one -------------------------


class _Liar(http.server.BaseHTTPRequestHandler):
    """Every path a hostile answer: /file redirects to file://, /xxe is a feed with an external
    entity and markup in its title, /huge says it is small and never ends, /deep nests forever."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        try:
            if self.path.startswith("/file"):
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
                return
            if self.path.startswith("/huge"):
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.close_connection = True
                for _ in range(2000):  # 128 MiB at most: stops the test, never the tool
                    self.wfile.write(b"<a>" * 21845)
                return
            if self.path.startswith("/deep"):
                body = b"<rss><channel>" + b"<x>" * 200_000 + b"</x>" * 200_000 + b"</channel></rss>"
            else:
                body = (
                    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY leak SYSTEM "file:///etc/passwd">]>'
                    b'<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
                    b"<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp;leak; &leak;</title>"
                    b"<podcast:guid>&leak;</podcast:guid></channel></rss>"
                )
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what it should do


@pytest.fixture
def liar() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Liar)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _one_line(output: str) -> None:
    assert "Traceback" not in output and "root:x:0" not in output
    assert all(len(line) < 400 for line in output.splitlines())


@pytest.mark.parametrize("path", ["/file", "/huge", "/deep"])
def test_a_hostile_partner_feed_leaves_the_guid_computed_or_one_line(
    project: Path, run: Run, liar: str, path: str
) -> None:
    before = (project / "config.toml").read_text(encoding="utf-8")
    result = run("podroll", "add", f"{liar}{path}")
    _one_line(result.output)
    after = (project / "config.toml").read_text(encoding="utf-8")
    assert "root:x" not in after
    if result.exit_code == 0:  # not read: the GUID the namespace's rule computes from the URL, and said so
        assert "computed" in result.output and f"{liar}{path}" in after
    else:
        assert result.exit_code == 1 and after == before  # refused: config.toml as it was


def test_a_partner_feed_with_an_external_entity_and_markup(project: Path, run: Run, liar: str) -> None:
    result = run("podroll", "add", f"{liar}/xxe")
    _one_line(result.output)
    config = (project / "config.toml").read_text(encoding="utf-8")
    assert "root:x" not in config
    if result.exit_code == 0:
        assert run("feed").exit_code == 0
        feed = (project / "public" / "feed.xml").read_text(encoding="utf-8")
        assert "<script>" not in feed and "root:x" not in feed
        etree.fromstring(feed.encode())  # still well-formed XML


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/feed.xml"])
def test_a_podroll_url_that_is_not_http_is_refused(project: Path, run: Run, url: str) -> None:
    before = (project / "config.toml").read_text(encoding="utf-8")
    result = run("podroll", "add", url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (project / "config.toml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("path", ["/file", "/huge", "/deep", "/xxe"])
def test_directories_on_a_live_feed_that_lies(project: Path, run: Run, liar: str, path: str) -> None:
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{liar}{path}"')
    result = run("directories")
    _one_line(result.output)
    assert result.exit_code in (0, 1)


# -- the transcript that chapter, notes and name suggestions read (issue #27) ----------------------


SAID = "Le logement manque ici."


def _words_cues(count: int) -> list[dict[str, object]]:
    """`count` short French sentences as the transcribe stage writes them, 5 s apart."""
    cues: list[dict[str, object]] = []
    for start in (index * 5.0 for index in range(count)):
        words = [{"start": start + k, "end": start + k + 0.8, "word": f" {w}"} for k, w in enumerate(SAID.split(" "))]
        cues.append({"start": start, "end": start + 4.0, "text": SAID, "words": words})
    return cues


HOSTILE_TRANSCRIPTS: dict[str, str | bytes] = {
    "deep JSON": "[" * 100_000 + "]" * 100_000,
    "a huge number": '[{"start": 1e999, "end": 1, "text": "x", "words": []}]',
    "not a list": '"texte"',
    "cues of the wrong type": "[1, 2, 3]",
    "a word of the wrong shape": '[{"start": 0, "end": 1, "text": "x", "words": [[0, 1]]}]',
    "not UTF-8": b'[{"start": 0, "end": 1, "text": "caf\xe9"}]',
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TRANSCRIPTS))
def test_a_hostile_transcript_is_one_line_for_suggestions(project: Path, run: Run, case: str) -> None:
    add_episode(project, "ep", None)
    build = project / "build" / "ep"
    build.mkdir(parents=True)
    content = HOSTILE_TRANSCRIPTS[case]
    target = build / "transcript.segments.json"
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run("suggest", "ep", "--chapters", "--notes", "--names")
    assert result.exit_code == 1 and "Traceback" not in result.output and "internal error" not in result.output
    assert "transcript.segments.json" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_transcript_linked_out_of_the_project_is_not_read(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", None)
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(_words_cues(40)), encoding="utf-8")
    build = project / "build" / "ep"
    build.mkdir(parents=True)
    (build / "transcript.segments.json").symlink_to(outside)
    result = run("suggest", "ep", "--chapters")
    assert result.exit_code == 1 and "outside the project" in result.output, result.output


def test_reversed_infinite_and_far_times_give_few_chapters(project: Path, run: Run) -> None:
    """Times a hand or another tool may leave: a cue ending before it starts, one at 1e300 s,
    overlapping cues. The chapters are bounded by the sentences (before, 1e300 s asked for an
    array past numpy's limits: an internal error; 1e8 s took two minutes and 900 MB)."""
    add_episode(project, "ep", None)
    cues = _words_cues(60)
    cues[10]["start"], cues[10]["end"] = cues[10]["end"], cues[10]["start"]  # reversed
    cues[20]["start"] = cues[19]["start"]  # overlapping
    last_words = cues[-1]["words"]
    assert isinstance(last_words, list)
    last_words[-1]["end"] = cues[-1]["end"] = 1e300
    build = project / "build" / "ep"
    build.mkdir(parents=True)
    (build / "transcript.segments.json").write_text(json.dumps(cues), encoding="utf-8")
    for args in (("--chapters",), ("--chapter-count", "5"), ("--chapter-count", "60")):
        result = run("suggest", "ep", *args)
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        chapters = [line for line in result.output.splitlines() if " chapter: " in line]
        assert 1 <= len(chapters) <= 60, result.output


@pytest.mark.parametrize("count", ["0", "1", "-1", "61", "abc", "2.5", "", "99999999999999999999"])
def test_a_chapter_count_out_of_range_is_one_line(project: Path, run: Run, count: str) -> None:
    add_episode(project, "ep", None)
    result = run("suggest", "ep", "--chapter-count", count)
    assert result.exit_code == 2 and "Traceback" not in result.output and "--chapter-count" in result.output
