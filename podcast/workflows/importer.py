"""`podcast import SOURCE`: bring a show in from its current host, without its listeners noticing.

The show's settings fill a new project, or a config.toml still as `podcast init` left it; a
config.toml the producer has edited is changed only with --update-show (the import is refused
while it differs from the feed). Its podcast:guid is kept verbatim (or computed from the old
feed URL by the Podcasting 2.0 rule, as directories did), and each item becomes episodes/SLUG/
with its GUID kept forever, its date, numbers, notes (HTML → Markdown, sanitised), guests,
chapters, soundbites, art and transcript, and its audio downloaded and published as it was,
byte for byte. Chapters and soundbites are checked against the audio by the feed's own rules:
one that does not fit is left out with a warning, never failing the episode or the feed.

An episode is imported whole or not at all: it is built in a staging folder renamed into place
at the end. When its audio cannot be downloaded (no network, a host down) or is not asked for
(--metadata-only), the episode is still imported, its audio *pending*: `podcast status` says
so and the next import fetches it. Media download into build/import/downloads/ and resume after
an interruption. Importing again adds the new items, fetches pending audio, and leaves the
others exactly as they are (the producer may have edited them). imported-feed.toml keeps every
GUID, date and length the old feed had: `podcast check` fails when one is missing from our
feed or changed, or when the show's GUID is not the old feed's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
import os
import re
import shlex
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from podcast import pipeline
from podcast.core import safejson, timecode
from podcast.core.errors import ImportProblem, PodcastError
from podcast.core.progress import ProgressFactory, no_progress
from podcast.core.report import Report
from podcast.core.text import Url, url_problem
from podcast.domain import chapters as chapter_rules
from podcast.domain import feedreader, transcript_files
from podcast.domain import soundbites as soundbite_rules
from podcast.domain.chapters import ChapterDecl
from podcast.domain.feedreader import Item, Show, Skipped
from podcast.domain.soundbites import Soundbite
from podcast.edges import ffmpeg
from podcast.edges import http as web
from podcast.edges import images as artwork
from podcast.project import episode as episodes
from podcast.project import imported_feed, producer_files
from podcast.project.config import (
    CONFIG_NAME,
    EPISODE_NAME,
    NOTES_NAME,
    Config,
    check_config_text,
    email_problem,
    load_config,
    load_episode,
)
from podcast.project.ids import guid_from_feed_url
from podcast.release import notes
from podcast.workflows import scaffold

log = logging.getLogger("podcast.importer")

AUDIO_SUFFIXES = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/x-m4a": "m4a", "audio/mp4": "m4a", "audio/aac": "aac"}
TRANSCRIPT_PREFERENCE = ("text/vtt", "application/x-subrip", "application/srt", "text/srt", "application/json")
PLACEHOLDER_LENGTH = 64 << 10  # an enclosure length below this is a placeholder ("0", "1"), not a size
MAX_ART = 32 << 20  # a cover larger than this is not one (Apple asks for under 512 KB)
MAX_CHAPTERS = 4 << 20
MAX_TRANSCRIPT = 16 << 20


@dataclass(frozen=True)
class Options:
    owner: str = ""  # --owner EMAIL: must match a locked feed's owner
    mine: bool = False  # --yes-it-is-mine: import a locked feed without an owner to match
    reprocess: tuple[str, ...] = ()  # slugs (or "all"): edited and processed by our stages
    transcribe: tuple[str, ...] = ()  # slugs (or "all"): transcribed when the feed has no transcript
    retag: bool = False  # write our tags into the audio (changes its bytes)
    jobs: int = 3  # downloads at a time
    update_show: bool = False  # --update-show: config.toml takes the feed's show settings
    metadata_only: bool = False  # --metadata-only: every episode's audio left pending
    dry_run: bool = False
    progress: ProgressFactory = no_progress


@dataclass(frozen=True)
class Change:
    """A show setting config.toml and the feed disagree on."""

    key: str
    here: Any
    feed: Any
    rows: tuple[producer_files.Row, ...] = ()  # hosts or funding the feed has and config.toml lacks

    def line(self) -> str:
        return f"  {self.key}: {_shown(self.here)} in config.toml, {_shown(self.feed)} in the feed"


@dataclass(frozen=True)
class ShowPlan:
    """What becomes of config.toml: "create" (a new project), "fill" (still as `init` left it),
    "update" (--update-show), "keep" (the same, or a show imported before: the producer's
    edits stand), or "refuse" (edited, differs, and no --update-show)."""

    action: str
    changes: tuple[Change, ...] = ()


@dataclass
class Outcome:
    """One episode: imported (or its pending audio fetched), with what was left out."""

    slug: str
    pending: str = ""  # why its audio is not here ('' when it is)
    dropped: list[str] = field(default_factory=list)


@dataclass
class Imported:
    project: Path
    source: str = ""
    created: bool = False
    plan: ShowPlan = ShowPlan("keep")
    added: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)  # (slug, why)
    dropped: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, outcome: Outcome, new: bool) -> None:
        if new:
            self.added.append(outcome.slug)
        elif not outcome.pending:
            self.fetched.append(outcome.slug)
        if outcome.pending:
            self.pending.append((outcome.slug, outcome.pending))
        self.dropped += [f"{outcome.slug}: {why}: left out" for why in outcome.dropped]

    def report(self, dry_run: bool = False) -> Report:
        out = Report()
        if self.created and not dry_run:
            out.info(f"created {self.project} from the feed")
        _show_lines(self, out, dry_run)
        for note in self.notes:
            out.warning(f"warning: {note}")
        if self.plan.action != "refuse":
            _episode_lines(self, out)
            _pending_lines(self, out)
            _failed_lines(self, out, dry_run)
        return out


def _episode_lines(imported: Imported, out: Report) -> None:
    if imported.added:
        out.info(f"imported {len(imported.added)} episode(s): {', '.join(imported.added)}")
    if imported.fetched:
        out.info(f"audio fetched for {len(imported.fetched)} episode(s) imported before: {', '.join(imported.fetched)}")
    if imported.skipped:
        out.info(f"left as they are: {len(imported.skipped)} episode(s) already imported")
    for line in imported.dropped:
        out.warning(f"warning: {line}")
    for line in imported.left_out:
        out.warning(f"warning: not an episode: {line}")


def _failed_lines(imported: Imported, out: Report, dry_run: bool) -> None:
    for line in imported.failed:
        out.error(f"error: {line}")
    if imported.failed:
        out.error(
            f"{len(imported.failed)} episode(s) not imported: run the same command again to retry (downloads resume)"
        )
    elif not dry_run and not imported.pending:
        out.info("next: `podcast publish --all`, then `podcast move` for the steps to move the feed")


def _show_lines(imported: Imported, out: Report, dry_run: bool) -> None:
    plan, would = imported.plan, "would be " if dry_run else ""
    lines = [change.line() for change in plan.changes]
    if plan.action == "fill" and lines:
        out.info(f"{CONFIG_NAME} was as `podcast init` left it: {would}filled from the feed")
        for line in lines:
            out.info(line)
    elif plan.action == "update":
        out.info(f"{CONFIG_NAME} {would}updated from the feed (--update-show):")
        for line in lines:
            out.info(line)
    elif plan.action == "refuse":
        for line in lines:
            out.warning(line)
        out.error(
            f"error: {CONFIG_NAME} differs from the feed's show (above){'' if dry_run else ': nothing imported'}: "
            f"`{_again(imported, '--update-show')}` takes the feed's values (directories "
            "know the show by its podcast:guid), or edit config.toml to match"
        )
    elif identity := [c.line() for c in plan.changes if c.key in IDENTITY]:
        # a show imported before: the producer's edits since stand; only its identity is worth a word
        for line in identity:
            out.warning(f"warning: {line.strip()}")
        out.warning(f"warning: {CONFIG_NAME} left as it is (`{_again(imported, '--update-show')}` takes the feed's)")


def _pending_lines(imported: Imported, out: Report) -> None:
    if not imported.pending:
        return
    again = f"`{_again(imported)}` fetches it"
    if all(why == METADATA_ONLY for _, why in imported.pending):
        out.info(f"{len(imported.pending)} episode(s) imported without their audio (--metadata-only): {again}")
        return
    for slug, why in imported.pending:
        if why != METADATA_ONLY:
            out.error(f"error: {slug}: audio not downloaded ({why}): imported with its audio pending")
    out.error(
        f"{len(imported.pending)} episode(s) have their audio pending (`podcast status` lists them): {again} "
        "(downloads resume)"
    )


METADATA_ONLY = "not asked for (--metadata-only)"
IDENTITY = ("show.guid", "show.title")  # what a re-import points out when config.toml differs


def _again(imported: Imported, *flags: str) -> str:
    """The import command to run again, from wherever it was run."""
    return shlex.join(["podcast", "import", imported.source or "FEED", str(imported.project), *flags])


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


def run(root: Path, source: str, options: Options) -> Imported:
    """Import the feed at `source` (an http(s) URL, or a feed file named explicitly) into `root`."""
    with tempfile.TemporaryDirectory(prefix="podcast-import-") as tmp:
        feed, source_url = _acquire(source, Path(tmp))
        show = feedreader.read_show(feed, source_url)
        _check_lock(show, options)
        guids, wanted = _survey(feed, show.self_url)
        answers = _answers(show, source_url)
        report = Imported(root, source)
        report.notes += show.problems
        if show.new_feed_url:
            report.notes.append(f"the feed says it moved to {show.new_feed_url}: import that one if it is newer")
        report.plan = _show_plan(root, answers, options)
        if options.dry_run:
            return _dry_run(root, show, guids, wanted, report)
        if report.plan.action == "refuse":
            return report
        if report.plan.action == "create":
            _create_project(root, show, answers, report)
        config = load_config(root)
        with pipeline.lock(config):
            if report.plan.action in ("fill", "update"):
                config = _update_show(config, show, report)
            _write_record(config, show, answers.guid, source_url, feed)
            _import_items(config, feed, show, options, report, wanted)
        return report


def _acquire(source: str, tmp: Path) -> tuple[Path, str]:
    """The feed as a local file, and the URL it is known by (relative URLs resolve against it)."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        data, final = web.fetch(source)
        path = tmp / "feed.xml"
        path.write_bytes(data)
        return path, final
    path = Path(source).expanduser()
    if not path.is_file():
        raise ImportProblem(f"{source}: no such file, and not an http(s) address")
    return path, ""


