"""config.toml and episode.toml → frozen, validated objects. The one place for defaults.

Every table is declared once as a dataclass; `_build` checks keys and types against the
declaration, so an unknown key, a wrong type or a bad date fails at start-up with the file
and the key in the message, never halfway through a run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NewType, TypeVar
from zoneinfo import ZoneInfo

from podcast.core import fsutil
from podcast.core.errors import ConfigError
from podcast.core.text import Url, text_problem, url_join, url_problem
from podcast.domain import apple, namespace
from podcast.domain.chapters import ChapterDecl
from podcast.domain.soundbites import Soundbite
from podcast.project import producer_files

# A web address a listener's app or browser follows: http(s) only (no javascript:, data:, ...).
# An e-mail address (itunes:owner, podcast:locked owner).
Email = NewType("Email", str)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

CONFIG_NAME = "config.toml"
FEED_NAME = "feed.xml"  # the feed's name beside the published files
EPISODE_NAME = "episode.toml"
NOTES_NAME = "notes.md"
DEFAULT_TZ = "Europe/Paris"

# Names that look like credentials: refused in any config file with a pointer to the fix.
SECRET_KEYS = {
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "access_key",
    "secret_key",
    "secret",
    "password",
    "token",
    "access_key_id",
    "secret_access_key",
}


@dataclass(frozen=True)
class Owner:
    name: str = ""
    email: Email = Email("")


@dataclass(frozen=True)
class Person:
    name: str
    role: str = "host"
    href: Url = Url("")  # a page about the person
    img: Url = Url("")  # a picture URL
    voice: str = ""  # a short recording of this person alone (in the project): names them in one-mic episodes


@dataclass(frozen=True)
class Funding:
    url: Url
    text: str = ""


@dataclass(frozen=True)
class Links:
    """The show's page in each directory, for the web pages' subscribe buttons (`podcast
    directories` says where to find it once the show is listed). Empty: no button, except where a
    link works from the feed URL alone (AntennaPod; Podcast Addict and Pocket Casts for a public
    feed) or from the Apple Podcasts ID (Overcast, Pocket Casts)."""

    apple: Url = Url("")
    spotify: Url = Url("")
    deezer: Url = Url("")
    antennapod: Url = Url("")
    pocketcasts: Url = Url("")
    overcast: Url = Url("")
    podcastindex: Url = Url("")
    amazon: Url = Url("")
    podcastaddict: Url = Url("")


@dataclass(frozen=True)
class Theme:
    """The web pages' look: the show's colour (links, buttons; darkened where needed so text
    keeps a 4.5:1 contrast) and a logo beside the title."""

    accent: str = "#8a1c2b"  # a colour as #rrggbb
    logo: str = ""  # an image in the project (PNG, JPEG, WebP), shown in the pages' header


@dataclass(frozen=True)
class Txt:
    """podcast:txt: free text, or a directory's token (purpose = "verify")."""

    text: str
    purpose: str = ""


@dataclass(frozen=True)
class RemoteFeed:
    """Another show (podcast:remoteItem): by its podcast:guid, or by its feed URL."""

    guid: str = ""
    url: Url = Url("")
    title: str = ""


@dataclass(frozen=True)
class UpdateFrequency:
    """podcast:updateFrequency: the release rhythm apps show and plan their polling by."""

    rrule: str = ""  # an RFC 5545 rule ("FREQ=MONTHLY"), or "auto": from the publication history
    text: str = ""  # what apps display (default: the rhythm in the show's language)
    dtstart: dt.datetime | None = None
    complete: bool = False  # the series is finished: no more episodes


@dataclass(frozen=True)
class Social:
    """podcast:socialInteract: the post where listeners comment (a fediverse toot...)."""

    uri: Url = Url("")
    protocol: Literal["activitypub", "atproto", "nostr", "matrix", "hive", "twitter", "lightning", "disabled"] = (
        "activitypub"
    )
    account_id: str = ""  # e.g. "@association@mastodon.social"
    account_url: Url = Url("")
    priority: int | None = None


