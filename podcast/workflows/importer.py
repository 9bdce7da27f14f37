"""`podcast import SOURCE`: bring a show in from its current host, without its listeners noticing.

The show's settings fill a new project (an existing one is left as it is, with a note of what
differs), its podcast:guid is kept verbatim (or computed from the old feed URL by the
Podcasting 2.0 rule, as directories did), and each item becomes episodes/SLUG/ with its GUID
kept forever, its date, numbers, notes (HTML → Markdown, sanitised), guests, chapters,
soundbites, art and transcript, and its audio downloaded and published as it was, byte for byte.

An episode is imported whole or not at all: it is built in a staging folder renamed into place
at the end. Media download into build/import/downloads/ and resume after an interruption.
Importing again adds the new items and leaves the others exactly as they are (the producer may
have edited them). imported-feed.toml keeps every GUID, date and length the old feed had:
`podcast check` fails when one is missing from our feed or changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from podcast import pipeline
from podcast.core import timecode
from podcast.core.errors import ConfigError, ImportProblem, PodcastError
from podcast.core.progress import ProgressFactory, no_progress
from podcast.core.report import Report
from podcast.core.text import url_problem
from podcast.domain import feedreader, transcript_files
from podcast.domain.feedreader import Item, Show, Skipped
from podcast.edges import ffmpeg
from podcast.edges import http as web
from podcast.edges import images as artwork
from podcast.project import episode as episodes
from podcast.project import imported_feed, producer_files
from podcast.project.config import CONFIG_NAME, EPISODE_NAME, NOTES_NAME, Config, load_config, load_episode
from podcast.project.ids import guid_from_feed_url
from podcast.release import notes
from podcast.workflows import scaffold

log = logging.getLogger("podcast.importer")

AUDIO_SUFFIXES = {"audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/x-m4a": "m4a", "audio/mp4": "m4a", "audio/aac": "aac"}
TRANSCRIPT_PREFERENCE = ("text/vtt", "application/x-subrip", "application/srt", "text/srt", "application/json")


@dataclass(frozen=True)
class Options:
    owner: str = ""  # --owner EMAIL: must match a locked feed's owner
    mine: bool = False  # --yes-it-is-mine: import a locked feed without an owner to match
    reprocess: tuple[str, ...] = ()  # slugs (or "all"): edited and processed by our stages
    transcribe: tuple[str, ...] = ()  # slugs (or "all"): transcribed when the feed has no transcript
    retag: bool = False  # write our tags into the audio (changes its bytes)
    jobs: int = 3  # downloads at a time
    dry_run: bool = False
    progress: ProgressFactory = no_progress


@dataclass
class Imported:
    project: Path
    created: bool = False
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def report(self, dry_run: bool = False) -> Report:
        out = Report()
        if self.created and not dry_run:
            out.info(f"created {self.project} from the feed")
        for note in self.notes:
            out.warning(f"warning: {note}")
        if self.added:
            out.info(f"imported {len(self.added)} episode(s): {', '.join(self.added)}")
        if self.skipped:
            out.info(f"left as they are: {len(self.skipped)} episode(s) already imported")
        for line in self.left_out:
            out.warning(f"warning: not an episode: {line}")
        for line in self.failed:
            out.error(f"error: {line}")
        if self.failed:
            out.error(
                f"{len(self.failed)} episode(s) not imported: run the same command again to retry (downloads resume)"
            )
        elif not dry_run:
            out.info("next: `podcast publish --all`, then `podcast move` for the steps to move the feed")
        return out


def run(root: Path, source: str, options: Options) -> Imported:
    """Import the feed at `source` (an http(s) URL, or a feed file named explicitly) into `root`."""
    with tempfile.TemporaryDirectory(prefix="podcast-import-") as tmp:
        feed, source_url = _acquire(source, Path(tmp))
        show = feedreader.read_show(feed, source_url)
        _check_lock(show, options)
        guids, wanted = _survey(feed, show.self_url)
        report = Imported(root)
        report.notes += show.problems
        if show.new_feed_url:
            report.notes.append(f"the feed says it moved to {show.new_feed_url}: import that one if it is newer")
        if options.dry_run:
            return _dry_run(root, show, guids, wanted, report)
        if not (root / CONFIG_NAME).is_file():
            _create_project(root, show, source_url, report)
        config = load_config(root)
        with pipeline.lock(config):
            _compare_show(config, show, source_url, report)
            _write_record(config, show, source_url, feed)
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
    known = set(_known_guids(load_config(root))) if (root / CONFIG_NAME).is_file() else set()
    report.created = not (root / CONFIG_NAME).is_file()
    new = [g for g in guids if g not in known]
    report.notes.append(
        f"would import {len(new)} of {len(guids)} episode(s) of {show.title!r} (about {total / 1e6:.0f} MB of audio)"
        + (f"; {len(guids) - len(new)} already here" if known else "")
    )
    return report


# -- The show -------------------------------------------------------------------------------


def _create_project(root: Path, show: Show, source_url: str, report: Imported) -> None:
    guid = show.guid or (guid_from_feed_url(source_url or show.self_url) if (source_url or show.self_url) else "")
    hosts = tuple((p.name, p.role or "host", p.href, p.img) for p in show.persons if p.role in ("", "host", "co-host"))
    answers = scaffold.ShowAnswers(
        title=show.title,
        author=show.author or show.owner_name,
        email=show.owner_email if "@" in show.owner_email else "",
        description=show.description,
        language=show.language or "fr",
        owner=show.owner_name,
        guid=guid,
        categories=tuple(show.categories) or ("Society & Culture",),
        explicit=show.explicit,
        type=show.type,
        link=show.link,
        copyright=show.copyright,
        location=show.location,
        license=show.license,
        hosts=hosts,
        funding=tuple(show.funding),
    )
    try:
        scaffold.init(root, answers)
    except ConfigError as exc:  # e.g. an owner e-mail that is not one: import without it
        report.notes.append(f"{exc}: left empty")
        scaffold.init(root, scaffold.ShowAnswers(**{**vars(answers), "email": ""}))
    report.created = True
    if show.image:
        _show_artwork(root, show.image, report)


def _show_artwork(root: Path, url: str, report: Imported) -> None:
    """The show's cover, in place of the placeholder (a PNG is rewritten as the JPEG the
    config names; a cover directories would refuse is fixed, the original kept)."""
    target = root / "artwork" / "cover.jpg"
    download = target.with_name("cover-imported")
    try:
        web.download(url, download)
    except PodcastError as exc:
        report.notes.append(f"the show's cover could not be downloaded ({exc}): the placeholder stays")
        return
    os.replace(download, target)
    if _usable_art(target, report, "the show's cover") is None:
        artwork.placeholder(target, load_config(root).show.title)


def _usable_art(path: Path, report: Imported, what: str) -> Path | None:
    """`path` as directories accept it (fixed when it can be, the original kept as .orig), or
    None when it is not an image (it is then removed)."""
    found = artwork.inspect(path)
    if found.ok:
        return path
    try:
        artwork.fix(path)
    except PodcastError:
        path.unlink(missing_ok=True)
        report.notes.append(f"{what} is not a usable image ({'; '.join(found.errors)}): left out")
        return None
    report.notes.append(f"{what}: {'; '.join(found.errors)}: fixed (the original kept as {path.name}.orig)")
    return path


def _compare_show(config: Config, show: Show, source_url: str, report: Imported) -> None:
    """An existing project's config is the producer's: say what differs, change nothing."""
    if report.created:
        return
    expected = show.guid or (guid_from_feed_url(source_url) if source_url else "")
    if expected and config.show.guid != expected:
        report.notes.append(
            f'the feed\'s podcast:guid is {expected}: set guid = "{expected}" in [show] of config.toml, '
            "or directories will see a new show"
        )
    if show.title and show.title != config.show.title:
        report.notes.append(f"the feed's title is {show.title!r}; config.toml has {config.show.title!r}")


# -- The record of the old feed -----------------------------------------------------------------


def _write_record(config: Config, show: Show, source_url: str, feed: Path) -> None:
    """imported-feed.toml: every item of the old feed (its GUID, date, length), merged with what
    an earlier import recorded (an entry, once written, never changes)."""
    items = (
        imported_feed.OldItem(item.guid, item.title, item.date.isoformat() if item.date else "", item.enclosure.length)
        for item in feedreader.read_items(feed, show.self_url)
        if isinstance(item, Item)
    )
    previous = imported_feed.load(config.root) or imported_feed.ImportedFeed()
    imported_feed.save(config.root, previous.merged(source_url, show.guid, items))


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
            pending: dict[Future[str], str] = {}
            try:
                for item in feedreader.read_items(feed, show.self_url):
                    if isinstance(item, Skipped):
                        report.left_out.append(f"{item.title}: {item.why}")
                        continue
                    if item.guid in known:
                        report.skipped.append(f"{known[item.guid]}: already imported")
                        continue
                    slug = unique_slug(item.title, taken)
                    taken.add(slug)
                    known[item.guid] = slug
                    job = pool.submit(_import_item, config, item, slug, show, options, advance)
                    pending[job] = item.title
                    if len(pending) >= 2 * options.jobs:
                        _collect(pending, report, wait(pending, return_when=FIRST_COMPLETED).done)
                _collect(pending, report, set(pending))
            except BaseException:
                stop.set()
                raise
    finally:
        bar.close()


def _collect(pending: dict[Future[str], str], report: Imported, finished: set[Future[str]]) -> None:
    for job in finished:
        title = pending.pop(job)
        try:
            report.added.append(job.result())
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
) -> str:
    """Build episodes/SLUG/ in a staging folder, renamed into place only when whole."""
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", dir=config.episodes_dir))
    try:
        media = _media(config, item, slug, staging, advance)
        extras = _extras(item, staging, media)
        toml = _episode_toml(item, media, slug, show, options, extras)
        (staging / EPISODE_NAME).write_text(toml, encoding="utf-8")
        (staging / NOTES_NAME).write_text(notes.html_to_markdown(item.notes_html), encoding="utf-8")
        load_episode(staging / EPISODE_NAME, config.tz)  # what we wrote must load
        os.rename(staging, config.episodes_dir / slug)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return slug


@dataclass
class Extras:
    artwork: str = ""
    chapters: list[feedreader.Chapter] = field(default_factory=list)
    transcript: str = ""
    notes: list[str] = field(default_factory=list)


def _media(config: Config, item: Item, slug: str, staging: Path, advance: Callable[[int], None]) -> Path:
    """The enclosure, downloaded (resumably) and checked: audio, whole, as long as announced."""
    name = feedreader.media_name(item.enclosure.url, slug)
    if "." not in name:
        name += "." + AUDIO_SUFFIXES.get(item.enclosure.type, "mp3")
    cache = config.build_dir / "import" / "downloads"
    digest = hashlib.sha256(item.enclosure.url.encode()).hexdigest()[:20]
    downloaded = web.download(item.enclosure.url, cache / f"{digest}{Path(name).suffix}", advance)
    try:
        ffmpeg.probe(downloaded.path)
    except PodcastError as exc:
        downloaded.path.unlink(missing_ok=True)
        raise ImportProblem(f"{item.enclosure.url}: not audio ({exc})") from None
    target = staging / name
    os.replace(downloaded.path, target)
    return target


def _extras(item: Item, staging: Path, media: Path) -> Extras:
    extras = Extras()
    if item.image:
        art = staging / ("cover.png" if item.image.lower().split("?")[0].endswith(".png") else "cover.jpg")
        with contextlib.suppress(PodcastError):
            web.download(item.image, art)
            if _usable_art(art, Imported(staging), "art") is not None:
                extras.artwork = art.name
    duration = ffmpeg.probe(media).duration
    extras.chapters = _chapters(item, duration)
    extras.transcript = _transcript(item, staging)
    return extras


def _chapters(item: Item, duration: float) -> list[feedreader.Chapter]:
    """The item's chapters (inline Podlove, else Podcasting 2.0 JSON), cleaned up: in order,
    one per start time, inside the audio."""
    found = list(item.chapters)
    if not found and item.chapters_url:
        with contextlib.suppress(PodcastError, ValueError, KeyError, TypeError):
            data = json.loads(web.fetch(item.chapters_url, 4 << 20)[0])
            for chapter in data.get("chapters", []):
                if chapter.get("toc") is False:
                    continue
                title = feedreader.text(str(chapter.get("title", "")))
                url = str(chapter.get("url", "")) if not url_problem(str(chapter.get("url", ""))) else ""
                if title:
                    found.append(feedreader.Chapter(float(chapter["startTime"]), title, url))
    cleaned: dict[float, feedreader.Chapter] = {}
    for chapter in sorted(found, key=lambda c: c.start):
        if 0 <= chapter.start < duration and chapter.start not in cleaned:
            cleaned[round(chapter.start, 3)] = chapter
    return list(cleaned.values())


def _transcript(item: Item, staging: Path) -> str:
    """The feed's transcript, kept as the episode's own (WebVTT); '' when there is none usable."""
    ranked = sorted(
        (t for t in item.transcripts if t.type in TRANSCRIPT_PREFERENCE),
        key=lambda t: TRANSCRIPT_PREFERENCE.index(t.type),
    )
    for choice in ranked:
        try:
            data, _ = web.fetch(choice.url, 16 << 20)
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


def _episode_toml(item: Item, media: Path, slug: str, show: Show, options: Options, extras: Extras) -> str:
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
    document: producer_files.Document, item: Item, media: Path, slug: str, options: Options, extras: Extras
) -> None:
    date = item.date or dt.datetime.now(dt.UTC).replace(microsecond=0)
    document.set_all(
        {
            "title": item.title,
            "date": date,
            "guid": item.guid,
            "summary": notes.truncate_bytes(item.summary),
            "source": media.name,
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
        document.append(
            "chapters", {"start": timecode.format(chapter.start), "title": chapter.title[:255], "url": chapter.url}
        )
    for start, duration, title in item.soundbites:
        document.append("soundbites", {"start": timecode.format(start), "duration": duration, "title": title})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
