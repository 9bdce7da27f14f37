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
from pathlib import Path

from .. import ffmpeg, fsutil, i18n, timecode, transcript, transcript_files, whisper
from ..episode import segment_from_dict
from ..errors import EpisodeError
from ..state import fingerprint
from . import Context, Outcome

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
    "window_minutes",
)
LEVEL_BLOCK = 0.1  # seconds per channel-level measurement


def whisper_key(ctx: Context, audio_hash: str) -> str:
    settings = dataclasses.asdict(ctx.config.transcribe)
    options = {name: settings[name] for name in DECODING_OPTIONS}
    return fingerprint(audio_hash, options, prompt(ctx), whisper.DECODER_VERSION)[:20]


def prompt(ctx: Context) -> str:
    names = [*ctx.config.transcribe.glossary, *(g.name for g in ctx.episode.meta.guests)]
    return ", ".join(dict.fromkeys(names))


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
    """Every transcript format and the cues (JSON), in the published timeline."""
    ep = ctx.episode
    outputs = []
    for fmt, spec in transcript.FORMATS.items():
        fsutil.write_text(ep.transcript(fmt), spec.write(cues, ep.meta.title, _language(ctx)))
        outputs.append(ep.transcript(fmt))
    fsutil.write_text(ep.segments_path, json.dumps([dataclasses.asdict(s) for s in cues], ensure_ascii=False))
    outputs.append(ep.segments_path)
    return outputs


class TranscribeStage:
    name = "transcribe"
    version = 5

    def inputs(self, ctx: Context) -> object | None:
        settings, ep = ctx.config.transcribe, ctx.episode
        if ep.own_transcript.is_file():  # the producer's transcript wins, even with transcription off
            return {
                "own": ctx.state.file_hash(fsutil.require_inside(ep.own_transcript, ctx.config.root)),
                "edits": ctx.state.file_hash(ep.edit_list_path) if ep.edit_list_path.is_file() else None,
                "title": ep.meta.title,
                "language": _language(ctx),
            }
        if not settings.enabled or ep.meta.transcribe is False:
            return None
        audio = ctx.episode.processed_audio
        if not audio.is_file():
            raise EpisodeError("no processed audio yet (run `podcast process` first)")
        meta = ctx.episode.meta
        return {
            "whisper": whisper_key(ctx, ctx.state.file_hash(audio)),
            "corrections": {**settings.corrections, **meta.corrections},
            "guests": [g.name for g in meta.guests],
            "title": meta.title,
            "speakers": [settings.speakers, *speaker_names(ctx)],
        }

    def plan(self, ctx: Context) -> list[str]:
        if ctx.episode.own_transcript.is_file():
            return [f"use the episode's own {ctx.episode.own_transcript.name} (no Whisper)"]
        s = ctx.config.transcribe
        cached = self._cache(ctx).is_file() if ctx.episode.processed_audio.is_file() else False
        what = (
            "reuse the cached Whisper output"
            if cached
            else (
                f"Whisper {s.model}, language {s.language}, beam {s.beam_size}, "
                f"{f'batches of {s.batch_size}' if s.batch_size else 'sequential'}, VAD {'on' if s.vad else 'off'}"
            )
        )
        return [f"{what}; writes {', '.join(transcript.FORMATS)}"]

    def _cache(self, ctx: Context) -> Path:
        key = whisper_key(ctx, ctx.state.file_hash(ctx.episode.processed_audio))
        return ctx.episode.build / "cache" / f"whisper-{key}.json"

    def run(self, ctx: Context) -> Outcome:
        if ctx.episode.own_transcript.is_file():
            return self._own(ctx)
        ep, settings = ctx.episode, ctx.config.transcribe
        cache = self._cache(ctx)
        if cache.is_file():
            raw = [segment_from_dict(item) for item in json.loads(cache.read_text(encoding="utf-8"))]
            log.info("reusing the cached Whisper output %s", cache.name)
        else:
            raw = self._decode(ctx)
            fsutil.write_text(cache, json.dumps([dataclasses.asdict(s) for s in raw], ensure_ascii=False))
        corrections = {
            **{g.name.lower(): g.name for g in ep.meta.guests},
            **settings.corrections,
            **ep.meta.corrections,
        }
        kept, dropped = transcript.clean(transcript.split_cues(raw), corrections)
        for seg in dropped:
            log.info("dropped segment %s-%s: %r", timecode.format(seg.start), timecode.format(seg.end), seg.text)
        labelled = self._speakers(ctx, kept)
        outputs = write_outputs(ctx, kept)
        words = sum(len(s.text.split()) for s in kept)
        detail = f"{len(kept)} segments, {words} words" + (f", {len(dropped)} dropped" if dropped else "")
        if labelled:
            detail += f", speakers from the stereo channels ({labelled} segments)"
        info = {"segments": len(kept), "words": words, "dropped": len(dropped), "source": "whisper"}
        return Outcome(outputs, info, detail)

    def _own(self, ctx: Context) -> Outcome:
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
        return Outcome(outputs, {"segments": len(kept), "words": words, "source": "own"}, detail)

    def _decode(self, ctx: Context) -> list[transcript.Segment]:
        settings = ctx.config.transcribe
        model = ctx.shared.get("whisper")
        if model is None:
            model = ctx.shared["whisper"] = whisper.load(settings)
        audio = ctx.episode.processed_audio
        duration = ffmpeg.probe(audio).duration
        bar = ctx.progress("transcribe", duration)
        try:
            return list(whisper.transcribe(model, audio, duration, settings, prompt(ctx), bar.update))
        finally:
            bar.close()

    def _speakers(self, ctx: Context, segments: list[transcript.Segment]) -> int:
        """One voice per channel of a stereo source: label segments by the louder channel."""
        if ctx.config.transcribe.speakers != "channels" or not segments:
            return 0
        sources = ctx.episode.sources
        if not all(p.is_file() for p in sources) or any(ffmpeg.probe(p).channels != 2 for p in sources):
            return 0
        left: list[float] = []
        right: list[float] = []
        for path in sources:
            more_left, more_right = ffmpeg.channel_levels(path, LEVEL_BLOCK)
            left += more_left
            right += more_right
        edl = ctx.episode.edit_list()
        to_source = edl.to_source if edl else float
        return transcript.label_by_channel(segments, (left, right), LEVEL_BLOCK, to_source, speaker_names(ctx))