@dataclass(frozen=True)
class Show:
    title: str = "Mon podcast"
    description: str = ""
    language: str = "fr"
    author: str = ""
    owner: Owner = Owner()
    artwork: str = ""
    categories: tuple[str, ...] = ("Society & Culture",)
    explicit: bool = False
    link: Url = Url("")  # the show's website (default: its home page among the published files)
    base_url: Url = Url("http://127.0.0.1:8000")
    guid: str = ""
    type: Literal["episodic", "serial"] = "episodic"
    copyright: str = ""
    timezone: str = DEFAULT_TZ
    hosts: tuple[Person, ...] = ()
    funding: tuple[Funding, ...] = ()
    location: str = ""
    license: str = ""  # e.g. "cc-by-sa-4.0"
    medium: Literal["podcast", "music", "video", "film", "audiobook", "newsletter", "blog"] = "podcast"
    locked: bool = True  # podcast:locked: other hosts may not import the feed without the owner
    new_feed_url: Url = Url("")  # set when the feed moves: itunes:new-feed-url
    links: Links = Links()
    theme: Theme = Theme()
    ai_content: bool | None = None  # podcast:txt purpose="ai-content": unset = not yet decided
    txt: tuple[Txt, ...] = ()
    podroll: tuple[RemoteFeed, ...] = ()
    publisher: RemoteFeed | None = None
    update_frequency: UpdateFrequency = UpdateFrequency()
    social: tuple[Social, ...] = ()
    block: tuple[str, ...] = ()  # podcast:block: service slugs the show opts out of ("all": every one)
    artwork_alt: str = ""  # what the cover shows, for people who cannot see it (podcast:image alt)


@dataclass(frozen=True)
class Notify:
    """Telling apps at once that the feed changed, instead of waiting for them to poll."""

    websub_hub: Url = Url("")  # e.g. "https://pubsubhubbub.appspot.com/"
    podping: bool = False  # podping.cloud, with the token in $PODCAST_PODPING_TOKEN
    podping_url: Url = Url("https://podping.cloud/")
    attempts: int = 4  # tries per notification, with back-off (1, 2, 4 s...)
    timeout: float = 10.0  # seconds per try


@dataclass(frozen=True)
class StorageSettings:
    kind: Literal["local", "s3"] = "local"
    path: str = "public"  # kind = "local": the folder
    bucket: str = ""  # kind = "s3"
    prefix: str = ""  # keys go under this prefix; show.base_url serves the prefix's root
    region: str = ""
    endpoint_url: Url = Url("")  # any S3-compatible store: Scaleway, OVH, R2, B2, MinIO, SeaweedFS
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    profile: str = ""  # an AWS profile name (~/.aws/credentials); else the environment
    multipart_mb: int = 16  # files above this size go in parallel parts
    part_mb: int = 8
    concurrency: int = 4


@dataclass(frozen=True)
class Audio:
    channels: Literal[1, 2] = 1
    bitrate: int = 0  # kbps; 0 = 96 for mono, 128 for stereo
    sample_rate: Literal[44100, 48000] = 44100
    loudness: float = -16.0
    true_peak: float = -1.0
    tolerance: float = 1.0
    cleanup: Literal["speech", "none", "custom"] = "speech"
    filters: str = ""  # ffmpeg filter chain for cleanup = "custom"
    format: Literal["mp3", "m4a"] = "mp3"
    trim_silence: bool = True
    silence_threshold: float = -45.0  # dBFS, after an 80 Hz high-pass
    pause_max: float = 0.0  # shorten pauses longer than this (seconds); 0 = never
    pause_target: float = 1.0
    intro: str = ""  # jingle files, relative to the project folder
    outro: str = ""
    jingle_overlap: float = 1.0
    bed: str = ""  # music bed under the speech, looped and ducked
    bed_level: float = -24.0  # dB applied to the bed before ducking
    balance: bool = True  # match the loudness of voices recorded on separate channels or tracks
    leveler: bool = False  # even out speakers and distance on a one-microphone recording (gentle)
    # A lighter second rendition for listeners on mobile data, offered beside the MP3
    # (podcast:alternateEnclosure, the web player's <source>): "opus" (Ogg), "aac" (M4A), or "".
    light: Literal["", "opus", "aac"] = ""
    light_bitrate: int = 0  # kb/s; 0 = the measured choice (LIGHT_KBPS)

    @property
    def kbps(self) -> int:
        return self.bitrate or (96 if self.channels == 1 else 128)

    @property
    def light_kbps(self) -> int:
        return self.light_bitrate or LIGHT_KBPS[self.light] * self.channels if self.light else 0


