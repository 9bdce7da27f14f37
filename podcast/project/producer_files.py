"""The files the producer edits: `config.toml`, each `episode.toml`, each `notes.md`.

One reader and one writer for them. Reading gives plain data (`tomllib`, errors with line and
column). Writing goes through tomlkit, so the producer's comments, key order and layout are
kept: a key the tool sets is changed in place (its comment kept), a table the tool adds is
appended, and everything else stays byte for byte. `init`, `new`, `import`, `markers import`
and accepted suggestions all write through here; new files start from the documented templates
below (data, filled through the same writer, so every value is escaped by the TOML library).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from podcast.core import fsutil
from podcast.core.errors import ConfigError, PodcastError

Value = str | int | float | bool | dt.date | dt.datetime | Sequence[str] | Sequence[int]
Row = Mapping[str, Value]


def read(path: Path, root: Path | None = None) -> dict[str, Any]:
    """A TOML file as a dict (UTF-8, a byte-order mark accepted; with `root`, only inside it)."""
    try:
        return tomllib.loads(_text(path, root))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _text(path: Path, root: Path | None) -> str:
    try:
        return fsutil.read_text(path, root)
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found") from None
    except PodcastError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None


@dataclass
class Document:
    """A producer's TOML file being edited: set keys, add tables, then `text()`."""

    doc: TOMLDocument
    changed: list[str] = field(default_factory=list)

    def get(self, dotted: str) -> Any:
        table: Any = self.doc
        for part in dotted.split("."):
            if not isinstance(table, Mapping) or part not in table:
                return None
            table = table[part]
        return table.unwrap() if hasattr(table, "unwrap") else table

    def set(self, dotted: str, value: Value, comment: str = "") -> None:
        """Set `section.key` (tables made as needed); an unchanged value is left untouched."""
        *sections, key = dotted.split(".")
        table = self._table(sections)
        current = table.get(key)
        plain = current.unwrap() if hasattr(current, "unwrap") else current
        if plain == (list(value) if isinstance(value, tuple) else value) and key in table:
            return
        item = tomlkit.item(list(value) if isinstance(value, tuple) else value)
        if comment:
            item.comment(comment)
        elif key in table:
            old = table.item(key) if hasattr(table, "item") else None
            if old is not None and old.trivia.comment:
                item.trivia.comment = old.trivia.comment
                item.trivia.comment_ws = old.trivia.comment_ws
        table[key] = item
        self.changed.append(dotted)

    def set_all(self, values: Mapping[str, Value]) -> None:
        for dotted, value in values.items():
            self.set(dotted, value)

    def append(self, dotted: str, row: Row, at: int | None = None) -> None:
        """Add one `[[section.name]]` table (a guest, a chapter, a host), empty values left out;
        at the end, or before the `at`-th one (chapters stay in order)."""
        *sections, key = dotted.split(".")
        table = self._table(sections)
        rows = table.get(key)
        if rows is None:
            rows = tomlkit.aot()
            table[key] = rows
        elif not isinstance(rows, AoT):
            raise ConfigError(f"{dotted} is not a list of tables ([[{dotted}]]): cannot add to it")
        item = tomlkit.table()
        for name, value in row.items():
            if value not in ("", None, [], ()):
                item[name] = list(value) if isinstance(value, tuple) else value
        if at is None or at >= len(rows):
            rows.append(item)
        else:
            rows.insert(at, item)
        self.changed.append(f"[[{dotted}]]")

    def keep_rows(self, dotted: str, keep: Callable[[Mapping[str, Any]], bool]) -> None:
        """Remove the `[[section.name]]` tables for which `keep` (given each as plain data) is
        false; the others stay as they were written, comments included."""
        *sections, key = dotted.split(".")
        table = self._table(sections)
        rows = table.get(key)
        if not isinstance(rows, AoT):
            return
        for index in reversed(range(len(rows))):
            if not keep(rows[index].unwrap()):
                del rows[index]
                self.changed.append(f"-[[{dotted}]]")
        if not len(rows):
            del table[key]

    def remove(self, dotted: str) -> None:
        *sections, key = dotted.split(".")
        table = self._table(sections)
        if key in table:
            del table[key]
            self.changed.append(f"-{dotted}")

    def _table(self, sections: list[str]) -> Any:
        table: Any = self.doc
        for part in sections:
            if part not in table:
                table[part] = tomlkit.table()
            table = table[part]
            if not isinstance(table, Table | TOMLDocument):
                raise ConfigError(f"'{part}' is not a table: cannot set keys inside it")
        return table

    def text(self) -> str:
        return tomlkit.dumps(self.doc)


def parse(text: str, name: str = "template") -> Document:
    try:
        return Document(tomlkit.parse(text))
    except TOMLKitError as exc:
        raise ConfigError(f"{name}: invalid TOML: {exc}") from None


def open_document(path: Path, root: Path | None = None) -> Document:
    return parse(_text(path, root), str(path))


