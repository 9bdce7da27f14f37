"""`podcast init` and `podcast new`: create a project and an episode from documented templates."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
from pathlib import Path

from . import episode as episodes
from . import ffmpeg
from .config import CONFIG_NAME, EPISODE_NAME, NOTES_NAME, Config, load_episode, url_join
from .errors import ConfigError, EpisodeError, MediaError
from .ids import PODCAST_GUID_NAMESPACE

CONFIG_TEMPLATE = """\
# podcast project configuration. Every key is optional unless marked; the values shown
# are the defaults. Credentials never go here: storage keys come from the environment
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an AWS profile.
# Any key can be overridden for one run: podcast --set audio.loudness=-18 publish --all

[show]
title = {title}               # the podcast's name (required in practice)
description = ""              # what the show is about (up to 4000 bytes)
language = "fr"               # ISO 639-1 code of the spoken language
author = ""                   # shown as the artist in players and itunes:author
copyright = ""                # e.g. "© 2026 Mon association"
artwork = ""                  # square JPEG/PNG, 1400–3000 px, relative to this file
categories = ["Society & Culture"]   # Apple categories; "Parent > Sub" for a subcategory
explicit = false
type = "episodic"             # "episodic" (newest first) or "serial"
link = ""                     # the show's website
base_url = "http://127.0.0.1:8000"   # where the published files are served from (CDN/bucket URL)
guid = "{guid}"   # podcast:guid, computed once from the feed URL: never change it
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

# [[show.funding]]            # podcast:funding
# url = "https://…/don"
# text = "Soutenir l'association"

[show.links]                  # subscribe links on the web pages
apple = ""
spotify = ""
antennapod = ""
pocketcasts = ""

[show.owner]
name = ""                     # contact for directories (itunes:owner), not shown to listeners
email = ""

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
speakers = "channels"         # stereo recording with one voice per channel: label each segment
allow_download = false        # allow a model *name* (small, large-v3) to download from the hub
glossary = []                 # proper nouns to help recognition: ["ATD Quart Monde", ...]

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
date = {date}   # publication date; a future date waits in the feed
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

# [corrections]               # transcript fixes for this episode: wrong = "right"
# "isabelle bouillé" = "Isabelle Bouyer"

# [[soundbites]]              # podcast:soundbite: a highlight apps can preview
# start = "00:12:30"
# duration = 30.0
# title = "Apprendre des personnes qui vivent la pauvreté"

[edit]
cuts = []                     # time ranges to remove, source timeline: ["00:12:03.5-00:12:10", "1500-1512.5"]
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


def init(root: Path, title: str = "Mon podcast") -> list[Path]:
    config_path = root / CONFIG_NAME
    if config_path.exists():
        raise ConfigError(f"{config_path} already exists: not overwriting it")
    root.mkdir(parents=True, exist_ok=True)
    feed_url = url_join("http://127.0.0.1:8000", "feed.xml").split("://", 1)[1]
    guid = uuid.uuid5(PODCAST_GUID_NAMESPACE, feed_url)
    written = []
    config_path.write_text(CONFIG_TEMPLATE.format(title=toml_str(title), guid=guid), encoding="utf-8")
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


def new_episode(config: Config, slug: str, title: str, sources: list[Path]) -> Path:
    episodes.check_slug(slug)
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
                title=toml_str(title), number=number, date=dt.date.today().isoformat(), source=source if names else "[]"
            ),
            encoding="utf-8",
        )
        (staging / NOTES_NAME).write_text(NOTES_TEMPLATE.format(title=title), encoding="utf-8")
        for path in sources:
            shutil.copy2(path, staging / path.name)
        load_episode(staging / EPISODE_NAME, config.tz)  # what we wrote must load
        staging.rename(folder)
    return folder


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