# Chosen from benchmarks/rendition.py (French speech, against the clean-up output): per channel.
LIGHT_KBPS = {"opus": 32, "aac": 48}
LIGHT_RANGE = {"opus": (12, 128), "aac": (24, 192)}


_WHISPER_CODES = (  # the language codes faster-whisper accepts
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr "
    "ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc "
    "pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo yue "
    "zh"
)
WHISPER_LANGUAGES = frozenset(_WHISPER_CODES.split())


@dataclass(frozen=True)
class Transcribe:
    enabled: bool = True
    model: str = "base"
    language: str = "fr"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "default"
    beam_size: int = 5
    patience: float = 2.0  # beam search patience: measured -0.01 WER on French for +10 % time
    batch_size: int = 4  # batched decoding, ~2x faster than sequential (0) at a better WER here; 8: more memory
    threads: int = 0
    vad: bool = True
    window_minutes: int = 10  # audio is decoded window by window: memory stays flat for 3-hour files
    # who said what: "auto" = the stereo channels when each holds one voice, else the voices
    # themselves (diarisation, one microphone); "channels", "voices", or "none"
    speakers: Literal["auto", "channels", "voices", "none"] = "auto"
    allow_download: bool = False
    glossary: tuple[str, ...] = ()
    # how the glossary reaches Whisper: the bare list (measured best: a sentence naming the
    # terms was copied verbatim), a sentence, faster-whisper's hotwords, or not at all; and
    # after decoding, near-misses replaced by the terms
    glossary_prompt: Literal["list", "sentence", "hotwords", "none"] = "list"
    glossary_match: bool = True
    require_review: bool = False  # publish refuses an episode whose transcript nobody proofread
    corrections: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Serve:
    bind: str = "127.0.0.1"
    port: int = 8000


@dataclass(frozen=True)
class LogSource:
    """Where `podcast stats` reads access logs."""

    format: Literal["s3", "cloudfront", "combined", "serve"]
    bucket: str = ""  # s3, cloudfront: the log bucket (credentials as for storage)
    prefix: str = ""  # the logs' key prefix in that bucket
    files: tuple[str, ...] = ()  # combined, cloudfront: files or glob patterns (.gz read too)
    region: str = ""  # default: storage.region
    endpoint_url: Url = Url("")  # default: storage.endpoint_url
    profile: str = ""  # default: storage.profile


@dataclass(frozen=True)
class Stats:
    prefix: Url = Url("")  # an analytics prefix for enclosure URLs (OP3, Podtrac...): "https://op3.dev/e/"
    ip_daily_limit: int = 100  # IAB step 1.2: downloads from one IP in one day above this are left out
    logs: tuple[LogSource, ...] = ()  # none: `podcast serve`'s own log


@dataclass(frozen=True)
class Config:
    root: Path
    show: Show = Show()
    storage: StorageSettings = StorageSettings()
    audio: Audio = Audio()
    transcribe: Transcribe = Transcribe()
    serve: Serve = Serve()
    stats: Stats = Stats()
    notify: Notify = Notify()

    @property
    def episodes_dir(self) -> Path:
        return self.root / "episodes"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def public_dir(self) -> Path:
        return (self.root / self.storage.path).resolve()

    @property
    def serve_log(self) -> Path:
        """The access log `podcast serve` writes (combined format), which `podcast stats` reads."""
        return self.build_dir / "serve" / "access.log"

    @property
    def artwork_path(self) -> Path | None:
        return self.root / self.show.artwork if self.show.artwork else None

    @property
    def feed_url(self) -> str:
        return url_join(self.show.base_url, FEED_NAME)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.show.timezone)


