"""transcribe: Whisper (faster-whisper) on the processed audio, offline, in several formats.

Whisper's raw output is cached under build/SLUG/cache/ by the hash of the audio, the model and
the decoding options; caption cutting, corrections, guards, speaker labels and writers run on
the cached segments, so editing the corrections or the episode's title never re-transcribes.
Times are those of the published audio (after cuts and the intro).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil, i18n, safejson, timecode
from podcast.core.errors import EpisodeError
from podcast.domain import glossary, transcript, transcript_files, typography
from podcast.edges import diarize, ffmpeg, whisper
from podcast.project.episode import segment_from_dict
from podcast.project.state import fingerprint
from podcast.stages import INPUT_ONLY, Context, Outcome, Transcribed

log = logging.getLogger("podcast.transcribe")

DECODING_OPTIONS = (
    "model",
    "language",
    "beam_size",
    "patience",
    "batch_size",
    "vad",
    "compute_type",
    "glossary",
    "glossary_prompt",
    "window_minutes",
)
LEVEL_BLOCK = 0.1  # seconds per channel-level measurement
VOICE_GAP = 0.3  # words closer than this are one stretch of speech for diarisation
VOICE_SAMPLE_SECONDS = 30.0  # of a host's voice sample, at most
OWN_VOICE_MARGIN_DB = 6.0  # a track this much quieter than another during a segment only hears it


def whisper_key(ctx: Context) -> str:
    """What Whisper's output depends on: the speech it hears, the decoding options, the names."""
    settings = dataclasses.asdict(ctx.config.transcribe)
    options = {name: settings[name] for name in DECODING_OPTIONS}
    hashes = [ctx.state.file_hash(p) for p in speech_files(ctx)]
    return fingerprint(hashes, options, ctx.episode.glossary, whisper.DECODER_VERSION)[:20]


def speech_files(ctx: Context) -> list[Path]:
    """What Whisper hears, as the process stage left it: the edited but unprocessed speech
    (build/SLUG/speech.flac), or one file per microphone (speech-1.flac, ...)."""
    build = ctx.episode.build
    single = build / "speech.flac"
    if single.is_file():
        return [single]
    tracks = sorted(build.glob("speech-*.flac"), key=lambda p: int(p.stem.split("-")[1]))
    if tracks:
        return tracks
    raise EpisodeError("no speech for Whisper yet (run `podcast process` first)")


def speaker_names(ctx: Context) -> tuple[str, str]:
    show, meta = ctx.config.show, ctx.episode.meta
    host = show.hosts[0].name if show.hosts else show.author
    guest = meta.guests[0].name if meta.guests else ""
    voice = i18n.strings(show.language)["voice"]
    return meta.speakers.left or host or f"{voice} 1", meta.speakers.right or guest or f"{voice} 2"


def _language(ctx: Context) -> str:
    language = ctx.config.transcribe.language
    return language if language != "auto" else ctx.config.show.language


def write_outputs(ctx: Context, cues: list[transcript.Segment]) -> list[Path]:
    """Every transcript format and the cues (JSON), in the published timeline. What listeners
    read (the formats) is set in the language's typography; the cues keep the words as heard."""
    ep = ctx.episode
    outputs = []
    setting = typography.for_language(_language(ctx))
    shown = [dataclasses.replace(cue, text=setting(cue.text)) for cue in cues]
    for fmt, spec in transcript.FORMATS.items():
        fsutil.write_text(ep.transcript(fmt), spec.write(shown, setting(ep.meta.title), _language(ctx)))
        outputs.append(ep.transcript(fmt))
    fsutil.write_text(ep.segments_path, json.dumps([dataclasses.asdict(s) for s in cues], ensure_ascii=False))
    outputs.append(ep.segments_path)
    return outputs


@dataclass(frozen=True)
class TranscribeJob:
    """Either the producer's transcript (`own`), or Whisper's output (`whisper`, its cache key)
    turned into captions with the corrections, the glossary and the speakers' names."""

    own: str  # sha256 of the episode's own transcript.vtt, or "" for Whisper
    whisper: str  # the key of Whisper's cached output, or "" for the producer's transcript
    edits: str | None  # sha256 of the edit list the times are mapped through
    title: str
    language: str
    corrections: dict[str, str] = field(default_factory=dict)
    glossary: tuple[Any, ...] = ()
    guests: tuple[str, ...] = ()
    speakers: tuple[Any, ...] = ()
    cache: Path | None = field(default=None, metadata=INPUT_ONLY)