def _check_lock(show: Show, options: Options) -> None:
    if not show.locked or options.mine:
        return
    if show.locked_owner and options.owner.strip().lower() == show.locked_owner.lower():
        return
    who = f"by {show.locked_owner}" if show.locked_owner else "(podcast:locked, no owner given)"
    hint = f"--owner {show.locked_owner}" if show.locked_owner else "--yes-it-is-mine"
    raise ImportProblem(f"this feed is locked {who} against imports: import it only if the show is yours ({hint})")


def _survey(feed: Path, base: str) -> tuple[list[str], int]:
    """Every GUID in the feed's order (duplicates refused before anything is written), and how
    many bytes the audio is in all, by the feed's lengths."""
    seen: dict[str, str] = {}
    total = 0
    for item in feedreader.read_items(feed, base):
        if isinstance(item, Skipped):
            continue
        if item.guid in seen:
            raise ImportProblem(
                f"the feed gives two items the GUID {item.guid!r} ({seen[item.guid]!r} and {item.title!r}): "
                "apps show only one of them; fix the old feed first"
            )
        seen[item.guid] = item.title
        total += item.enclosure.length
    return list(seen), total


def _dry_run(root: Path, show: Show, guids: list[str], total: int, report: Imported) -> Imported:
    config = load_config(root) if (root / CONFIG_NAME).is_file() else None
    known = _known_guids(config) if config else {}
    pending = [slug for slug in known.values() if config and _pending(config, slug)]
    report.created = config is None
    new = [g for g in guids if g not in known]
    report.notes.append(
        f"would import {len(new)} of {len(guids)} episode(s) of {show.title!r} (about {total / 1e6:.0f} MB of audio)"
        + (f"; {len(guids) - len(new)} already here" if known else "")
        + (f", {len(pending)} of them with their audio pending (would be fetched)" if pending else "")
    )
    return report