@dataclass(frozen=True)
class Guest:
    name: str
    role: str = "guest"
    org: str = ""
    bio: str = ""
    url: Url = Url("")
    img: Url = Url("")  # a picture URL


@dataclass(frozen=True)
class Edit:
    # "mix": the sources joined end to end, edited and processed; "as-is": the one source
    # published byte for byte (an imported episode); "multitrack": one file per microphone.
    mode: Literal["mix", "as-is", "multitrack"] = "mix"
    retag: bool | None = None  # write our tags into the file (default: yes, except as-is)
    markers: str = ""  # an editor's marker file in the episode folder: its regions cut, its points chapters
    cuts: tuple[str, ...] = ()
    intro: str | None = None  # None: the show's; "": none for this episode
    outro: str | None = None
    trim_silence: bool | None = None
    pause_max: float | None = None


@dataclass(frozen=True)
class Imported:
    """Where an imported episode came from (written by `podcast import`, informational)."""

    feed: Url = Url("")
    enclosure: Url = Url("")
    length: int = 0
    type: str = ""
    at: str = ""


@dataclass(frozen=True)
class Speakers:
    left: str = ""  # default: the show's first host
    right: str = ""  # default: the episode's first guest
    tracks: tuple[str, ...] = ()  # multitrack: each source's speaker (default: hosts, then guests)


@dataclass(frozen=True)
class EpisodeMeta:
    title: str
    number: int | None = None
    season: int | None = None
    date: dt.datetime | None = None
    summary: str = ""
    source: tuple[str, ...] = ()
    guests: tuple[Guest, ...] = ()
    location: str = ""
    draft: bool = False
    explicit: bool | None = None
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    guid: str = ""
    artwork: str = ""  # episode art, a file in the episode folder (default: the show's)
    chapters: tuple[ChapterDecl, ...] = ()
    soundbites: tuple[Soundbite, ...] = ()
    speakers: Speakers = Speakers()
    corrections: Mapping[str, str] = field(default_factory=dict)  # transcript fixes for this episode
    transcribe: bool | None = None  # false: no Whisper for this episode (default: the show's setting)
    edit: Edit = Edit()
    imported: Imported | None = None
    ai_content: bool | None = None  # default: the show's
    txt: tuple[Txt, ...] = ()
    social: tuple[Social, ...] = ()  # where listeners comment on this episode


# ---------------------------------------------------------------------------------------
# Loading


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds config.toml."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def resolve_project(explicit: Path | None) -> Path:
    if explicit is not None:
        root = explicit
    elif env := os.environ.get("PODCAST_PROJECT"):
        root = Path(env)
    else:
        found = find_project(Path.cwd().resolve())
        if found is None:
            raise ConfigError(
                f"no {CONFIG_NAME} in {Path.cwd()} or any folder above it (run `podcast init` or pass --project DIR)"
            )
        return found
    if not (root / CONFIG_NAME).is_file():
        raise ConfigError(f"{root / CONFIG_NAME}: not found (run `podcast init {root}`)")
    return root.resolve()


def load_config(root: Path, overrides: Mapping[str, str] | None = None) -> Config:
    path = root / CONFIG_NAME
    raw = producer_files.read(path)
    for dotted, value in (overrides or {}).items():
        _apply_override(raw, dotted, value, path)
    return _config(root, raw)


