"""transcribe: Whisper (faster-whisper) on the processed audio, offline, in several formats."""

from __future__ import annotations

import dataclasses
import json
import logging

from .. import fsutil, transcript, whisper
from ..errors import EpisodeError
from . import Context, Outcome

log = logging.getLogger("podcast.transcribe")

SEGMENTS_FILE = "transcript.segments.json"


class TranscribeStage:
    name = "transcribe"
    version = 1

    def inputs(self, ctx: Context) -> object | None:
        settings = ctx.config.transcribe
        if not settings.enabled:
            return None
        audio = ctx.episode.processed_audio
        if not audio.is_file():
            raise EpisodeError("no processed audio yet (run `podcast process` first)")
        options = dataclasses.asdict(settings)
        options.pop("threads")
        return {
            "audio": ctx.state.file_hash(audio),
            "settings": options,
            "guests": [g.name for g in ctx.episode.meta.guests],
        }

    def plan(self, ctx: Context) -> list[str]:
        s = ctx.config.transcribe
        return [
            f"Whisper {s.model}, language {s.language}, beam {s.beam_size}, VAD {'on' if s.vad else 'off'}; "
            f"writes {', '.join(transcript.FORMATS)}"
        ]

    def run(self, ctx: Context) -> Outcome:
        ep, settings = ctx.episode, ctx.config.transcribe
        model = ctx.shared.get("whisper")
        if model is None:
            model = ctx.shared["whisper"] = whisper.load(settings)
        process = ctx.state.get("process")
        duration = float(process.info.get("duration", 0.0)) if process else 0.0
        bar = ctx.progress("transcribe", duration)
        try:
            raw = list(whisper.transcribe(model, ep.processed_audio, settings, self._prompt(ctx), bar.update))
        finally:
            bar.close()
        corrections = {**{g.name.lower(): g.name for g in ep.meta.guests}, **settings.corrections}
        kept, dropped = transcript.clean(raw, corrections)
        for seg in dropped:
            log.info(
                "dropped segment %s-%s: %r", transcript.timestamp(seg.start), transcript.timestamp(seg.end), seg.text
            )
        outputs = []
        for fmt, writer in transcript.WRITERS.items():
            fsutil.write_text(ep.transcript(fmt), writer(kept))
            outputs.append(ep.transcript(fmt))
        segments_json = json.dumps([dataclasses.asdict(s) for s in kept], ensure_ascii=False)
        fsutil.write_text(ep.build / SEGMENTS_FILE, segments_json)
        words = sum(len(s.text.split()) for s in kept)
        return Outcome(
            outputs,
            {"segments": len(kept), "words": words, "dropped": len(dropped)},
            f"{len(kept)} segments, {words} words" + (f", {len(dropped)} dropped" if dropped else ""),
        )

    def _prompt(self, ctx: Context) -> str:
        names = [*ctx.config.transcribe.glossary, *(g.name for g in ctx.episode.meta.guests)]
        return ", ".join(dict.fromkeys(names))