# -- The show -------------------------------------------------------------------------------


def _feed_guid(show: Show, source_url: str) -> str:
    """The show's podcast:guid as directories know it: the feed's, or computed from the feed's
    address by the Podcasting 2.0 rule."""
    url = source_url or show.self_url
    return show.guid or (guid_from_feed_url(url) if url else "")


def _answers(show: Show, source_url: str) -> scaffold.ShowAnswers:
    """The show's settings as the feed gives them ('' or () where it says nothing)."""
    hosts = tuple((p.name, p.role or "host", p.href, p.img) for p in show.persons if p.role in ("", "host", "co-host"))
    return scaffold.ShowAnswers(
        title=show.title,
        author=show.author or show.owner_name,
        email="" if email_problem(show.owner_email) else show.owner_email,
        description=show.description,
        language=show.language,
        owner=show.owner_name,
        guid=_feed_guid(show, source_url),
        categories=tuple(show.categories),
        explicit=show.explicit,
        type=show.type,
        link=show.link,
        copyright=show.copyright,
        location=show.location,
        license=show.license,
        hosts=hosts,
        funding=tuple(show.funding),
    )


def _create_project(root: Path, show: Show, answers: scaffold.ShowAnswers, report: Imported) -> None:
    if show.owner_email and not answers.email:
        report.notes.append(f"the owner's e-mail {show.owner_email!r} is not an e-mail address: left empty")
    defaults = replace(
        answers, language=answers.language or "fr", categories=answers.categories or ("Society & Culture",)
    )
    scaffold.init(root, defaults)
    report.created = True
    if show.image:
        _show_artwork(root / "artwork" / "cover.jpg", show.image, report, show.title)


