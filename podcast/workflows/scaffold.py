"""`podcast init` and `podcast new`: create a project and an episode from documented templates."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil
from podcast.core.errors import ConfigError, EpisodeError, MediaError
from podcast.edges import ffmpeg
from podcast.edges import images as artwork
from podcast.project import episode as episodes
from podcast.project.config import (
    CONFIG_NAME,
    EPISODE_NAME,
    FEED_NAME,
    NOTES_NAME,
    Config,
    load_config,
    load_episode,
    text_problem,
    url_join,
    url_problem,
)
from podcast.project.ids import guid_from_feed_url, is_public

CONFIG_TEMPLATE = """\
# podcast project configuration. Every key is optional unless marked; the values shown
# are the defaults. Credentials never go here: storage keys come from the environment
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an AWS profile.
# Any key can be overridden for one run: podcast --set audio.loudness=-18 publish --all

[show]
title = {title}               # the podcast's name (required)
description = {description}   # what the show is about (up to 4000 bytes)
language = {language}         # ISO 639-1 code of the spoken language
author = {author}             # shown as the artist in players and itunes:author
copyright = ""                # e.g. "Mon association" or "CC BY-SA 4.0 Mon association" (no © or year needed)
artwork = "artwork/cover.jpg" # square JPEG/PNG, 1400–3000 px, relative to this file (init made a placeholder)
categories = ["Society & Culture"]   # Apple categories; "Parent > Sub" for a subcategory
explicit = false
type = "episodic"             # "episodic" (newest first) or "serial"
link = ""                     # the show's website (default: its home page among the published files)
base_url = {base_url}   # where the published files are served from (CDN/bucket URL)
guid = {guid}   # podcast:guid: the show's identity; once public, never change it
# While base_url is a local preview, guid may stay empty (a GUID unique to this project is
# used). Before the first publication to a public base_url, `podcast check` asks you to fix it
# here, computed from the public feed URL (the Podcasting 2.0 rule).
timezone = "Europe/Paris"     # for episode dates written without a time zone
location = ""                 # podcast:location, e.g. "Montreuil"
license = ""                  # podcast:license, e.g. "cc-by-sa-4.0"
medium = "podcast"            # podcast:medium
locked = true                 # podcast:locked: no other host may import the feed without the owner
new_feed_url = ""             # only when the feed moves: itunes:new-feed-url

# [[show.hosts]]              # podcast:person, repeat for each host
# name = "Prénom Nom"
# role = "host"
# href = "https://…"
# img = "https://…/photo.jpg"
# voice = "voices/host.wav"   # 10-30 s of this host alone: names them in one-microphone episodes

# [[show.funding]]            # podcast:funding
# url = "https://…/don"
# text = "Soutenir l'association"

[show.links]                  # subscribe links on the web pages
apple = ""
spotify = ""
antennapod = ""
pocketcasts = ""

[show.owner]
name = {owner}                # contact for directories (itunes:owner), not shown to listeners
email = {email}               # Spotify and Podcast Index verify the show with it (podcast:locked)

[storage]
kind = "local"                # where `podcast upload` publishes: "local" (a folder) or "s3"
path = "public"               # kind = "local": the folder, laid out exactly as a web server serves it
bucket = ""                   # kind = "s3": the bucket; show.base_url is the URL that serves it (or the CDN)
prefix = ""                   # keys go under this prefix (show.base_url then serves the prefix)
region = ""                   # e.g. "fr-par" (Scaleway), "eu-west-3" (AWS)
endpoint_url = ""             # for S3-compatible stores, e.g. "https://s3.fr-par.scw.cloud"
addressing_style = "auto"     # "path" for MinIO/SeaweedFS, "virtual" for most clouds
profile = ""                  # an AWS profile name; otherwise AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
multipart_mb = 16             # files larger than this are sent in parallel parts
part_mb = 8
concurrency = 4