def check_config_text(root: Path, text: str) -> Config:
    """The config `text` would be as root's config.toml: a writer's proof before it writes."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{root / CONFIG_NAME}: invalid TOML: {exc}") from None
    return _config(root, raw)


def _config(root: Path, raw: dict[str, Any]) -> Config:
    path = root / CONFIG_NAME
    config = _build(Config, raw, path, "", root=root)
    _check_config(config, path)
    return config


def load_episode(path: Path, tz: ZoneInfo, root: Path | None = None) -> EpisodeMeta:
    raw = producer_files.read(path, root)
    if isinstance(raw.get("source"), str):
        raw["source"] = [raw["source"]]
    meta = _build(EpisodeMeta, raw, path, "", tz=tz)
    if meta.edit.mode == "as-is" and len(meta.source) > 1:
        raise ConfigError(f'{path}: [edit] mode = "as-is" publishes one file as it is: name one source')
    if meta.edit.mode == "multitrack" and len(meta.source) < 2:
        raise ConfigError(f'{path}: [edit] mode = "multitrack" mixes one file per microphone: name two sources or more')
    for name in meta.source:  # a recording may be named explicitly outside the project
        if not Path(name).is_absolute():
            _file_name(path, name)
    for name in (meta.artwork, meta.edit.markers, *(c.img for c in meta.chapters)):
        if name:
            _file_name(path, name)
    if problem := _txt_problem(meta.txt, "txt") or _social_problem(meta.social, "social"):
        raise ConfigError(f"{path}: {problem}")
    return meta


def _file_name(path: Path, name: str) -> None:
    if Path(name).name != name or name in (".", ".."):
        raise ConfigError(
            f"{path}: '{name}' must be a file name inside the episode folder (or, for a recording, an absolute path)"
        )


def _apply_override(raw: dict[str, Any], dotted: str, value: str, path: Path) -> None:
    section, _, key = dotted.rpartition(".")
    if not section or not key:
        raise ConfigError(f"--set {dotted}: expected SECTION.KEY=VALUE")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    table = raw
    for part in section.split("."):
        table = table.setdefault(part, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: --set {dotted}: '{part}' is not a table")
    table[key] = parsed


MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def _check_config(config: Config, path: Path) -> None:
    """Rules that involve more than one key's type; each names the key and the fix."""
    for rule in _RULES:
        if problem := rule(config):
            raise ConfigError(f"{path}: {problem}")


def _artwork_exists(config: Config) -> str:
    art = config.artwork_path
    if art is None:
        return ""
    if not fsutil.inside(art, config.root):
        return f"show.artwork: {art} leads outside the project: put the cover in the project folder"
    return f"show.artwork: file not found: {art}" if not art.is_file() else ""


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def _theme(config: Config) -> str:
    theme = config.show.theme
    if not _COLOUR.match(theme.accent):
        return f'show.theme.accent: {theme.accent!r} is not a colour: write it as #rrggbb, e.g. "#8a1c2b"'
    if not theme.logo:
        return ""
    logo = config.root / theme.logo
    if not fsutil.inside(logo, config.root):
        return f"show.theme.logo: {theme.logo} leads outside the project: put the logo in the project folder"
    if logo.suffix.lower() not in LOGO_SUFFIXES:
        return f"show.theme.logo: {theme.logo} must be a PNG, JPEG or WebP image"
    return "" if logo.is_file() else f"show.theme.logo: file not found: {logo}"


def _base_url(config: Config) -> str:
    return "" if config.show.base_url else "show.base_url: the URL the published files are served from is required"


def _language(config: Config) -> str:
    language, model = config.transcribe.language, config.transcribe.model
    if language != "auto" and language not in WHISPER_LANGUAGES:
        return f'transcribe.language: Whisper does not know \'{language}\' (use e.g. "fr" or "auto")'
    if model.endswith(".en") and language != "en":
        return f'transcribe.model: {model} knows only English: set transcribe.language = "en"'
    return ""


def _storage(config: Config) -> str:
    storage = config.storage
    if storage.kind == "s3" and not storage.bucket:
        return 'storage.bucket is required when storage.kind = "s3"'
    if storage.prefix.startswith("/") or ".." in storage.prefix.split("/"):
        return "storage.prefix must be a relative path without '..'"
    return _published_folder(config) if storage.kind == "local" else ""