def _show_plan(root: Path, answers: scaffold.ShowAnswers, options: Options) -> ShowPlan:
    if not (root / CONFIG_NAME).is_file():
        return ShowPlan("create")
    changes = tuple(_changes(load_config(root), answers))
    if not changes:
        return ShowPlan("keep")
    if options.update_show:
        return ShowPlan("update", changes)
    if imported_feed.load(root) is not None:
        return ShowPlan("keep", changes)
    return ShowPlan("fill" if scaffold.untouched(root) else "refuse", changes)


def _changes(config: Config, answers: scaffold.ShowAnswers) -> list[Change]:
    """What the feed says of the show that config.toml does not (what it does not say is no change)."""
    found = []
    for key, value in scaffold.show_values(answers).items():
        if key == "show.base_url" or value in ("", [], ()):
            continue
        here = _setting(config, key)
        if (list(here) if isinstance(here, tuple) else here) != value:
            found.append(Change(key, here, value))
    hosts = {h.name for h in config.show.hosts}
    rows = tuple(scaffold.host_row(*h) for h in answers.hosts if h[0] not in hosts)
    if rows:
        found.append(Change("show.hosts", sorted(hosts), [r["name"] for r in rows], rows))
    urls = {f.url for f in config.show.funding}
    money = tuple({"url": url, "text": text} for url, text in answers.funding if url not in urls)
    if money:
        found.append(Change("show.funding", sorted(urls), [m["url"] for m in money], money))
    return found


