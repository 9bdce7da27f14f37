"""`podcast review SLUG`: the proofreading page, served on 127.0.0.1.

The page plays the episode's audio beside its transcript: the words Whisper was unsure of
are highlighted, glossary names marked; a click on a word plays from there. The producer edits
the text in place, splits and merges cues, names speakers, and saves: the corrected cues
become the episode's own transcript (episodes/SLUG/transcript.vtt, the recording's timeline,
marked reviewed) and the transcribe stage is run again at once (no Whisper), so every output
uses them. Unsaved edits live in the browser's localStorage until saved.

Only this machine can reach the page; a save needs the page's token (so another site open in
the same browser cannot post one) and a Host header naming 127.0.0.1 or localhost.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import logging
import re
import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import asdict
from html import escape
from importlib import resources
from typing import Any

from podcast import pipeline
from podcast.core import i18n, safejson
from podcast.core.errors import PodcastError
from podcast.domain import transcript_files
from podcast.domain.edits import EditList
from podcast.domain.transcript import Segment
from podcast.project import episode as episodes
from podcast.project.config import Config
from podcast.release import site
from podcast.workflows import serve, suggest, transcripts

log = logging.getLogger("podcast.review")

UNSURE_BELOW = 0.8  # word probability under which a word is highlighted: best F1 and recall - share (benchmark)
MAX_BODY = 20 << 20
PAGE_FILES = {"/review.js": "text/javascript; charset=utf-8", "/review.css": "text/css; charset=utf-8"}


def page_data(config: Config, slug: str) -> dict[str, Any]:
    """What the page shows: the cues (published timeline) with their words, the speakers to
    choose from, the glossary, every suggestion (cuts, chapters, notes, names), the page's
    words, and a digest naming this version."""
    ep = episodes.load(config, slug)
    cues = ep.segments()
    if not cues:
        raise PodcastError(f"{slug} has no transcript yet: run `podcast publish {slug}` (or process and transcribe)")
    if not ep.processed_audio.is_file():
        raise PodcastError(f"{slug} has no processed audio yet: run `podcast process {slug}`")
    show, meta = config.show, ep.meta
    speakers = [s.speaker for s in cues if s.speaker]
    speakers += [h.name for h in show.hosts] + [g.name for g in meta.guests] + list(meta.speakers.tracks)
    speakers += [n for n in (meta.speakers.left, meta.speakers.right) if n]
    suggested = _suggestions(ep)
    body = [asdict(c) for c in cues]
    return {
        "slug": slug,
        "title": meta.title,
        "language": show.language,
        "audio": f"/{ep.processed_audio.name}",
        "cues": body,
        "speakers": sorted(dict.fromkeys(n for n in speakers if n)),
        "glossary": ep.glossary,
        "suggestions": suggested,
        "reviewed": ep.transcript_reviewed,
        "unsure_below": UNSURE_BELOW,
        "version": hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()[:16],
        "t": i18n.review_strings(show.language),
    }


def _suggestions(ep: episodes.Episode) -> list[dict[str, Any]]:
    """Every suggestion not rejected, cuts and proposals, with its time in the published audio
    (what the page plays); a cut the edit list removed since has nothing left to play."""
    edl = ep.edit_list()
    cuts, proposals = ep.all_suggestions()
    shown = []
    for cut in cuts:
        span = edl.range_to_output(cut.start, cut.end) if edl else (cut.start, cut.end)
        if cut.status != "rejected" and span is not None:
            shown.append(_item(cut.number, "cuts", cut.kind, cut.text, "", cut.status, span[0]))
    for proposal in proposals:
        if proposal.status == "rejected":
            continue
        at = _published(edl, proposal.start) if proposal.kind == "chapter" or proposal.start else None
        group = suggest.KIND_OF.get(proposal.kind, "notes")
        shown.append(_item(proposal.number, group, proposal.kind, proposal.text, proposal.detail, proposal.status, at))
    return shown


def _item(
    number: int, group: str, kind: str, text: str, detail: str, status: str, start: float | None
) -> dict[str, Any]:
    return {
        "number": number,
        "group": group,
        "kind": kind,
        "text": text,
        "detail": detail,
        "status": status,
        "start": start,
        "editable": group != "cuts",
    }


def _published(edl: EditList | None, source: float) -> float | None:
    if edl is None:
        return source
    try:
        return edl.to_output(source)
    except ValueError:
        return None


def decide(config: Config, slug: str, payload: Any) -> dict[str, Any]:
    """One decision from the page: {number, action: accept|reject, text?}, made through the same
    function as `podcast suggest --accept/--reject/--edit`; what it wrote, and the item now."""
    if not isinstance(payload, dict):
        raise PodcastError("a decision must be an object")
    number, action, text = payload.get("number"), payload.get("action"), payload.get("text")
    if not isinstance(number, int) or isinstance(number, bool) or action not in ("accept", "reject"):
        raise PodcastError("a decision needs a suggestion's number and accept or reject")
    if text is not None and not isinstance(text, str):
        raise PodcastError("a suggestion's text must be text")
    edits = {number: text} if text is not None and action == "accept" else {}
    decisions = suggest.Decisions(**{action: str(number)}, edits=edits)
    found = suggest.decide(config, slug, decisions)
    item = next((i for i in _suggestions(episodes.load(config, slug)) if i["number"] == number), None)
    return {"message": "; ".join(found.written) or f"{number}: {action}ed", "item": item}


def cues_from(payload: Any) -> list[Segment]:
    """The page's cues, checked: a list of {start, end, text, speaker}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("cues"), list):
        raise PodcastError("a save must hold a list of cues")
    cues = []
    for item in payload["cues"]:
        try:
            start, end = float(item["start"]), float(item["end"])
            text, speaker = str(item["text"]), str(item.get("speaker") or "")
        except (KeyError, TypeError, ValueError):
            raise PodcastError("a cue must have a start, an end and a text") from None
        if not (0 <= start <= end < transcript_files.LATEST):
            raise PodcastError(f"a cue's times are out of range ({start}-{end})")
        cues.append(Segment(round(start, 3), round(end, 3), " ".join(text.split()), [], " ".join(speaker.split())))
    return cues