class TranscribeStage:
    name = "transcribe"
    version = 8  # 8: the published formats in the language's typography

    def prepare(self, ctx: Context) -> TranscribeJob | None:
        settings, ep = ctx.config.transcribe, ctx.episode
        edits = ctx.state.file_hash(ep.edit_list_path) if ep.edit_list_path.is_file() else None
        if ep.own_transcript.is_file():  # the producer's transcript wins, even with transcription off
            own = ctx.state.file_hash(fsutil.require_inside(ep.own_transcript, ctx.config.root))
            return TranscribeJob(own, "", edits, ep.meta.title, _language(ctx))
        if not settings.enabled or ep.meta.transcribe is False:
            return None
        meta = ep.meta
        key = whisper_key(ctx)
        return TranscribeJob(
            "",
            key,
            edits,
            meta.title,
            _language(ctx),
            {**settings.corrections, **meta.corrections},
            (settings.glossary_match, glossary.VERSION),
            tuple(g.name for g in meta.guests),
            (
                settings.speakers,
                *speaker_names(ctx),
                voice_names(ctx),
                {n: ctx.state.file_hash(p) for n, p in voice_samples(ctx).items()},
                diarize.available(),
            ),
            ep.build / "cache" / f"whisper-{key}.json",
        )

    def describe(self, ctx: Context, job: TranscribeJob) -> list[str]:
        if job.own:
            return [f"use the episode's own {ctx.episode.own_transcript.name} (no Whisper)"]
        s = ctx.config.transcribe
        what = (
            "reuse the cached Whisper output"
            if job.cache and job.cache.is_file()
            else (
                f"Whisper {s.model}, language {s.language}, beam {s.beam_size}, "
                f"{f'batches of {s.batch_size}' if s.batch_size else 'sequential'}, VAD {'on' if s.vad else 'off'}"
            )
        )
        return [f"{what}; writes {', '.join(transcript.FORMATS)}"]

    def run(self, ctx: Context, job: TranscribeJob) -> Outcome[Transcribed]:
        if job.own or job.cache is None:
            return self._own(ctx)
        ep, settings = ctx.episode, ctx.config.transcribe
        if job.cache.is_file():
            raw = [
                segment_from_dict(item)
                for item in safejson.loads(job.cache.read_text(encoding="utf-8"), limit=safejson.OURS)
            ]
            log.info("reusing the cached Whisper output %s", job.cache.name)
        else:
            raw = self._decode(ctx)
            fsutil.write_text(job.cache, json.dumps([dataclasses.asdict(s) for s in raw], ensure_ascii=False))
        if settings.glossary_match:
            raw, changes = glossary.correct_all(raw, ep.glossary)
            for change in changes:
                log.info("glossary at %s: %r -> %r", timecode.format(change.start), change.heard, change.term)
        corrections = {**{g.name.lower(): g.name for g in ep.meta.guests}, **job.corrections}
        kept, dropped = transcript.clean(transcript.split_cues(raw), corrections)
        for seg in dropped:
            log.info("dropped segment %s-%s: %r", timecode.format(seg.start), timecode.format(seg.end), seg.text)
        kept, named_by = self._speakers(ctx, kept)
        outputs = write_outputs(ctx, kept)
        words = sum(len(s.text.split()) for s in kept)
        detail = f"{len(kept)} segments, {words} words" + (f", {len(dropped)} dropped" if dropped else "")
        if named_by:
            detail += f", speakers named from {named_by}"
        return Outcome(outputs, Transcribed(len(kept), words, len(dropped), "whisper"), detail)

    def _own(self, ctx: Context) -> Outcome[Transcribed]:
        """The producer's transcript (recording timeline) mapped through the edit list."""
        ep = ctx.episode
        text = fsutil.read_text(ep.own_transcript, ctx.config.root)
        cues = transcript_files.parse(text, "vtt", str(ep.own_transcript))
        kept, dropped = transcript_files.to_published(cues, ep.edit_list())
        for cue in dropped:
            log.warning(
                "%s: the cue at %s (%r) falls inside a cut: left out",
                ep.slug,
                timecode.format(cue.start),
                cue.text[:60],
            )
        outputs = write_outputs(ctx, kept)
        words = sum(len(s.text.split()) for s in kept)
        detail = f"{len(kept)} cues, {words} words, from {ep.own_transcript.name}"
        if dropped:
            detail += f" ({len(dropped)} inside cuts left out)"
        return Outcome(outputs, Transcribed(len(kept), words, 0, "own"), detail)

    def _decode(self, ctx: Context) -> list[transcript.Segment]:
        """Whisper on each speech file; times moved by the intro into the published timeline;
        each track's cues named by its speaker."""
        settings = ctx.config.transcribe
        model = ctx.models.whisper(settings)
        files = speech_files(ctx)
        durations = [ffmpeg.probe(path).duration for path in files]
        edl = ctx.episode.edit_list()
        offset = edl.offset if edl else 0.0
        names = ctx.episode.track_names(len(files)) if len(files) > 1 else [""]
        known = ctx.episode.glossary
        bar = ctx.progress("transcribe", sum(durations))
        per_file: list[list[transcript.Segment]] = []
        try:
            done = 0.0
            for path, duration in zip(files, durations, strict=True):

                def advance(position: float, before: float = done) -> None:
                    bar.update(before + position)

                per_file.append(list(whisper.transcribe(model, path, duration, settings, known, advance)))
                done += duration
        finally:
            bar.close()
        if len(files) > 1:
            per_file = _own_voices(files, per_file)
        found = [_moved(seg, offset, name) for segments, name in zip(per_file, names, strict=True) for seg in segments]
        return sorted(found, key=lambda s: (s.start, s.end))

    def _speakers(self, ctx: Context, segments: list[transcript.Segment]) -> tuple[list[transcript.Segment], str]:
        """Name each cue's speaker: from the stereo channels when each holds one voice, else
        from the voices themselves (diarisation); how, for the report ('' when not)."""
        mode = ctx.config.transcribe.speakers
        if mode == "none" or not segments or ctx.episode.meta.edit.mode == "multitrack":
            return segments, ""
        sources = ctx.episode.sources
        stereo = all(p.is_file() for p in sources) and all(ffmpeg.probe(p).channels == 2 for p in sources)
        if mode in ("auto", "channels") and stereo:
            labelled = self._by_channel(ctx, segments)
            if mode == "channels" or labelled >= len(segments) / 2:
                return segments, "the stereo channels"
        if mode == "channels":
            return segments, ""
        people = voice_names(ctx)
        if len(people) < 2 or (mode == "auto" and not diarize.available()):
            if mode == "auto" and len(people) >= 2:
                log.info("speakers not named: the speaker model is not installed (%s)", diarize.INSTALL)
            return segments, ""
        return _by_voice(ctx, segments, people), "their voices"

    def _by_channel(self, ctx: Context, segments: list[transcript.Segment]) -> int:
        """One voice per channel of a stereo source: label segments by the louder channel."""
        left: list[float] = []
        right: list[float] = []
        for path in ctx.episode.sources:
            more_left, more_right = ffmpeg.channel_levels(path, LEVEL_BLOCK)
            left += more_left
            right += more_right
        edl = ctx.episode.edit_list()
        to_source = edl.to_source if edl else float
        return transcript.label_by_channel(segments, (left, right), LEVEL_BLOCK, to_source, speaker_names(ctx))