[audio]
channels = 1                  # 1 = mono (speech), 2 = stereo
bitrate = 0                   # MP3 kbps, CBR; 0 = 96 for mono, 128 for stereo
sample_rate = 44100
loudness = -16.0              # integrated loudness target, LUFS (-19 is usual for mono)
true_peak = -1.0              # true-peak ceiling, dBTP
tolerance = 1.0               # the delivered file must be within ±tolerance LU of the target
cleanup = "speech"            # "speech" (high-pass, hum notches, gentle denoise), "none", "custom"
filters = ""                  # ffmpeg filter chain used when cleanup = "custom"
format = "mp3"                # delivery format: "mp3" (CBR) or "m4a" (AAC)
trim_silence = true           # trim silence before the first and after the last word
silence_threshold = -45.0     # dBFS below which it is silence (after an 80 Hz high-pass)
pause_max = 0.0               # shorten pauses longer than this many seconds; 0 = never
pause_target = 1.0            # ... to this length
intro = ""                    # intro jingle (relative to this file); an episode may override it
outro = ""                    # outro jingle
jingle_overlap = 1.0          # seconds a jingle crossfades with the speech
bed = ""                      # music bed under the speech, looped and ducked when people talk
bed_level = -24.0             # dB applied to the bed
balance = true                # voices on separate channels (or tracks): match their loudness
leveler = false               # one microphone: gently even out speakers and distance

[transcribe]
enabled = true
model = "base"                # "base" (bundled, multilingual), "tiny.en", or a CTranslate2 folder
language = "fr"               # or "auto" to detect
device = "auto"               # "auto" uses CUDA when available, else the CPU (int8)
compute_type = "default"
beam_size = 5
patience = 2.0                # beam search patience (measured: better French WER for ~10 % more time)
batch_size = 4                # chunks decoded together: ~2x faster than 0 (sequential); 8: more memory
threads = 0                   # 0 = all cores
vad = true                    # voice activity detection: skips silences, avoids hallucinations
window_minutes = 10           # decode this much audio at a time: memory stays flat on 3-hour files
speakers = "auto"             # who said what: "auto" (stereo channels, else the voices), "channels", "voices", "none"
allow_download = false        # allow a model *name* (small, large-v3) to download from the hub
glossary = []                 # proper nouns to help recognition: ["ATD Quart Monde", ...]
glossary_prompt = "list"      # how Whisper is given the glossary: "list", "sentence", "hotwords", "none"
glossary_match = true         # after decoding, near-misses of a glossary name ("ATD car monde") are replaced
require_review = false        # publish refuses an episode whose transcript was not proofread (podcast review)

[transcribe.corrections]      # wrong = "right", applied after transcription
# "atd car monde" = "ATD Quart Monde"

[serve]
bind = "127.0.0.1"            # `podcast serve`: use 0.0.0.0 to preview from a phone on the LAN
port = 8000
"""

EPISODE_TEMPLATE = """\
title = {title}
number = {number}             # episode number (itunes:episode)
season = 1
date = {date}   # publication date and time (show.timezone); a future date waits in the feed
summary = ""                  # one paragraph, plain text (the feed's description)
source = {source}   # recording file(s) in this folder, joined in order; never modified
draft = false                 # true keeps the episode out of the feed
location = ""                 # where it was recorded

# [[guests]]
# name = "Prénom Nom"
# role = "guest"
# org = "Organisation"
# bio = "Une phrase de présentation."
# url = "https://…"

# [[chapters]]                # times in the recording; or timestamped lines in notes.md
# start = "00:04:10"
# title = "Territoires zéro chômeur"

# [speakers]                  # who is on which channel of a stereo recording
# left = "Prénom Hôte"
# right = "Prénom Invitée"
# tracks = ["Prénom Hôte", "Prénom Invitée"]   # multitrack episodes: each source's speaker

# [corrections]               # transcript fixes for this episode: wrong = "right"
# "isabelle bouillé" = "Isabelle Bouyer"

# [[soundbites]]              # podcast:soundbite: a highlight apps can preview
# start = "00:12:30"
# duration = 30.0
# title = "Apprendre des personnes qui vivent la pauvreté"

[edit]
mode = "mix"                  # "mix": sources joined end to end; "multitrack": one file per microphone, mixed
cuts = []                     # time ranges to remove, source timeline: ["00:12:03.5-00:12:10", "1500-1512.5"]
# markers = "labels.txt"      # the editor's markers (Audacity, Reaper, Audition, Hindenburg, WAV cues):
                              # regions are cut, points are chapters
# intro = "jingles/special.wav"   # override the show's jingles ("" = none for this episode)
# outro = ""
# trim_silence = false
# pause_max = 3.0
"""

NOTES_TEMPLATE = """\
{title}

