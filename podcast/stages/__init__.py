"""The contract every stage follows, and what stages hand each other.

A stage is run per episode by the pipeline, in a fixed order (process → transcribe → tag →
upload). It works in two steps:

- `prepare(ctx) -> Job | None`: read what the stage needs, cheaply (hashes, settings, resolved
  metadata), into a frozen dataclass; None when the stage does not apply. The job is what is
  fingerprinted (its fields, except those marked `INPUT_ONLY`: paths and objects that say
  where, not what), what `--dry-run` describes, and what `run` consumes: nothing is resolved
  twice.
- `run(ctx, job) -> Outcome[Result]`: do it, writing every output atomically, and return the
  outputs, a typed result (`Processed`, `Transcribed`, `Tagged`, `Publication`) and one line for
  the report. The pipeline stores the result in the episode's state and hands it to the later
  stages (`ctx.upstream`) and to the release; no stage reads another's record by name.

A stage never imports another stage: the order lives in `pipeline`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from podcast.core.progress import ProgressFactory
from podcast.edges import diarize, whisper
from podcast.project.config import Config, Transcribe
from podcast.project.episode import Episode, Publication
from podcast.project.state import State

# A job field that says where or with what, not what, is left out of the fingerprint:
# `path: Path = field(metadata=INPUT_ONLY)`.
INPUT_ONLY = {"fingerprint": False}


def job_key(job: Any) -> dict[str, Any]:
    """What a job's fingerprint is made of: its fields, as JSON-able values, except those marked INPUT_ONLY."""
    return {
        f.name: _plain(getattr(job, f.name)) for f in dataclasses.fields(job) if f.metadata.get("fingerprint", True)
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return job_key(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


# -- Results: what each stage hands the next ones and the release --------------------------------


@dataclass(frozen=True)
class Rendition:
    """process: the lighter rendition (build/SLUG/audio-light.EXT), measured as delivered."""

    codec: str  # "opus" | "aac" (config.Audio.light)
    kbps: int
    duration: float  # seconds
    loudness: dict[str, float | None] = field(default_factory=dict)  # integrated, range, true peak

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rendition:
        return cls(
            str(data.get("codec", "")),
            int(data.get("kbps", 0)),
            float(data.get("duration", 0.0)),
            dict(data.get("loudness") or {}),
        )


@dataclass(frozen=True)
class Processed:
    """process: the delivered audio (build/SLUG/audio.EXT) and the edit list it was cut with."""

    duration: float  # seconds of delivered audio
    loudness: dict[str, float | None] = field(default_factory=dict)  # integrated, range, true peak
    speech_files: int = 0  # what Whisper will hear: one file, or one per microphone
    light: Rendition | None = None  # the lighter rendition, when the show asks for one

    def to_json(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        if self.light is None:  # records of shows without one stay as they were
            del found["light"]
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Processed:
        loudness = data.get("loudness") or {}
        light = data.get("light")
        return cls(
            float(data.get("duration", 0.0)),
            dict(loudness),
            int(data.get("speech", data.get("speech_files", 0))),
            Rendition.from_json(light) if isinstance(light, dict) else None,
        )


@dataclass(frozen=True)
class Transcribed:
    """transcribe: the transcript's files, in the published timeline."""

    segments: int
    words: int
    dropped: int = 0
    source: str = "whisper"  # "whisper" or "own" (the producer's transcript.vtt)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Transcribed:
        return cls(
            int(data.get("segments", 0)),
            int(data.get("words", 0)),
            int(data.get("dropped", 0)),
            str(data.get("source", "whisper")),
        )


@dataclass(frozen=True)
class Tagged:
    """tag: the tagged file that is published, and its chapters (chapters.json when any)."""

    chapters: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Tagged:
        return cls(int(data.get("chapters", 0)))


Published = Publication  # upload: what is published, by role, and the timeline it was cut with


@dataclass(frozen=True)
class Upstream:
    """The results of the stages before this one (their last good run), read by the pipeline."""

    processed: Processed | None = None
    transcribed: Transcribed | None = None
    tagged: Tagged | None = None

    @classmethod
    def read(cls, state: State) -> Upstream:
        return cls(
            state.result("process", Processed),
            state.result("transcribe", Transcribed),
            state.result("tag", Tagged),
        )


class Models:
    """The models a run loads once and every episode shares, each when first needed."""

    def __init__(self) -> None:
        self._whisper: whisper.Model | None = None
        self._embedder: diarize.Embedder | None = None

    def whisper(self, settings: Transcribe) -> whisper.Model:
        if self._whisper is None:
            self._whisper = whisper.load(settings)
        return self._whisper

    def embedder(self) -> diarize.Embedder:
        if self._embedder is None:
            self._embedder = diarize.Embedder()
        return self._embedder


@dataclass(frozen=True)
class Context:
    """Where a stage works: the project, the episode, its records, and what the run shares."""

    config: Config
    episode: Episode
    state: State
    progress: ProgressFactory
    models: Models = field(default_factory=Models)
    upstream: Upstream = field(default_factory=Upstream)


R = TypeVar("R", covariant=True)
J = TypeVar("J")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    outputs: list[Path]
    result: R
    message: str


class Stage(Protocol[J]):
    name: str
    version: int

    def prepare(self, ctx: Context) -> J | None:
        """What a run would read and do (cheap: no decoding, no analysis); None when the stage
        does not apply. Raises a PodcastError when its inputs cannot be read."""

    def describe(self, ctx: Context, job: J) -> list[str]:
        """What a run of `job` would do, for --dry-run."""

    def run(self, ctx: Context, job: J) -> Outcome[Any]: ...