def voice_names(ctx: Context) -> list[str]:
    """The people of a one-microphone episode: the show's hosts, then the episode's guests."""
    names = [h.name for h in ctx.config.show.hosts] + [g.name for g in ctx.episode.meta.guests]
    return list(dict.fromkeys(n for n in names if n))


def voice_samples(ctx: Context) -> dict[str, Path]:
    """The hosts' voice samples (`voice = "voices/host.wav"`), inside the project."""
    found = {}
    for host in ctx.config.show.hosts:
        if host.voice:
            path = fsutil.require_inside(ctx.config.root / host.voice, ctx.config.root)
            if not path.is_file():
                raise EpisodeError(f"{host.name}'s voice sample {host.voice} is not in the project")
            found[host.name] = path
    return found


def _by_voice(ctx: Context, segments: list[transcript.Segment], people: list[str]) -> list[transcript.Segment]:
    """Diarise the speech Whisper heard into as many voices as the episode has people; name
    each voice (a host's sample, else order of first appearance) and label each word."""
    import numpy as np

    speech = speech_files(ctx)[0]
    edl = ctx.episode.edit_list()
    offset = edl.offset if edl else 0.0
    words = sorted((w.start - offset, w.end - offset) for s in segments for w in s.words) or [
        (s.start - offset, s.end - offset) for s in segments
    ]
    regions: list[tuple[float, float]] = []
    for start, end in words:
        if regions and start - regions[-1][1] < VOICE_GAP:
            regions[-1] = (regions[-1][0], max(end, regions[-1][1]))
        else:
            regions.append((max(0.0, start), end))
    length = ffmpeg.probe(speech).duration

    def read(start: float, end: float) -> np.ndarray:
        samples: np.ndarray = ffmpeg.decode_pcm(speech, start, end - start)
        return samples

    embedder = ctx.models.embedder()
    bar = ctx.progress("speakers", length)
    try:
        turns = diarize.diarize(read, regions, len(people), embedder, bar.update)
    finally:
        bar.close()
    samples_of = {
        name: embedder.embed([ffmpeg.decode_pcm(path, 0.0, VOICE_SAMPLE_SECONDS)])[0]
        for name, path in voice_samples(ctx).items()
    }
    names = diarize.names_for(turns, people, samples_of)
    log.info("%d voices found and named %s", len(names), ", ".join(names))
    return transcript.label_by_voice(segments, lambda t: names[turns.speaker_at(t - offset)] if turns.windows else "")