Write the show notes here in Markdown: what the episode is about, the guest, links.
A line that starts with a timestamp in the recording, such as `00:04:10 Territoires zéro
chômeur`, becomes a chapter (unless episode.toml declares [[chapters]]).
"""


def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


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


def _with(text: str, key: str, value: str) -> str:
    """The template with the first `key = ...` line's value replaced (its comment kept)."""
    start = text.index(f"\n{key} = ") + 1
    end = text.index("\n", start)
    line = text[start:end]
    comment = line[line.index("#") :] if "#" in line else ""
    return text[:start] + f"{key} = {value}" + (f"   {comment}" if comment else "") + text[end:]


def _tables(text: str, marker: str, tables: list[str]) -> str:
    return text.replace(marker, "\n\n".join([*tables, marker])) if tables else text


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
    text = CONFIG_TEMPLATE.format(
        title=toml_str(answers.title.strip()),
        description=toml_str(answers.description.strip()),
        language=toml_str(answers.language),
        author=toml_str(answers.author.strip()),
        owner=toml_str((answers.owner or answers.author).strip()),
        email=toml_str(answers.email.strip()),
        base_url=toml_str(answers.base_url.strip()),
        guid=toml_str(guid),
    )
    text = _show_extras(text, answers)
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
    (example / EPISODE_NAME).write_text(
        EPISODE_TEMPLATE.format(
            title=toml_str("Titre de l'épisode"),
            number=1,
            date=dt.date.today().isoformat(),
            source=toml_str("enregistrement.wav"),
        ),
        encoding="utf-8",
    )
    written.append(example / EPISODE_NAME)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("build/\npublic/\n", encoding="utf-8")
        written.append(gitignore)
    return written


def _show_extras(text: str, answers: ShowAnswers) -> str:
    if answers.categories:
        text = _with(text, "categories", "[" + ", ".join(toml_str(c) for c in answers.categories) + "]")
    for key in ("type", "link", "copyright", "location", "license"):
        if value := getattr(answers, key):
            text = _with(text, key, toml_str(value))
    if answers.explicit:
        text = _with(text, "explicit", "true")
    hosts = [
        "[[show.hosts]]\n"
        + "\n".join(f"{k} = {toml_str(v)}" for k, v in zip(("name", "role", "href", "img"), host, strict=True) if v)
        for host in answers.hosts
    ]
    text = _tables(text, "# [[show.hosts]]", hosts)
    funding = [f"[[show.funding]]\nurl = {toml_str(url)}\ntext = {toml_str(label)}" for url, label in answers.funding]
    return _tables(text, "# [[show.funding]]", funding)


def generate_artwork(config: Config, *, force: bool = False) -> tuple[Path, Path | None]:
    """`podcast artwork generate`: the placeholder cover again, with the show's current title."""
    path = config.artwork_path or config.root / "artwork" / "cover.jpg"
    if config.artwork_path is None:
        raise ConfigError('show.artwork is empty: set artwork = "artwork/cover.jpg" in config.toml first')
    return path, artwork.generate(path, config.show.title, force=force)


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
    source = toml_str(names[0]) if len(names) == 1 else "[" + ", ".join(toml_str(n) for n in names) + "]"
    config.episodes_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{slug}.", dir=config.episodes_dir) as tmp:
        staging = Path(tmp) / slug
        staging.mkdir()
        (staging / EPISODE_NAME).write_text(
            EPISODE_TEMPLATE.format(
                title=toml_str(title), number=number, date=_now(config), source=source if names else "[]"
            ),
            encoding="utf-8",
        )
        (staging / NOTES_NAME).write_text(NOTES_TEMPLATE.format(title=title), encoding="utf-8")
        for path in sources:
            shutil.copy2(path, staging / path.name)
        load_episode(staging / EPISODE_NAME, config.tz)  # what we wrote must load
        staging.rename(folder)
    return folder


def _now(config: Config) -> str:
    """Now, to the minute, in the show's time zone: a new episode is never dated in the future
    (a bare date means 08:00, which is still to come early in the morning)."""
    return dt.datetime.now(config.tz).replace(second=0, microsecond=0, tzinfo=None).isoformat()


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
