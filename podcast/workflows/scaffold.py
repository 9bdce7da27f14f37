"""`podcast init` and `podcast new`: create a project and an episode from documented templates."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import ConfigError, EpisodeError, MediaError, PodcastError
from podcast.core.report import Report
from podcast.core.text import text_problem, url_join, url_problem
from podcast.edges import ffmpeg
from podcast.edges import images as artwork
from podcast.project import episode as episodes
from podcast.project import producer_files
from podcast.project.config import (
    CONFIG_NAME,
    EPISODE_NAME,
    FEED_NAME,
    NOTES_NAME,
    Config,
    EpisodeMeta,
    load_config,
    load_episode,
)
from podcast.project.ids import guid_from_feed_url, is_public


@dataclass(frozen=True)
class ShowAnswers:
    """What `podcast init` asks (or is given as flags); `podcast import` gives the rest."""

    title: str
    author: str = ""
    email: str = ""
    description: str = ""
    language: str = "fr"
    base_url: str = "http://127.0.0.1:8000"
    owner: str = ""  # default: the author
    guid: str = ""  # default: fixed now only for a public base_url
    categories: tuple[str, ...] = ()
    explicit: bool = False
    type: str = "episodic"
    link: str = ""
    copyright: str = ""
    location: str = ""
    license: str = ""
    hosts: tuple[tuple[str, str, str, str], ...] = ()  # (name, role, href, img)
    funding: tuple[tuple[str, str], ...] = ()  # (url, text)


# What `init` writes beside config.toml: recordings and what the tool rebuilds or publishes stay
# out of the repository (the README's project layout says which); the producer's text stays in.
GITIGNORE = """\
# Written by `podcast init`. Commit config.toml, imported-feed.toml, artwork/ and, in each
# episodes/SLUG/, episode.toml, notes.md, transcript.vtt and marker files.
# Rebuilt at will, or published (the published folder is storage.path):
/build/
/public/
# Recordings and other audio: large, kept elsewhere (to version a jingle, add e.g. !jingles/*.wav)
*.wav
*.wave
*.bwf
*.rf64
*.w64
*.flac
*.aif
*.aiff
*.caf
*.mp3
*.m4a
*.aac
*.ogg
*.oga
*.opus
*.wma
*.mka
# What an interrupted run can leave (the next run removes it)
.*.part*
"""

AUDIO_PATTERNS = tuple(line for line in GITIGNORE.splitlines() if line.startswith("*."))


def show_values(answers: ShowAnswers) -> dict[str, producer_files.Value]:
    """config.toml's keys for `answers` (one home for the mapping, for `init` and `import`)."""
    guid = answers.guid or (
        guid_from_feed_url(url_join(answers.base_url, FEED_NAME)) if is_public(answers.base_url) else ""
    )
    values: dict[str, producer_files.Value] = {
        "show.title": answers.title.strip(),
        "show.description": answers.description.strip(),
        "show.language": answers.language,
        "show.author": answers.author.strip(),
        "show.owner.name": (answers.owner or answers.author).strip(),
        "show.owner.email": answers.email.strip(),
        "show.base_url": answers.base_url.strip(),
        "show.guid": guid,
    }
    if answers.categories:
        values["show.categories"] = list(answers.categories)
    for key in ("type", "link", "copyright", "location", "license"):
        if value := getattr(answers, key):
            values[f"show.{key}"] = value
    if answers.explicit:
        values["show.explicit"] = True
    return values


def host(name: str) -> tuple[str, str, str, str]:
    """A host as `init` asks for one: a name, the role "host"."""
    return (name.strip(), "host", "", "")


def host_row(name: str, role: str, href: str, img: str) -> producer_files.Row:
    return {"name": name, "role": role, "href": href, "img": img}


def config_document(answers: ShowAnswers) -> producer_files.Document:
    """config.toml as `init` writes it for `answers`: the documented template, filled."""
    document = producer_files.new_config()
    document.set_all(show_values(answers))
    for host in answers.hosts:
        document.append("show.hosts", host_row(*host))
    for url, label in answers.funding:
        document.append("show.funding", {"url": url, "text": label})
    return document