def _own_voices(files: list[Path], per_file: list[list[transcript.Segment]]) -> list[list[transcript.Segment]]:
    """One file per microphone: every voice reaches every microphone, so Whisper hears each
    sentence on several tracks. Keep a word only on the tracks where it is (nearly) the
    loudest, its speaker's own microphone (both, when two people talk at once); a segment
    becomes the runs of words kept."""
    import numpy as np

    energies = [ffmpeg.block_energies(path, 1, LEVEL_BLOCK)[0] for path in files]
    table = np.zeros((len(files), max(len(e) for e in energies) + 1))
    for index, energy in enumerate(energies):
        table[index, : len(energy)] = energy

    def mine(index: int, start: float, end: float) -> bool:
        first = min(int(start / LEVEL_BLOCK), table.shape[1] - 1)
        power = table[:, first : max(first + 1, int(end / LEVEL_BLOCK))].mean(axis=1)
        return bool(power[index] >= power.max() * 10 ** (-OWN_VOICE_MARGIN_DB / 10))

    kept: list[list[transcript.Segment]] = []
    for index, segments in enumerate(per_file):
        found: list[transcript.Segment] = []
        for segment in segments:
            if not segment.words:
                found += [segment] if mine(index, segment.start, segment.end) else []
                continue
            run: list[transcript.Word] = []
            for word in [*segment.words, None]:
                if word is not None and mine(index, word.start, word.end):
                    run.append(word)
                    continue
                if run:
                    found.append(
                        transcript.Segment(run[0].start, run[-1].end, transcript.words_text(run), run, segment.speaker)
                    )
                run = []
        dropped = sum(len(s.words) for s in segments) - sum(len(s.words) for s in found)
        if dropped:
            log.info("track %d: %d words were other microphones' voices: left out", index + 1, dropped)
        kept.append(found)
    return kept


def _moved(segment: transcript.Segment, offset: float, speaker: str) -> transcript.Segment:
    words = [
        transcript.Word(round(w.start + offset, 3), round(w.end + offset, 3), w.word, w.probability)
        for w in segment.words
    ]
    return transcript.Segment(
        round(segment.start + offset, 3),
        round(segment.end + offset, 3),
        segment.text,
        words,
        speaker or segment.speaker,
    )