def _published_folder(config: Config) -> str:
    """The local published folder is served to the world and pruned by the tool: it must
    never hold or contain the producer's files or the build."""
    folder, root = config.public_dir, config.root.resolve()
    why = ""
    if not config.storage.path.strip():
        why = "is empty"
    elif folder == root or root.is_relative_to(folder):
        why = f"is {'the project folder' if folder == root else 'an ancestor of the project'} ({folder})"
    elif folder.is_relative_to(config.episodes_dir.resolve()):
        why = f"is inside episodes/, where the producer's files are ({folder})"
    elif folder.is_relative_to(config.build_dir.resolve()):
        why = f"is inside build/ ({folder})"
    elif folder.exists() and not folder.is_dir():
        why = f"is a file ({folder})"
    return f'storage.path {why}: use a folder of its own, e.g. "public"' if why else ""


def _categories(config: Config) -> str:
    for index, category in enumerate(config.show.categories):
        if why := apple.problem(category):
            return f"show.categories[{index}]: {why}"
    return ""


def _timezone(config: Config) -> str:
    try:
        config.tz  # noqa: B018 - validates the zone name
    except Exception:
        return f"show.timezone: unknown time zone '{config.show.timezone}'"
    return ""


def _audio_files(config: Config) -> str:
    for key in ("intro", "outro", "bed"):
        name = getattr(config.audio, key)
        path = config.root / name
        if name and not Path(name).is_absolute() and not fsutil.inside(path, config.root):
            return f"audio.{key}: {name} leads outside the project: write its absolute path to use it from there"
        if name and not path.is_file():
            return f"audio.{key}: file not found: {path}"
    return ""


def _notify(config: Config) -> str:
    notify = config.notify
    if notify.attempts < 1 or notify.attempts > 10:
        return "notify.attempts must be between 1 and 10"
    if not 0 < notify.timeout <= 120:
        return "notify.timeout must be between 0 and 120 seconds"
    return ""


def _audio_levels(config: Config) -> str:
    audio = config.audio
    if audio.cleanup == "custom" and not audio.filters:
        return 'audio.filters is required when audio.cleanup = "custom"'
    if not -40 <= audio.loudness <= -5:
        return "audio.loudness must be between -40 and -5 LUFS"
    if not -9 <= audio.true_peak <= 0:
        return "audio.true_peak must be between -9 and 0 dBTP"
    if audio.kbps not in MP3_BITRATES:
        return f"audio.bitrate: {audio.kbps} is not an MP3 bitrate"
    return _light(audio)


def _light(audio: Audio) -> str:
    if not audio.light:
        return "audio.light_bitrate is set but audio.light is not" if audio.light_bitrate else ""
    low, high = LIGHT_RANGE[audio.light]
    if not low <= audio.light_kbps <= high:
        return f"audio.light_bitrate: {audio.light_kbps} kb/s is outside {low}-{high} for {audio.light}"
    if audio.light == "aac" and audio.format == "m4a":
        return 'audio.light = "aac" would repeat audio.format = "m4a": use "opus", or "" for none'
    return ""


def _stats(config: Config) -> str:
    stats = config.stats
    if stats.prefix and not stats.prefix.endswith("/"):
        return f"stats.prefix: {stats.prefix!r} must end with '/' (the enclosure URL is written after it)"
    if stats.ip_daily_limit < 0:
        return "stats.ip_daily_limit: use 0 (no limit) or a positive number"
    for index, log in enumerate(stats.logs):
        if why := _log_source(log):
            return f"stats.logs[{index}]: {why}"
    return ""


def _log_source(log: LogSource) -> str:
    needs = {
        "s3": ("a bucket: set bucket (and prefix)", bool(log.bucket)),
        "combined": ('files: set files = ["/var/log/nginx/access.log*"]', bool(log.files)),
        "cloudfront": ("a bucket (bucket, prefix) or files: set one", bool(log.bucket or log.files)),
    }
    what, given = needs.get(log.format, ("", True))
    if not given:
        return f'format = "{log.format}" reads {what}'
    return "set bucket or files, not both" if log.bucket and log.files else ""


