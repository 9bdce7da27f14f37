"""An episode: its folder (what the producer wrote), its metadata, and every file derived from
it, each with its loader: the one place that knows where a build file lives and how to read it.

Derived files live in `build/SLUG/` at the project root, never in the episode folder, so
`episodes/` holds only what people wrote and recorded, and `build/` can be wiped at will.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil, i18n, safejson, timecode
from podcast.core.errors import ConfigError, EpisodeError, RecordingMissing
from podcast.core.text import Url
from podcast.domain import chapters, edits, markers, suggestions
from podcast.domain.chapters import ChapterDecl
from podcast.domain.edits import Cut, EditList
from podcast.domain.transcript import Segment, Word
from podcast.project.config import EPISODE_NAME, NOTES_NAME, Config, EpisodeMeta, load_episode
from podcast.project.ids import LIGHT_ROLE
from podcast.project.state import State

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# Names Windows cannot give a file or folder: an episode so named could not be checked out there.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))]
)
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff", ".wma")

# Build files, by name inside build/SLUG/.
EDIT_LIST = "edits.json"
CHAPTERS = "chapters.json"
SEGMENTS = "transcript.segments.json"
LOUDNESS = "loudness.json"
# The lighter rendition (config.Audio.light): its container by codec, its role among the
# published objects, and the RFC 6381 codecs string players and apps choose by.
LIGHT_SUFFIX = {"opus": ".ogg", "aac": ".m4a"}
CODECS = {".ogg": "opus", ".m4a": "mp4a.40.2", ".mp3": "mp3"}
STATE = "state.json"
MARKERS_STEM = "markers"  # markers.<ext> in the episode folder: the editor's markers, imported
OWN_TRANSCRIPT = "transcript.vtt"  # in the episode folder: the producer's own
REVIEWED_NOTE = "NOTE reviewed"  # how the own transcript says who proofread it, and when


def check_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise EpisodeError(
            f"invalid episode slug {slug!r}: use lower-case letters, digits and hyphens "
            "(e.g. 2024-05-atd-quart-monde), no '/', '..' or spaces"
        )
    if slug in WINDOWS_RESERVED:
        raise EpisodeError(
            f"invalid episode slug {slug!r}: Windows reserves that name (the folder could not be copied there)"
        )
    return slug


@dataclass(frozen=True)
class PublishedObject:
    key: str
    size: int
    type: str
    duration: float | None = None  # seconds, for the audio: the feed describes the file it links
    integrity: str = ""  # SRI hash (podcast:integrity), for the lighter rendition

    @property
    def codecs(self) -> str:
        return CODECS.get(Path(self.key).suffix, "")

    @property
    def media_type(self) -> str:
        """The MIME type players choose by (audio/mp4 for M4A: browsers and apps read it; the
        stored audio/x-m4a is what Apple asks of an enclosure)."""
        return "audio/mp4" if self.codecs == "mp4a.40.2" else self.type.split(";")[0]

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v != "" or k != "integrity"}


@dataclass(frozen=True)
class Publication:
    """What the upload stage last published for an episode: role ("audio", "transcript.vtt",
    "chapters.json", "image", ...) → object; and the edit list and chapters of that audio, so
    the feed maps times (notes, soundbites) through the timeline listeners actually hear, even
    while a newer edit waits to be uploaded."""

    objects: dict[str, PublishedObject] = field(default_factory=dict)
    at: str = ""
    edits: str = ""  # the published audio's edit list (EditList.to_json)
    chapters: list[dict[str, Any]] = field(default_factory=list)
    segments: str = ""  # sha256 of the published transcript's cues (a copy is kept: Episode.published_segments)

    @property
    def audio(self) -> PublishedObject | None:
        return self.objects.get("audio")

    @property
    def light(self) -> PublishedObject | None:
        """The lighter rendition, when one was published."""
        return self.objects.get(LIGHT_ROLE)

    def edit_list(self) -> EditList | None:
        return EditList.from_json(self.edits) if self.edits else None

    def to_json(self) -> dict[str, Any]:
        return {
            "published": {role: obj.to_json() for role, obj in self.objects.items()},
            "published_edits": self.edits,
            "published_chapters": self.chapters,
            "published_segments": self.segments,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Publication:
        objects = {role: PublishedObject(**obj) for role, obj in (data.get("published") or {}).items()}
        return cls(
            objects,
            at,
            str(data.get("published_edits", "")),
            list(data.get("published_chapters", [])),
            str(data.get("published_segments", "")),
        )


@dataclass(frozen=True)
class Episode:
    config: Config
    slug: str
    meta: EpisodeMeta

    # The producer's folder ----------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.config.episodes_dir / self.slug

    @property
    def notes_path(self) -> Path:
        return self.folder / NOTES_NAME

    @property
    def notes(self) -> str:
        """notes.md (UTF-8, inside the project), or '' when there is none."""
        try:
            return fsutil.read_text(self.notes_path, self.config.root)
        except FileNotFoundError:
            return ""

    def file(self, name: str) -> Path:
        """A file of the episode folder the tool reads (art, chapter images, markers): it must
        resolve inside the project."""
        return fsutil.require_inside(self.folder / name, self.config.root)

    @property
    def sources(self) -> list[Path]:
        """The recordings, in order: files of the episode folder, or absolute paths the
        producer named explicitly (the only files read from outside the project)."""
        return [Path(name) if Path(name).is_absolute() else self.folder / name for name in self.meta.source]

    def missing_sources(self) -> list[Path]:
        return [p for p in self.sources if not p.exists()]

    @property
    def audio_pending(self) -> bool:
        """An imported episode whose audio has not been downloaded yet (its download failed, or
        `podcast import --metadata-only`): the next `podcast import` fetches it."""
        return self.meta.imported is not None and self.meta.edit.mode == "as-is" and bool(self.missing_sources())

    def require_sources(self) -> list[Path]:
        if not self.meta.source:
            raise RecordingMissing("episode.toml names no source recording")
        if self.audio_pending:
            raise RecordingMissing("audio pending: imported without its audio; `podcast import` fetches it")
        missing = self.missing_sources()
        if missing:
            names = ", ".join(p.name for p in missing)
            raise RecordingMissing(f"recording not found: {names} (put it in {self.folder})")
        for name, path in zip(self.meta.source, self.sources, strict=True):
            if not Path(name).is_absolute():
                fsutil.require_inside(path, self.config.root, f"recording {name}")
            if not path.is_file():
                raise EpisodeError(f"{path.name} is not a file")
            if path.stat().st_size == 0:
                raise EpisodeError(f"{path.name} is empty (0 bytes)")
        return self.sources

    def marker_file(self) -> Path | None:
        """The editor's markers: [edit] markers (a file of the episode folder, or one of the
        recordings for the cue points a recorder wrote into it), else the markers.* file
        `podcast markers import` put in the folder."""
        name = self.meta.edit.markers
        if name:
            if Path(name).is_absolute() and Path(name) in self.sources:
                return Path(name)
            return self.file(name)
        found = sorted(p for p in self.folder.glob(f"{MARKERS_STEM}.*") if p.is_file())
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise EpisodeError(f"several markers files ({names}): keep one, or name it in [edit] markers")
        return found[0] if found else None

    def markers(self) -> list[markers.Marker]:
        """The markers in the recording's timeline (regions cut, points chapters), checked."""
        path = self.marker_file()
        if path is None:
            return []
        if not path.is_file():
            raise EpisodeError(f"markers file not found: {path.name} (in {self.folder})")
        return markers.named(markers.read(path, path.name), i18n.strings(self.config.show.language)["chapter"])

    def marked_chapters(self) -> list[ChapterDecl]:
        """The chapters the editor's markers declare (their points), recording timeline."""
        return [ChapterDecl(f"{m.start:.3f}", m.title, Url(m.url)) for m in self.markers() if not m.is_region]

    def check_declared(self, duration: float) -> None:
        """What the producer declared, checked against a recording of `duration` seconds before
        any stage runs: the cuts (episode.toml, the markers' regions, accepted suggestions) inside
        it and apart, the chapters outside the cuts and in order, the soundbites inside it.
        Raises the EpisodeError the stage using them would raise later."""
        marker_file = self.marker_file()
        name = marker_file.name if marker_file else "markers"
        spans = markers.regions(self.markers(), duration, name)
        accepted = [
            Cut(s.start, min(s.end, duration), "suggested")
            for s in self.suggestions()
            if s.status == "accepted" and s.start < duration
        ]
        marked = [Cut(m.start, m.end or m.start, "cut") for m in spans]
        edl = edits.build(self.meta.edit.cuts, duration, auto_cuts=accepted, marked_cuts=marked)
        chapters.resolve(self.meta.chapters, self.notes, edl, edl.duration, self.marked_chapters(), name)
        for bite in self.meta.soundbites:
            try:
                start = timecode.parse(bite.start)
            except ValueError as exc:
                raise EpisodeError(f"soundbite at {bite.start}: {exc}") from None
            if start + bite.duration > duration + 0.05:
                raise EpisodeError(f"soundbite at {bite.start}: it ends after the recording ({duration:.1f} s)")
            if edl.range_to_output(start, start + bite.duration) is None:
                raise EpisodeError(f"soundbite at {bite.start}: it lies inside a cut")

    @property
    def suggestions_path(self) -> Path:
        return self.folder / suggestions.NAME

    def all_suggestions(self) -> tuple[list[suggestions.Suggestion], list[suggestions.Proposal]]:
        """The suggested cuts and the proposals drawn from the transcript, with the decisions."""
        try:
            text = fsutil.read_text(self.suggestions_path, self.config.root)
        except FileNotFoundError:
            return [], []
        return suggestions.read(text, self.suggestions_path.name)

    def suggestions(self) -> list[suggestions.Suggestion]:
        """The cuts `podcast suggest` proposed and what the producer decided ([] before)."""
        return self.all_suggestions()[0]

    def track_names(self, count: int) -> list[str]:
        """Who speaks on each of `count` tracks (one file per microphone): [speakers] tracks,
        else the show's hosts then the episode's guests, else "Voix N"."""
        declared = list(self.meta.speakers.tracks)
        people = [h.name for h in self.config.show.hosts] + [g.name for g in self.meta.guests]
        voice = i18n.strings(self.config.show.language)["voice"]
        return [
            declared[i] if i < len(declared) else people[i] if i < len(people) else f"{voice} {i + 1}"
            for i in range(count)
        ]

    @property
    def artwork(self) -> Path | None:
        """The episode's own art, else the show's (each inside the project)."""
        if self.meta.artwork:
            return self.file(self.meta.artwork)
        return self.config.artwork_path

    # Build files ------------------------------------------------------------------------
    @property
    def build(self) -> Path:
        return self.config.build_dir / self.slug

    @property
    def as_is(self) -> bool:
        """Published byte for byte (an imported episode), not edited or processed."""
        return self.meta.edit.mode == "as-is"

    @property
    def retag(self) -> bool:
        """Whether our tags are written into the delivered file."""
        return self.meta.edit.retag if self.meta.edit.retag is not None else not self.as_is

    @property
    def format(self) -> str:
        """The delivered file's format (its extension): the show's audio.format, or the
        source's own for an episode published as it is."""
        if self.as_is and self.meta.source:
            return Path(self.meta.source[0]).suffix.lower().lstrip(".") or self.config.audio.format
        return self.config.audio.format

    @property
    def has_transcript(self) -> bool:
        """Whether the episode gets a transcript: its own, or Whisper's (transcription on for
        the show and not turned off for the episode)."""
        if self.own_transcript.is_file():
            return True
        return self.config.transcribe.enabled and self.meta.transcribe is not False

    @property
    def glossary(self) -> list[str]:
        """The names transcription should know: the show's glossary, then the episode's guests."""
        names = [*self.config.transcribe.glossary, *(g.name for g in self.meta.guests)]
        return list(dict.fromkeys(names))

    @property
    def own_transcript(self) -> Path:
        """The producer's transcript (proofread, or imported with the episode), recording
        timeline: when it exists, it is the episode's transcript and Whisper is not run."""
        return self.folder / OWN_TRANSCRIPT

    @property
    def transcript_reviewed(self) -> bool:
        """Whether the transcript is one a person provided or proofread: the episode's own
        (saved by `podcast review`, imported with `podcast transcript import` or with the
        show, or written by hand), not Whisper's as it came."""
        return self.own_transcript.is_file()

    @property
    def processed_audio(self) -> Path:
        return self.build / f"audio.{self.format}"

    @property
    def tagged_audio(self) -> Path:
        return self.build / f"{self.slug}.{self.format}"

    @property
    def light_codec(self) -> str:
        """The lighter rendition the show asks for ("opus" or "aac"); "" for none, and for an
        episode published as it is."""
        return "" if self.as_is else self.config.audio.light

    def light_audio(self, codec: str) -> Path:
        """The lighter rendition as processed (the MP3's twin: build/SLUG/audio-light.ogg)."""
        return self.build / f"audio-light{LIGHT_SUFFIX[codec]}"

    def tagged_light(self, codec: str) -> Path:
        return self.build / f"{self.slug}-light{LIGHT_SUFFIX[codec]}"

    @property
    def loudness_report(self) -> Path:
        return self.build / LOUDNESS

    @property
    def edit_list_path(self) -> Path:
        return self.build / EDIT_LIST

    @property
    def chapters_path(self) -> Path:
        return self.build / CHAPTERS

    @property
    def segments_path(self) -> Path:
        return segments_path(self.config, self.slug)

    def transcript(self, fmt: str) -> Path:
        return self.build / f"transcript.{fmt}"

    @property
    def state_path(self) -> Path:
        return self.build / STATE

    # Loaders ----------------------------------------------------------------------------
    def state(self) -> State:
        return State(self.state_path)

    def edit_list(self) -> EditList | None:
        """The edit list the last `process` saved (None before the first run)."""
        try:
            return EditList.from_json(self.edit_list_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise EpisodeError(f"{self.edit_list_path}: {exc} (run `podcast process {self.slug} --force`)") from None

    def chapters(self) -> list[dict[str, Any]]:
        """The Podcasting 2.0 chapters the last `tag` wrote (published timeline)."""
        try:
            return list(
                safejson.loads(self.chapters_path.read_text(encoding="utf-8"), limit=safejson.OURS).get("chapters", [])
            )
        except FileNotFoundError:
            return []

    def segments(self) -> list[Segment]:
        """The transcript's cues (published timeline, speakers), as the last `transcribe` wrote them."""
        try:
            text = fsutil.read_text(self.segments_path, self.config.root)
            return [segment_from_dict(item) for item in safejson.loads(text, limit=safejson.OURS)]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise EpisodeError(
                f"{self.segments_path} is damaged ({exc}): `podcast transcribe {self.slug} --force` writes it again"
            ) from None

    def keep_published_segments(self) -> str:
        """Keep a copy of the transcript's cues as they are published; returns their digest."""
        if not self.segments_path.is_file():
            return ""
        digest = fsutil.sha256_file(self.segments_path)
        copy = self.build / "cache" / f"segments-{digest[:20]}.json"
        if not copy.is_file():
            fsutil.copy_file(self.segments_path, copy)
        return digest

    def published_segments(self, publication: Publication) -> list[Segment]:
        """The cues of the published transcript (what the published audio says, and when)."""
        if not publication.segments:
            return self.segments()
        copy = self.build / "cache" / f"segments-{publication.segments[:20]}.json"
        try:
            return [
                segment_from_dict(item)
                for item in safejson.loads(copy.read_text(encoding="utf-8"), limit=safejson.OURS)
            ]
        except FileNotFoundError:
            return self.segments()

    def publication(self, state: State | None = None) -> Publication:
        """What the upload stage last published (its result), or nothing."""
        return (state or self.state()).result("upload", Publication) or Publication()


def segments_path(config: Config, slug: str) -> Path:
    """Where an episode's transcript cues are kept (readable without loading its episode.toml)."""
    return config.build_dir / slug / SEGMENTS


def segment_from_dict(item: dict[str, Any]) -> Segment:
    words = [Word(**w) for w in item.get("words", [])]
    return Segment(item["start"], item["end"], item["text"], words, item.get("speaker", ""))


def load(config: Config, slug: str) -> Episode:
    check_slug(slug)
    folder = config.episodes_dir / slug
    if not folder.is_dir():
        raise EpisodeError(f"no episode '{slug}' (no folder {folder})")
    toml = folder / EPISODE_NAME
    if not toml.is_file():
        raise ConfigError(f"{toml}: not found (every episode folder needs an {EPISODE_NAME})")
    return Episode(config, slug, load_episode(toml, config.tz, config.root))


def all_slugs(config: Config) -> list[str]:
    """Episode folder names, sorted (folders that cannot be episodes are left out: see strays)."""
    return scan(config)[0]


def strays(config: Config) -> list[tuple[str, str]]:
    """Folders of episodes/ that are not episodes, and why (e.g. "Nouveau dossier")."""
    return scan(config)[1]


def scan(config: Config) -> tuple[list[str], list[tuple[str, str]]]:
    """(episode slugs, [(folder name, why it is not an episode)]), sorted by name. Folders
    starting with "." or "_" (the template, staging) are neither."""
    if not config.episodes_dir.is_dir():
        return [], []
    slugs, others = [], []
    for entry in sorted(config.episodes_dir.iterdir()):
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        try:
            slugs.append(check_slug(entry.name))
        except EpisodeError as exc:
            others.append((entry.name, str(exc)))
    return slugs, others


def artwork_paths(config: Config) -> list[Path]:
    """The show's art and every episode's own art, as configured."""
    paths = [config.artwork_path] if config.artwork_path else []
    for slug in all_slugs(config):
        try:
            ep = load(config, slug)
        except (ConfigError, EpisodeError):
            continue
        if ep.meta.artwork:
            paths.append(ep.folder / ep.meta.artwork)  # checked (inside the project) when inspected
    return [p for p in paths if p is not None]
