"""`podcast init` and `podcast new`: create a project and an episode from documented templates."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil
from podcast.core.errors import ConfigError, EpisodeError, MediaError
from podcast.core.text import text_problem, url_join, url_problem
from podcast.edges import ffmpeg
from podcast.edges import images as artwork
from podcast.project import episode as episodes
from podcast.project import producer_files
from podcast.project.config import CONFIG_NAME, EPISODE_NAME, FEED_NAME, NOTES_NAME, Config, load_config, load_episode
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
    guid = answers.guid or (
        guid_from_feed_url(url_join(answers.base_url, FEED_NAME)) if is_public(answers.base_url) else ""
    )
    document = producer_files.new_config()
    document.set_all(
        {
            "show.title": answers.title.strip(),
            "show.description": answers.description.strip(),
            "show.language": answers.language,
            "show.author": answers.author.strip(),
            "show.owner.name": (answers.owner or answers.author).strip(),
            "show.owner.email": answers.email.strip(),
            "show.base_url": answers.base_url.strip(),
            "show.guid": guid,
        }
    )
    _show_extras(document, answers)
    text = document.text()
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
        gitignore.write_text("build/\npublic/\n", encoding="utf-8")
        written.append(gitignore)
    return written


def _show_extras(document: producer_files.Document, answers: ShowAnswers) -> None:
    if answers.categories:
        document.set("show.categories", list(answers.categories))
    for key in ("type", "link", "copyright", "location", "license"):
        if value := getattr(answers, key):
            document.set(f"show.{key}", value)
    if answers.explicit:
        document.set("show.explicit", True)
    for name, role, href, img in answers.hosts:
        document.append("show.hosts", {"name": name, "role": role, "href": href, "img": img})
    for url, label in answers.funding:
        document.append("show.funding", {"url": url, "text": label})


def new_episode(config: Config, slug: str, title: str, sources: list[Path]) -> Path:
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
    numbers = [_number(config, s) for s in episodes.all_slugs(config)]
    number = max([n for n in numbers if n is not None], default=0) + 1
    document = producer_files.new_episode()
    document.set_all(
        {"title": title, "number": number, "date": _now(config), "source": names[0] if len(names) == 1 else names}
    )
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


def _now(config: Config) -> dt.datetime:
    """Now, to the minute, in the show's time zone: a new episode is never dated in the future
    (a bare date means 08:00, which is still to come early in the morning)."""
    return dt.datetime.now(config.tz).replace(second=0, microsecond=0, tzinfo=None)


def _check_recording(path: Path) -> None:
    if not path.is_file():
        raise EpisodeError(f"--source {path}: no such file")
    if path.stat().st_size == 0:
        raise EpisodeError(f"--source {path}: the file is empty (0 bytes)")
    try:
        ffmpeg.probe(path)
    except MediaError as exc:
        raise EpisodeError(f"--source {path}: {exc}") from None


def _number(config: Config, slug: str) -> int | None:
    try:
        return episodes.load(config, slug).meta.number
    except Exception:
        return None