def save(config: Config, slug: str, payload: Any) -> str:
    """Keep the page's cues as the episode's reviewed transcript, then write every transcript
    output from them (the transcribe stage, which reads it instead of running Whisper)."""
    saved = transcripts.save_reviewed(config, slug, cues_from(payload), "podcast review")
    try:
        report = pipeline.run_stages(config, pipeline.Selection.of([slug]), ["transcribe"], pipeline.Options())
        failed = next((e.failed[1] for e in report.episodes if e.failed), "")
    except PodcastError as exc:  # another run holds the project, for one
        failed = str(exc)
    if failed:  # the corrections are safe in the episode folder all the same
        return f"{saved.describe(False)}; the transcript files are not rewritten yet ({failed})"
    return saved.describe(False)


def _page() -> bytes:
    return (resources.files("podcast") / "templates" / "review.html").read_bytes()


def _asset(name: str) -> bytes:
    return (resources.files("podcast") / "templates" / "assets" / name.lstrip("/")).read_bytes()


class Handler(serve.Handler):
    """The page, its two assets, the audio (with Range), and the save endpoint; nothing else."""

    config: Config
    slug: str
    token: str
    audio: str  # the processed audio's file name in build/SLUG
    saving: threading.Lock  # one save or decision at a time: a save runs the transcribe stage under the project lock
    timeout = 60  # seconds a request may leave the server waiting for its next bytes

    def _allowed_host(self) -> bool:
        port = getattr(self.server, "server_port", 0)
        return self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", "default-src 'self'; media-src 'self'; object-src 'none'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:  # no CORS here: the page is for this machine's browser only
        http.server.SimpleHTTPRequestHandler.end_headers(self)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if not self._allowed_host():
            self._send(403, b"forbidden", "text/plain")
        elif path in ("/", "/index.html"):
            self._page()
        elif path in PAGE_FILES:
            self._send(200, _asset(path), PAGE_FILES[path])
        elif path == f"/{self.audio}":
            super().do_GET()
        else:
            self._send(404, b"not found", "text/plain")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _page(self) -> None:
        try:
            data = page_data(self.config, self.slug)
        except PodcastError as exc:
            self._send(500, str(exc).encode(), "text/plain; charset=utf-8")
            return
        words = data["t"]  # first: the transcript in DATA may hold anything, "{{T:title}}" too
        html = re.sub(r"\{\{T:(\w+)\}\}", lambda m: escape(words.get(m.group(1), m.group(1))), _page().decode())
        html = html.replace("{{DATA}}", site.script_json(data)).replace("{{TOKEN}}", self.token)
        html = html.replace("{{LANG}}", data["language"])
        self._send(200, html.encode(), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        actions: dict[str, Callable[[Any], dict[str, Any]]] = {
            "/save": lambda payload: {"message": save(self.config, self.slug, payload)},
            "/suggestion": lambda payload: decide(self.config, self.slug, payload),
        }
        action = actions.get(self.path)
        if action is None or not self._allowed_host():
            self._send(404, b"not found", "text/plain")
            return
        if not secrets.compare_digest(self.headers.get("X-Review-Token", ""), self.token):
            self._reply(403, {"error": "this page is out of date: reload it"})
            return
        declared = self.headers.get("Content-Length", "").strip()
        if not re.fullmatch(r"[0-9]{1,12}", declared):  # "abc", "1e3", "-5": no length to read
            self._reply(400, {"error": "a save must say its length (Content-Length, in bytes)"})
            return
        length = int(declared)
        if not 0 < length <= MAX_BODY:
            self._reply(413, {"error": "nothing to save, or too much"})
            return
        try:
            body = self.rfile.read(length)
        except OSError:  # the page went away (or sent less than it said, then nothing for `timeout` s)
            self.close_connection = True
            return
        try:
            payload = safejson.loads(body, limit=MAX_BODY)
            with self.saving:  # one change at a time: a save runs the transcribe stage, a decision edits files
                self._reply(200, action(payload))
        except safejson.JsonProblem as exc:
            self._reply(400, {"error": f"the page sent something this tool does not read: {exc}"})
        except PodcastError as exc:
            self._reply(400, {"error": str(exc)})
        except Exception as exc:  # a bug: the page still gets an answer, the terminal one line
            log.error("error: internal error saving %s (%s: %s); please report it", self.slug, type(exc).__name__, exc)
            self._reply(500, {"error": f"internal error ({type(exc).__name__}): the corrections stay in this page"})

    def _reply(self, code: int, data: dict[str, Any]) -> None:
        self._send(code, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")


def make_server(config: Config, slug: str, port: int) -> http.server.ThreadingHTTPServer:
    ep = episodes.load(config, slug)
    page_data(config, slug)  # fail now, with a message, rather than in the browser
    token = secrets.token_urlsafe(24)
    attributes = {
        "config": config,
        "slug": slug,
        "token": token,
        "audio": ep.processed_audio.name,
        "saving": threading.Lock(),
    }
    handler = type("ReviewHandler", (Handler,), attributes)
    return serve.make_server(ep.build, "127.0.0.1", port, handler)


def run(config: Config, slug: str, port: int, *, open_browser: bool, on_ready: Callable[[str], None]) -> None:
    """Serve the page until interrupted."""
    server = make_server(config, slug, port)
    url = f"http://127.0.0.1:{server.server_port}/"
    on_ready(url)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