def _txt_problem(entries: tuple[Txt, ...], key: str) -> str:
    for index, txt in enumerate(entries):
        where = f"{key}[{index}]"
        if not txt.text.strip():
            return f"{where}.text is empty: write the text (or the directory's token), or remove the entry"
        if len(txt.text) > namespace.TXT_MAX:
            return f"{where}.text has {len(txt.text)} characters: apps truncate after {namespace.TXT_MAX}"
        if len(txt.purpose) > namespace.PURPOSE_MAX:
            return f"{where}.purpose is over {namespace.PURPOSE_MAX} characters"
        if txt.purpose.strip().lower() in namespace.RESERVED_PURPOSES:
            return f'{where}: purpose "{txt.purpose}" is set with ai_content = true or false, not as text'
    return ""


def _social_problem(entries: tuple[Social, ...], key: str) -> str:
    for index, social in enumerate(entries):
        if social.protocol != "disabled" and not social.uri:
            return f'{key}[{index}].uri is required (the post where listeners comment), or protocol = "disabled"'
    return ""


def _remote_problem(feed: RemoteFeed, key: str) -> str:
    if not feed.guid and not feed.url:
        return f"{key} needs guid (the show's podcast:guid) or url (its feed): `podcast podroll add URL` finds both"
    return ""


def _show_tags(config: Config) -> str:
    show = config.show
    problems = [
        _txt_problem(show.txt, "show.txt"),
        _social_problem(show.social, "show.social"),
        *(_remote_problem(feed, f"show.podroll[{i}]") for i, feed in enumerate(show.podroll)),
        _remote_problem(show.publisher, "show.publisher") if show.publisher else "",
        _block_problem(show.block),
        _frequency_problem(show.update_frequency),
    ]
    return next((p for p in problems if p), "")


def _block_problem(block: tuple[str, ...]) -> str:
    for slug in block:
        if slug != namespace.BLOCK_ALL and slug not in namespace.SERVICE_SLUGS:
            close = difflib.get_close_matches(slug, namespace.SERVICE_SLUGS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"show.block: '{slug}' is not a service of the Podcasting 2.0 list{hint}"
    return ""


def _frequency_problem(freq: UpdateFrequency) -> str:
    if freq.rrule and freq.rrule != "auto" and (why := namespace.rrule_problem(freq.rrule, freq.dtstart is not None)):
        return f"show.update_frequency.rrule {why}"
    if len(freq.text) > namespace.SHORT_TEXT_MAX:
        return f"show.update_frequency.text is over {namespace.SHORT_TEXT_MAX} characters: apps truncate it"
    return ""


_RULES: tuple[Callable[[Config], str], ...] = (
    _stats,
    _artwork_exists,
    _theme,
    _base_url,
    _language,
    _storage,
    _categories,
    _timezone,
    _audio_files,
    _audio_levels,
    _show_tags,
    _notify,
)


# ---------------------------------------------------------------------------------------
# Declarative validation of a TOML table against a dataclass


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: type[T], table: Mapping[str, Any], path: Path, prefix: str, **ctx: Any) -> T:
    hints = _hints(typing.cast(Any, cls))
    names = [f.name for f in dataclasses.fields(cls)]
    for key in table:
        if key not in names or key == "root":
            _unknown_key(path, prefix, key, names)
    values: dict[str, Any] = {"root": ctx["root"]} if "root" in names else {}
    for f in dataclasses.fields(cls):
        if f.name == "root":
            continue
        if f.name not in table:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{path}: missing required key '{prefix}{f.name}'")
            continue
        values[f.name] = _coerce(hints[f.name], table[f.name], path, f"{prefix}{f.name}", ctx)
    return cls(**values)