@contextlib.contextmanager
def edit(
    path: Path, root: Path | None = None, *, dry_run: bool = False, check: Callable[[str], object] | None = None
) -> Iterator[Document]:
    """Edit a producer's file in place: written (atomically) only when a value changed, and
    refused when the file changed on disk while we edited it (an editor saved it meanwhile).
    `check` is given the new text first, and raises to refuse it (nothing is then written)."""
    before = _text(path, root)
    document = parse(before, str(path))
    yield document
    if not document.changed or dry_run:
        return
    text = document.text()
    tomllib.loads(text)  # what we write must read back (tomlkit escapes; this is the proof)
    if check is not None:
        check(text)
    if _text(path, root) != before:
        raise ConfigError(f"{path} changed while podcast was editing it: nothing written, run the command again")
    fsutil.write_text(path, text)


def write_new(path: Path, document: Document) -> None:
    """A new file (refused if one exists: the producer's files are never overwritten)."""
    if path.exists():
        raise ConfigError(f"{path} already exists: not overwriting it")
    text = document.text()
    tomllib.loads(text)
    fsutil.write_text(path, text)


def append_notes(path: Path, text: str, root: Path | None = None, *, dry_run: bool = False) -> None:
    """Add a block to `notes.md` after what the producer wrote (never rewriting their text)."""
    before = _text(path, root) if path.exists() else ""
    if dry_run:
        return
    joined = before.rstrip("\n") + ("\n\n" if before.strip() else "") + text.strip("\n") + "\n"
    fsutil.write_text(path, joined)