def _setting(config: Config, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _update_show(config: Config, show: Show, report: Imported) -> Config:
    """config.toml takes the feed's settings (through the style-preserving writer, checked
    before it is written); a placeholder cover becomes the show's."""
    root = config.root
    before = config.show.title
    with producer_files.edit(root / CONFIG_NAME, root, check=lambda text: check_config_text(root, text)) as document:
        for change in report.plan.changes:
            if change.rows:
                for row in change.rows:
                    document.append(change.key, row)
            else:
                document.set(change.key, change.feed)
    config = load_config(root)
    art = config.artwork_path
    if art is not None and artwork.is_placeholder(art):
        if show.image:
            _show_artwork(art, show.image, report, config.show.title)
        elif config.show.title != before:
            artwork.placeholder(art, config.show.title)
    return config


def _show_artwork(target: Path, url: str, report: Imported, title: str) -> None:
    """The show's cover, in place of the placeholder (a PNG is rewritten as the JPEG the
    config names; a cover directories would refuse is fixed, the original kept). One that is
    no image (a web page, a decompression bomb) or never ends leaves the placeholder."""
    download = target.with_name("cover-imported")
    try:
        web.download(url, download, limit=MAX_ART)
    except PodcastError as exc:
        download.with_name(download.name + ".part").unlink(missing_ok=True)
        report.notes.append(f"the show's cover could not be downloaded ({exc}): the placeholder stays")
        if artwork.is_placeholder(target):
            artwork.placeholder(target, title)
        return
    with download.open("rb") as handle:
        markup = handle.read(512).lstrip().startswith(b"<")  # a host's "not found" page, served as 200
    if markup:
        download.unlink()
        report.notes.append(f"the show's cover at {url} is a web page, not an image: the placeholder stays")
        return
    os.replace(download, target)
    if _usable_art(target, report, "the show's cover", "the placeholder stays") is None:
        artwork.placeholder(target, title)  # config.toml names it: it must be there


def _usable_art(path: Path, report: Imported, what: str, instead: str = "left out") -> Path | None:
    """`path` as directories accept it (fixed when it can be, the original kept as .orig), or
    None when it is not an image (it is then removed)."""
    found = artwork.inspect(path)
    if found.ok:
        return path
    try:
        artwork.fix(path)
    except PodcastError:
        path.unlink(missing_ok=True)
        report.notes.append(f"{what} is not a usable image ({'; '.join(found.errors)}): {instead}")
        return None
    report.notes.append(f"{what}: {'; '.join(found.errors)}: fixed (the original kept as {path.name}.orig)")
    return path


# -- The record of the old feed -----------------------------------------------------------------


def _write_record(config: Config, show: Show, guid: str, source_url: str, feed: Path) -> None:
    """imported-feed.toml: the show's GUID and every item of the old feed (its GUID, date,
    length), merged with what an earlier import recorded (an entry, once written, never changes)."""
    items = (
        imported_feed.OldItem(item.guid, item.title, item.date.isoformat() if item.date else "", item.enclosure.length)
        for item in feedreader.read_items(feed, show.self_url)
        if isinstance(item, Item)
    )
    previous = imported_feed.load(config.root) or imported_feed.ImportedFeed()
    imported_feed.save(config.root, previous.merged(source_url, guid, items))


# -- The episodes ---------------------------------------------------------------------------------


def _known_guids(config: Config) -> dict[str, str]:
    """GUID → slug of the episodes already in the project (the truth: their episode.toml)."""
    known = {}
    for slug in episodes.all_slugs(config):
        with contextlib.suppress(PodcastError):
            ep = episodes.load(config, slug)
            if ep.meta.guid:
                known[ep.meta.guid] = slug
    return known


def _pending(config: Config, slug: str) -> bool:
    try:
        return episodes.load(config, slug).audio_pending
    except PodcastError:
        return False


def _import_items(config: Config, feed: Path, show: Show, options: Options, report: Imported, total: int) -> None:
    known = _known_guids(config)
    taken = set(episodes.all_slugs(config)) | {name for name, _ in episodes.strays(config)}
    bar = options.progress("import", float(max(total, 1)))
    stop = threading.Event()
    done = 0
    lock = threading.Lock()

    def advance(count: int) -> None:
        nonlocal done
        if stop.is_set():
            raise KeyboardInterrupt
        with lock:
            done += count
            bar.update(float(done))

    try:
        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            pending: dict[Future[Outcome], tuple[str, bool]] = {}
            try:
                for item in feedreader.read_items(feed, show.self_url):
                    if isinstance(item, Skipped):
                        report.left_out.append(f"{item.title}: {item.why}")
                        continue
                    if item.guid in known:
                        slug = known[item.guid]
                        if options.metadata_only or not _pending(config, slug):
                            report.skipped.append(f"{slug}: already imported")
                            continue
                        job = pool.submit(_complete_item, config, item, slug, advance)
                        pending[job] = (item.title, False)
                    else:
                        slug = unique_slug(item.title, taken)
                        taken.add(slug)
                        known[item.guid] = slug
                        job = pool.submit(_import_item, config, item, slug, show, options, advance)
                        pending[job] = (item.title, True)
                    if len(pending) >= 2 * options.jobs:
                        _collect(pending, report, wait(pending, return_when=FIRST_COMPLETED).done)
                _collect(pending, report, set(pending))
            except BaseException:
                stop.set()
                raise
    finally:
        bar.close()


def _collect(
    pending: dict[Future[Outcome], tuple[str, bool]], report: Imported, finished: set[Future[Outcome]]
) -> None:
    for job in finished:
        title, new = pending.pop(job)
        try:
            report.record(job.result(), new)
        except PodcastError as exc:
            report.failed.append(f"{title}: {exc}")


def unique_slug(title: str, taken: set[str]) -> str:
    """A slug from the title ("Doit-on refonder ?" → "doit-on-refonder"), not among `taken`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "episode"
    if base in episodes.WINDOWS_RESERVED:
        base = f"{base}-episode"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _import_item(
    config: Config, item: Item, slug: str, show: Show, options: Options, advance: Callable[[int], None]
) -> Outcome:
    """Build episodes/SLUG/ in a staging folder, renamed into place only when whole. Without its
    audio (a failed download, or --metadata-only) it is whole too: its audio is then pending."""
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", dir=config.episodes_dir))
    outcome = Outcome(slug)
    try:
        name = _media_name(item, slug)
        duration = None
        if options.metadata_only:
            outcome.pending = METADATA_ONLY
        else:
            try:
                duration = _media(config, item, staging / name, advance)
            except PodcastError as exc:
                outcome.pending = str(exc)
        extras = _extras(item, staging, duration, outcome)
        toml = _episode_toml(item, name, slug, show, options, extras)
        (staging / EPISODE_NAME).write_text(toml, encoding="utf-8")
        (staging / NOTES_NAME).write_text(notes.html_to_markdown(item.notes_html), encoding="utf-8")
        _proof(load_episode(staging / EPISODE_NAME, config.tz), duration)  # what we wrote must load
        os.rename(staging, config.episodes_dir / slug)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return outcome


def _proof(meta: Any, duration: float | None) -> None:
    """The chapters and soundbites written pass the feed's rules (the checks above kept only those)."""
    if duration is not None:
        chapter_rules.resolve(meta.chapters, "", None, duration)
        for bite in meta.soundbites:
            soundbite_rules.place(bite, None, duration)


def _complete_item(config: Config, item: Item, slug: str, advance: Callable[[int], None]) -> Outcome:
    """Fetch the pending audio of an episode imported before; check its chapters and soundbites
    against it, and bring what the feed has and the episode lacks (chapters, art, transcript).
    episode.toml is edited through the style-preserving writer, and only so; the audio is moved
    in last: until then the episode is still pending, and the next import starts again."""
    ep = episodes.load(config, slug)
    outcome = Outcome(slug)
    target = ep.sources[0]
    with tempfile.TemporaryDirectory(prefix=f".{slug}.", dir=config.episodes_dir) as tmp:
        staging = Path(tmp)
        try:
            duration = _media(config, item, staging / target.name, advance)
        except PodcastError as exc:
            outcome.pending = str(exc)
            return outcome
        chapters, dropped = chapter_rules.fitting(ep.meta.chapters, duration, EPISODE_NAME)
        bites, dropped_bites = soundbite_rules.fitting(ep.meta.soundbites, duration)
        outcome.dropped = dropped + dropped_bites
        added: list[ChapterDecl] = []
        if not ep.meta.chapters:
            added, dropped = chapter_rules.fitting(_chapters(item, outcome.dropped), duration, "the feed")
            outcome.dropped += dropped
        art = _item_art(item, staging) if not ep.meta.artwork else ""
        if art:
            os.replace(staging / art, ep.folder / art)
        if not ep.own_transcript.exists() and _transcript(item, staging):
            os.replace(staging / episodes.OWN_TRANSCRIPT, ep.own_transcript)
        with producer_files.edit(ep.folder / EPISODE_NAME, config.root) as document:
            starts, kept = {c.start for c in chapters}, {(b.start, b.duration) for b in bites}
            document.keep_rows("chapters", lambda row: str(row.get("start", "")) in starts)
            document.keep_rows("soundbites", lambda row: (str(row.get("start", "")), row.get("duration")) in kept)
            for chapter in added:
                document.append("chapters", {"start": chapter.start, "title": chapter.title, "url": chapter.url})
            if art:
                document.set("artwork", art)
        os.replace(staging / target.name, target)
    return outcome


@dataclass
class Extras:
    artwork: str = ""
    chapters: list[ChapterDecl] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)
    transcript: str = ""