def _unknown_key(path: Path, prefix: str, key: str, names: list[str]) -> None:
    if key.lower() in SECRET_KEYS:
        raise ConfigError(
            f"{path}: '{prefix}{key}' looks like a credential; credentials never go in config "
            "files: set them in the environment (AWS_ACCESS_KEY_ID, ...) or an AWS profile"
        )
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
    raise ConfigError(f"{path}: unknown key '{prefix}{key}'{hint}")


def _coerce(hint: Any, value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(hint)
    if hint is Path:
        return value
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce(inner[0], value, path, key, ctx)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: '{key}' must be a table")
        return _build(typing.cast(type, hint), value, path, f"{key}.", **ctx)
    compound = _COMPOUND.get(origin)
    if compound is not None:
        return compound(hint, value, path, key, ctx)
    parser = _SCALARS.get(hint)
    if parser is None:
        raise TypeError(f"no parser for {hint!r}")
    return parser(value, path, key, ctx)


def _literal(hint: Any, value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> Any:
    args = typing.get_args(hint)
    if value not in args or type(value) is not type(args[0]):
        choices = ", ".join(repr(a) for a in args)
        raise ConfigError(f"{path}: '{key}' must be one of {choices}, not {value!r}")
    return value


def _tuple(hint: Any, value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> Any:
    if not isinstance(value, list):
        raise ConfigError(f"{path}: '{key}' must be a list")
    item = typing.get_args(hint)[0]
    return tuple(_coerce(item, v, path, f"{key}[{i}]", ctx) for i, v in enumerate(value))


def _mapping(hint: Any, value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> Any:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{path}: '{key}' must be a table of strings")
    return dict(value)


_COMPOUND: dict[Any, Callable[..., Any]] = {Literal: _literal, tuple: _tuple, Mapping: _mapping, dict: _mapping}


def _expect(kind: type | tuple[type, ...], label: str) -> Callable[..., Any]:
    def parse(value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> Any:
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise ConfigError(f"{path}: '{key}' must be {label}, not {value!r}")
        if not isinstance(value, kind):
            raise ConfigError(f"{path}: '{key}' must be {label}, not {value!r}")
        if label != "a number":
            return value
        number = float(typing.cast(float, value))
        if not math.isfinite(number):  # TOML has nan and inf; no setting wants them
            raise ConfigError(f"{path}: '{key}' must be a finite number, not {value!r}")
        return number

    return parse


def _parse_datetime(value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> dt.datetime:
    tz: ZoneInfo = ctx.get("tz") or ZoneInfo(DEFAULT_TZ)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(
                f"{path}: '{key}' is not a date: {value!r} (use 2024-05-14 or 2024-05-14T10:00:00)"
            ) from None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(8, 0), tzinfo=tz)
    raise ConfigError(f"{path}: '{key}' must be a date, not {value!r}")


_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]+$")


def _parse_text(value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> str:
    """A string without control characters (they break XML, tags and terminals)."""
    text = str(_expect(str, "a string")(value, path, key, ctx))
    if why := text_problem(text):
        raise ConfigError(f"{path}: '{key}' {why}")
    return text


def _parse_url(value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> str:
    text = _parse_text(value, path, key, ctx).strip()
    if text and (why := url_problem(text)):
        raise ConfigError(f"{path}: '{key}' {why}")
    return text


def _parse_email(value: Any, path: Path, key: str, ctx: Mapping[str, Any]) -> str:
    text = _parse_text(value, path, key, ctx).strip()
    if why := email_problem(text):
        raise ConfigError(f"{path}: '{key}' {why}")
    return text


def email_problem(text: str) -> str:
    """Why `text` is not an e-mail address ('' when it is one, or empty)."""
    return f"is not an e-mail address: {text!r}" if text and not _EMAIL.match(text) else ""


_SCALARS: dict[Any, Callable[..., Any]] = {
    str: _parse_text,
    Url: _parse_url,
    Email: _parse_email,
    int: _expect(int, "a whole number"),
    float: _expect((int, float), "a number"),
    bool: _expect(bool, "true or false"),
    dt.datetime: _parse_datetime,
}