CONFIG_TEMPLATE = """\
# podcast project configuration. Every key is optional unless marked; the values shown
# are the defaults. Credentials never go here: storage keys come from the environment
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or an AWS profile.
# Any key can be overridden for one run: podcast --set audio.loudness=-18 publish --all

[show]
title = "Mon podcast"         # the podcast's name (required)
description = ""              # what the show is about (up to 4000 bytes)
language = "fr"               # ISO 639-1 code of the spoken language
author = ""                   # shown as the artist in players and itunes:author
copyright = ""                # e.g. "Mon association" or "CC BY-SA 4.0 Mon association" (no © or year needed)
artwork = "artwork/cover.jpg" # square JPEG/PNG, 1400–3000 px, relative to this file (init made a placeholder)
categories = ["Society & Culture"]   # Apple categories; "Parent > Sub" for a subcategory
explicit = false
type = "episodic"             # "episodic" (newest first) or "serial"
link = ""                     # the show's website (default: its home page among the published files)
base_url = "http://127.0.0.1:8000"   # where the published files are served from (CDN/bucket URL)
guid = ""                     # podcast:guid: the show's identity; once public, never change it
# While base_url is a local preview, guid may stay empty (a GUID unique to this project is
# used). Before the first publication to a public base_url, `podcast check` asks you to fix it
# here, computed from the public feed URL (the Podcasting 2.0 rule).
timezone = "Europe/Paris"     # for episode dates written without a time zone
location = ""                 # podcast:location, e.g. "Montreuil"
license = ""                  # podcast:license, e.g. "cc-by-sa-4.0"
medium = "podcast"            # podcast:medium
locked = true                 # podcast:locked: no other host may import the feed without the owner
new_feed_url = ""             # only when the feed moves: itunes:new-feed-url
# ai_content = false          # podcast:txt purpose="ai-content": was AI used to make the show? Our
                              # transcripts, chapters and suggested cuts are machine-made; decide
                              # with https://shouldidisclose.ai (an episode may say otherwise)
artwork_alt = ""              # what the cover shows, for people who cannot see it (podcast:image alt)
block = []                    # podcast:block: platforms the show opts out of, e.g. ["youtube"]; ["all"] = every one

# [[show.txt]]                # podcast:txt, repeat: free text, or a directory's ownership token
# text = "S6lpp-7ZCn8-dZfGc-OoyaG"
# purpose = "verify"          # "verify", "applepodcastsverify", or a service's name

# [show.update_frequency]     # podcast:updateFrequency: the release rhythm apps show
# rrule = "FREQ=MONTHLY"      # an RFC 5545 rule, or "auto": the rhythm of the episodes published so far
# text = "Un épisode par mois"   # default: the rhythm in words
# dtstart = 2024-01-01        # needed with COUNT in the rule
# complete = false            # true: the series is finished

# [[show.podroll]]            # podcast:podroll: partner shows you recommend (`podcast podroll add URL`)
# guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"   # their podcast:guid (else computed from url)
# url = "https://…/feed.xml"
# title = "Une émission amie"

# [show.publisher]            # podcast:publisher: the association's publisher feed
# guid = "…"                  # (`podcast podroll publisher URL` fills it in)
# url = "https://…/publisher.xml"

# [[show.social]]             # podcast:socialInteract: where listeners comment on the show
# uri = "https://mastodon.social/@association/112233"
# protocol = "activitypub"    # activitypub, atproto, nostr, matrix, hive, twitter, lightning, disabled
# account_id = "@association@mastodon.social"
# account_url = "https://mastodon.social/@association"

# [[show.hosts]]              # podcast:person, repeat for each host
# name = "Prénom Nom"
# role = "host"
# href = "https://…"
# img = "https://…/photo.jpg"
# voice = "voices/host.wav"   # 10-30 s of this host alone: names them in one-microphone episodes

# [[show.funding]]            # podcast:funding
# url = "https://…/don"
# text = "Soutenir l'association"

[show.links]                  # the show's page in each directory: a subscribe button on the web pages
                              # (`podcast directories` walks you through submitting the feed)
apple = ""                    # https://podcasts.apple.com/…/id123456789 (also gives Overcast's and Pocket Casts' links)
spotify = ""
deezer = ""
antennapod = ""               # empty: made from the feed URL
pocketcasts = ""              # empty: made from the Apple ID, or from a public feed URL
overcast = ""                 # empty: made from the Apple ID
podcastaddict = ""            # empty: made from a public feed URL
podcastindex = ""             # https://podcastindex.org/podcast/123 (`podcast directories` writes it)
amazon = ""

[show.theme]                  # the web pages' look (templates/ in the project overrides the pages)
accent = "#8a1c2b"            # the show's colour, #rrggbb (darkened on the pages where text needs contrast)
logo = ""                     # an image in the project shown beside the title, e.g. "artwork/logo.png"

[show.owner]
name = ""                     # contact for directories (itunes:owner), not shown to listeners
email = ""                    # Spotify and Podcast Index verify the show with it (podcast:locked)

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
light = ""                    # a lighter second rendition for listeners on mobile data: "opus" (Ogg,
                              # about a third of the MP3's bytes) or "aac" (M4A, for players without Opus)
light_bitrate = 0             # kb/s; 0 = 32 per channel for Opus, 48 for AAC (measured: see the README)

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

[notify]                      # tell apps at once when the feed changed (only then), after it is published
websub_hub = ""               # a WebSub hub, e.g. "https://pubsubhubbub.appspot.com/" (also <atom:link rel="hub">)
podping = false               # Podping through podping.cloud; the token comes from $PODCAST_PODPING_TOKEN
podping_url = "https://podping.cloud/"
attempts = 4                  # tries per notification (waiting 1, 2, 4 s between); a failure is a warning
timeout = 10.0                # seconds per try

[serve]
bind = "127.0.0.1"            # `podcast serve`: use 0.0.0.0 to preview from a phone on the LAN
port = 8000

[stats]                       # `podcast stats`: downloads counted the IAB way from the access logs
prefix = ""                   # an analytics prefix for enclosure URLs, e.g. "https://op3.dev/e/" (GUIDs never change)
ip_daily_limit = 100          # downloads from one IP address in one day above this are left out (0: no limit)
# Where the logs are (none listed: `podcast serve`'s own log, build/serve/access.log):
# [[stats.logs]]
# format = "s3"               # S3 server access logs, read from a bucket (only new objects each run)
# bucket = "my-show-logs"
# prefix = "logs/"
# [[stats.logs]]
# format = "cloudfront"       # CloudFront standard logs: from a bucket (bucket, prefix) or files
# files = ["/var/log/cloudfront/*.gz"]
# [[stats.logs]]
# format = "combined"         # nginx or Apache "combined" logs, rotated and gzipped ones included
# files = ["/var/log/nginx/access.log*"]
"""

EPISODE_TEMPLATE = """\
title = "Titre de l'épisode"
number = 1                    # episode number (itunes:episode)
season = 1
date = 2024-01-01             # publication date and time (show.timezone); a future date waits in the feed
summary = ""                  # one paragraph, plain text (the feed's description)
source = "enregistrement.wav" # recording file(s) in this folder, joined in order; never modified
draft = false                 # true keeps the episode out of the feed
location = ""                 # where it was recorded
episode_type = "full"         # "full", "bonus", or "trailer" (also offered as the show's podcast:trailer)
# ai_content = false          # podcast:txt purpose="ai-content" for this episode (default: the show's)

# [[txt]]                     # podcast:txt for this episode
# text = "…"
# purpose = ""

# [[social]]                  # podcast:socialInteract: the post where listeners comment on this episode
# uri = "https://mastodon.social/@association/112233"
# account_id = "@association@mastodon.social"

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
Write the show notes here in Markdown: what the episode is about, the guest, links.
A line that starts with a timestamp in the recording, such as `00:04:10 Territoires zéro
chômeur`, becomes a chapter (unless episode.toml declares [[chapters]]).
"""


def new_config() -> Document:
    return parse(CONFIG_TEMPLATE, "config template")


def new_episode() -> Document:
    return parse(EPISODE_TEMPLATE, "episode template")


def notes_text(title: str) -> str:
    return f"{title}\n\n{NOTES_TEMPLATE}"