def _media_name(item: Item, slug: str) -> str:
    """The audio's file name in the episode folder: the enclosure's, made safe."""
    name = feedreader.media_name(item.enclosure.url, slug)
    if "." not in name:
        name += "." + AUDIO_SUFFIXES.get(item.enclosure.type, "mp3")
    if name.split(".")[0].lower() in episodes.WINDOWS_RESERVED:  # CON.mp3 cannot exist on Windows
        name = f"{slug}-{name}"
    return name


def _media(config: Config, item: Item, target: Path, advance: Callable[[int], None]) -> float:
    """The enclosure, downloaded (resumably) and checked (audio, whole, as long as announced,
    never more than the feed declared, with a margin: hosts that insert ads serve more), moved
    to `target`; its duration."""
    cache = config.build_dir / "import" / "downloads"
    # by item and URL: two items may share an enclosure, and download it at the same time
    digest = hashlib.sha256(f"{item.guid}\n{item.enclosure.url}".encode()).hexdigest()[:20]
    declared = item.enclosure.length if item.enclosure.length >= PLACEHOLDER_LENGTH else 0
    limit = declared + max(declared, 16 << 20) if declared else web.MAX_DOWNLOAD
    downloaded = web.download(item.enclosure.url, cache / f"{digest}{target.suffix}", advance, limit=limit)
    if downloaded.size < declared / 2:  # the server cut it short, and said so in its Content-Length
        downloaded.path.unlink(missing_ok=True)
        raise ImportProblem(
            f"{item.enclosure.url}: the server sent {downloaded.size:,} bytes where the feed declares "
            f"{declared:,}: not the whole episode (run it again later)"
        )
    try:
        duration = ffmpeg.probe(downloaded.path).duration
    except PodcastError as exc:
        downloaded.path.unlink(missing_ok=True)
        raise ImportProblem(f"{item.enclosure.url}: not audio ({exc})") from None
    os.replace(downloaded.path, target)
    return duration