def answers_in(raw: dict[str, Any]) -> ShowAnswers:
    """The answers a config.toml (read as plain data) holds: what `init` would have been given
    to write it."""
    show = raw.get("show", {}) if isinstance(raw.get("show"), dict) else {}
    owner = show.get("owner", {}) if isinstance(show.get("owner"), dict) else {}

    def text(table: dict[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        return value if isinstance(value, str) else default

    rows = [h for h in show.get("hosts", []) if isinstance(h, dict)] if isinstance(show.get("hosts"), list) else []
    money = [f for f in show.get("funding", []) if isinstance(f, dict)] if isinstance(show.get("funding"), list) else []
    categories = show.get("categories", [])
    return ShowAnswers(
        title=text(show, "title"),
        author=text(show, "author"),
        email=text(owner, "email"),
        description=text(show, "description"),
        language=text(show, "language", "fr"),
        base_url=text(show, "base_url", "http://127.0.0.1:8000"),
        owner=text(owner, "name"),
        guid=text(show, "guid"),
        categories=tuple(c for c in categories if isinstance(c, str)) if isinstance(categories, list) else (),
        explicit=show.get("explicit") is True,
        type=text(show, "type", "episodic"),
        link=text(show, "link"),
        copyright=text(show, "copyright"),
        location=text(show, "location"),
        license=text(show, "license"),
        hosts=tuple((text(h, "name"), text(h, "role"), text(h, "href"), text(h, "img")) for h in rows),
        funding=tuple((text(f, "url"), text(f, "text")) for f in money),
    )


def untouched(root: Path) -> bool:
    """Whether config.toml is still exactly what `init` wrote (the template filled with the
    answers it holds): nobody has edited it, so what an import brings may fill it."""
    path = root / CONFIG_NAME
    try:
        text = fsutil.read_text(path, root)
        return config_document(answers_in(producer_files.read(path, root))).text() == text
    except (PodcastError, OSError):
        return False


def init(root: Path, answers: ShowAnswers) -> list[Path]:
    """A new project in `root`: config.toml (every key documented), a placeholder cover, the
    episode template and a .gitignore. Nothing is written unless the config it makes loads."""
    config_path = root / CONFIG_NAME
    if config_path.exists():
        raise ConfigError(f"{config_path} already exists: not overwriting it")
    if not answers.title.strip():
        raise ConfigError('the show needs a title: podcast init DIR --title "…"')
    if why := url_problem(answers.base_url):
        raise ConfigError(f"--base-url {why}")
    for name, *_ in answers.hosts:
        if why := text_problem(name):
            raise ConfigError(f"the host's name {why}")
    text = config_document(answers).text()
    with tempfile.TemporaryDirectory(prefix="podcast-init-") as tmp:
        (Path(tmp) / "artwork").mkdir()
        artwork.placeholder(Path(tmp) / "artwork" / "cover.jpg", answers.title)
        (Path(tmp) / CONFIG_NAME).write_text(text, encoding="utf-8")
        load_config(Path(tmp))  # what we wrote must load (an e-mail or a language that does not is refused)
        root.mkdir(parents=True, exist_ok=True)
        written = []
        cover = root / "artwork" / "cover.jpg"
        if not cover.exists():
            cover.parent.mkdir(exist_ok=True)
            shutil.copyfile(Path(tmp) / "artwork" / "cover.jpg", cover)
            written.append(cover)
        fsutil.write_text(config_path, text)
        written.append(config_path)
    example = root / "episodes" / "_example"
    example.mkdir(parents=True, exist_ok=True)
    sample = producer_files.new_episode()
    sample.set("date", dt.date.today())
    (example / EPISODE_NAME).write_text(sample.text(), encoding="utf-8")
    written.append(example / EPISODE_NAME)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        fsutil.write_text(gitignore, GITIGNORE)
        written.append(gitignore)
    return written


def create(root: Path, answers: ShowAnswers) -> Report:
    """`podcast init`: the project, what was written, and what to do next."""
    existing = (root / ".gitignore").exists()
    written = init(root, answers)
    out = Report()
    for path in written:
        out.info(f"created {path}")
    if existing:
        out.info(f"{root / '.gitignore'} was already there: left as it is (recordings belong outside git: *.wav …)")
    if not answers.hosts:
        out.info("no host named: add [[show.hosts]] in config.toml so transcripts and quotes name who speaks")
    into = "" if root.resolve() == Path.cwd().resolve() else f"cd {root} && "
    out.info(
        f'next: {into}podcast new SLUG --title "…" --source RECORDING.wav  '
        "(an existing show: `podcast import FEED-URL` instead)"
    )
    return out


def new_episode(config: Config, slug: str, title: str, sources: list[Path]) -> Path:
    """episodes/SLUG/ with episode.toml and notes.md, and the recordings copied in."""
    episodes.check_slug(slug)
    if not title.strip():
        raise EpisodeError("--title: an episode needs a title")
    if why := text_problem(title):
        raise EpisodeError(f"--title {why}")
    for path in sources:
        if why := text_problem(path.name):
            raise EpisodeError(f"--source {path.name!r}: the file name {why}")
    folder = config.episodes_dir / slug
    if folder.exists():
        raise EpisodeError(f"episode folder {folder} already exists")
    names = [p.name for p in sources]
    if len(set(names)) != len(names):
        raise EpisodeError("two --source files have the same name")
    for path in sources:
        _check_recording(path)
    others = [meta for meta in (_meta(config, s) for s in episodes.all_slugs(config)) if meta is not None]
    number = max([m.number for m in others if m.number is not None], default=0) + 1
    date = _date(config, [m.date for m in others if m.date is not None])
    document = producer_files.new_episode()
    document.set_all({"title": title, "number": number, "date": date, "source": names[0] if len(names) == 1 else names})
    config.episodes_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{slug}.", dir=config.episodes_dir) as tmp:
        staging = Path(tmp) / slug
        staging.mkdir()
        (staging / EPISODE_NAME).write_text(document.text(), encoding="utf-8")
        (staging / NOTES_NAME).write_text(producer_files.notes_text(title), encoding="utf-8")
        for path in sources:
            shutil.copy2(path, staging / path.name)
        load_episode(staging / EPISODE_NAME, config.tz)  # what we wrote must load
        staging.rename(folder)
    return folder


def new_report(config: Config, folder: Path, sources: list[Path]) -> Report:
    """What `podcast new` made, and the next step."""
    slug = folder.name
    out = Report()
    out.info(f"created {folder}")
    if sources:
        out.info(
            f"next: edit {EPISODE_NAME} and {NOTES_NAME} (guests, chapters, cuts), check with "
            f"`podcast publish {slug} --dry-run`, then `podcast publish {slug}`"
        )
    else:
        out.info(
            f"next: put the recording in {folder}/, name it in {EPISODE_NAME} "
            f'(source = "recording.wav"), then `podcast publish {slug}`'
        )
    return out


def _date(config: Config, taken: list[dt.datetime], now: dt.datetime | None = None) -> dt.datetime:
    """Now, to the minute, in the show's time zone: a new episode is never dated in the future
    (a bare date means 08:00, which is still to come early in the morning). An episode made in
    the same minute as another gets the seconds, after the other's: apps order episodes by
    pubDate, and two with the same one come in any order."""
    now = (now or dt.datetime.now(config.tz)).astimezone(config.tz).replace(microsecond=0, tzinfo=None)
    minute = now.replace(second=0)
    local = [d.astimezone(config.tz).replace(tzinfo=None) for d in taken]
    same = [d for d in local if minute <= d < minute + dt.timedelta(minutes=1)]  # not one scheduled later
    if not same:
        return minute
    return max(now, max(same) + dt.timedelta(seconds=1))


def _check_recording(path: Path) -> None:
    if not path.is_file():
        raise EpisodeError(f"--source {path}: no such file")
    if path.stat().st_size == 0:
        raise EpisodeError(f"--source {path}: the file is empty (0 bytes)")
    try:
        ffmpeg.probe(path)
    except MediaError as exc:
        raise EpisodeError(f"--source {path}: {exc}") from None


def _meta(config: Config, slug: str) -> EpisodeMeta | None:
    try:
        return episodes.load(config, slug).meta
    except PodcastError:
        return None