def _extras(item: Item, staging: Path, duration: float | None, outcome: Outcome) -> Extras:
    """Art, chapters, soundbites and transcript: what fits the audio (the feed's own rules;
    without the audio, its declared duration, then checked again when the audio comes)."""
    extras = Extras(artwork=_item_art(item, staging))
    length = duration if duration is not None else item.duration
    extras.chapters, dropped = chapter_rules.fitting(_chapters(item, outcome.dropped), length, "the feed")
    extras.soundbites, dropped_bites = soundbite_rules.fitting(
        [Soundbite(timecode.format(start), length_, title) for start, length_, title in item.soundbites], length
    )
    outcome.dropped += dropped + dropped_bites
    extras.transcript = _transcript(item, staging)
    return extras


def _item_art(item: Item, folder: Path) -> str:
    """The episode's own art, downloaded into `folder` (fixed if directories would refuse it);
    its file name, or '' when there is none usable."""
    if not item.image:
        return ""
    art = folder / ("cover.png" if item.image.lower().split("?")[0].endswith(".png") else "cover.jpg")
    with contextlib.suppress(PodcastError):
        web.download(item.image, art, limit=MAX_ART)
        if _usable_art(art, Imported(folder), "art") is not None:
            return art.name
    art.with_name(art.name + ".part").unlink(missing_ok=True)
    return ""


def _chapters(item: Item, dropped: list[str]) -> list[ChapterDecl]:
    """The item's chapters (inline Podlove, else Podcasting 2.0 JSON), as declared; a chapters
    file that cannot be read is left out, and `dropped` says why."""
    found = list(item.chapters)
    if not found and item.chapters_url:
        try:
            found = _json_chapters(item.chapters_url)
        except (PodcastError, ValueError) as exc:
            dropped.append(f"the chapters at {item.chapters_url} ({exc})")
    return [
        ChapterDecl(timecode.format(c.start), c.title[: chapter_rules.MAX_TITLE], Url(c.url))
        for c in found
        if c.start >= 0
    ]


def _json_chapters(url: str) -> list[feedreader.Chapter]:
    """Podcasting 2.0 JSON chapters: {"chapters": [{"startTime": 0, "title": "…"}, …]}."""
    data = safejson.loads(web.fetch(url, MAX_CHAPTERS)[0], limit=MAX_CHAPTERS)
    items = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError('not Podcasting 2.0 chapters (no "chapters" list)')
    found = []
    for number, chapter in enumerate(items, 1):
        if not isinstance(chapter, dict) or chapter.get("toc") is False:
            continue
        start, title = chapter.get("startTime"), feedreader.text(str(chapter.get("title", "")))
        if isinstance(start, bool) or not isinstance(start, int | float) or not math.isfinite(start):
            raise ValueError(f"chapter {number}: startTime is not a number of seconds")
        url = str(chapter.get("url", ""))
        if title:
            found.append(feedreader.Chapter(float(start), title, "" if url_problem(url) else url))
    return found


def _transcript(item: Item, staging: Path) -> str:
    """The feed's transcript, kept as the episode's own (WebVTT); '' when there is none usable."""
    ranked = sorted(
        (t for t in item.transcripts if t.type in TRANSCRIPT_PREFERENCE),
        key=lambda t: TRANSCRIPT_PREFERENCE.index(t.type),
    )
    for choice in ranked:
        try:
            data, _ = web.fetch(choice.url, MAX_TRANSCRIPT)
            cues = transcript_files.parse(data.decode("utf-8", "replace"), choice.type, choice.url)
        except PodcastError as exc:
            log.info("%s: transcript %s not usable (%s)", item.title, choice.url, exc)
            continue
        text = transcript_files.own_vtt(cues, f"imported from {choice.url}")
        (staging / episodes.OWN_TRANSCRIPT).write_text(text, encoding="utf-8")
        return episodes.OWN_TRANSCRIPT
    return ""


def _chosen(slug: str, chosen: tuple[str, ...]) -> bool:
    return "all" in chosen or slug in chosen


def _episode_toml(item: Item, media: str, slug: str, show: Show, options: Options, extras: Extras) -> str:
    document = producer_files.parse(
        f"# Imported from {show.self_url or 'a feed file'} by `podcast import`; the guid must never change.\n"
    )
    _head(document, item, media, slug, options, extras)
    _people_and_times(document, item, extras)
    document.set("edit.mode", "mix" if _chosen(slug, options.reprocess) else "as-is", "as-is: the same audio bytes")
    if options.retag:
        document.set("edit.retag", True)
    document.set_all(
        {
            "imported.feed": show.self_url,
            "imported.enclosure": item.enclosure.url,
            "imported.length": item.enclosure.length,
            "imported.type": item.enclosure.type,
            "imported.at": _now(),
        }
    )
    return document.text()


def _head(
    document: producer_files.Document, item: Item, media: str, slug: str, options: Options, extras: Extras
) -> None:
    date = item.date or dt.datetime.now(dt.UTC).replace(microsecond=0)
    document.set_all(
        {
            "title": item.title,
            "date": date,
            "guid": item.guid,
            "summary": notes.truncate_bytes(item.summary),
            "source": media,
            "episode_type": item.episode_type,
        }
    )
    optional: dict[str, producer_files.Value | None] = {
        "number": item.number,
        "season": item.season,
        "explicit": item.explicit,
        "location": item.location or None,
        "artwork": extras.artwork or None,
    }
    document.set_all({key: value for key, value in optional.items() if value is not None})
    if not _chosen(slug, options.transcribe):
        document.set("transcribe", False, "the feed's transcript, if any, is kept (transcript.vtt)")


def _people_and_times(document: producer_files.Document, item: Item, extras: Extras) -> None:
    for person in item.persons:
        row = {"name": person.name, "role": person.role or "guest", "url": person.href, "img": person.img}
        document.append("guests", row)
    for chapter in extras.chapters:
        document.append("chapters", {"start": chapter.start, "title": chapter.title, "url": chapter.url})
    for bite in extras.soundbites:
        document.append("soundbites", {"start": bite.start, "duration": bite.duration, "title": bite.title})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
