"""Transcript formats (pure): WebVTT, SRT, Podcasting 2.0 JSON, plain text; and the guards
against Whisper's known failures (silence hallucinations, repetition loops)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from podcast.core import timecode


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0  # Whisper's confidence in the word (the review page highlights the unsure)


@dataclass
class Segment:
    """A cue: what is said between two times (published timeline), by whom."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str = ""


MAX_LINE = 65

# Phrases Whisper invents over silence or music (from subtitle credits in its training data).
HALLUCINATIONS = (
    "sous-titres réalisés par la communauté d'amara.org",
    "sous-titres realises par la communaute d'amara.org",
    "sous-titrage st' 501",
    "sous-titrage société radio-canada",
    "merci d'avoir regardé cette vidéo",
    "thanks for watching",
    "subtitles by the amara.org community",
)


# Caption cues: two lines of MAX_LINE at most, at most 7 s on screen (the common subtitling
# limit), cut at a sentence's end or a pause; long ones at a comma where one is near the end.
CUE_MAX_CHARS = 2 * MAX_LINE
CUE_MAX_SECONDS = 7.0
CUE_MIN_CHARS = 20  # a short sentence ("Oui.") stays with the next one
CUE_PAUSE = 0.8
_SENTENCE_END = (".", "?", "!", "…")
_CLAUSE_END = (",", ";", ":")


def split_cues(segments: Iterable[Segment]) -> list[Segment]:
    """Whisper's segments (up to 30 s each when batched) cut into caption-sized cues by their
    word timestamps; a segment without words is kept whole."""
    cues: list[Segment] = []
    for seg in segments:
        cues += _split(seg) if seg.words else [seg]
    return cues


def _split(seg: Segment) -> list[Segment]:
    pieces: list[list[Word]] = [[]]
    for index, word in enumerate(seg.words):
        while pieces[-1] and _too_long([*pieces[-1], word]):
            head, tail = _cut_at_clause(pieces[-1])
            pieces[-1:] = [head, tail]
        pieces[-1].append(word)
        following = seg.words[index + 1] if index + 1 < len(seg.words) else None
        if following is not None and _ends_cue(pieces[-1], following):
            pieces.append([])
    return [_cue(piece, seg) for piece in pieces if piece]


def words_text(words: Sequence[Word]) -> str:
    """Whisper's words carry their leading space: "aujourd" + "'hui" is one word."""
    return "".join(w.word for w in words).strip()


def _too_long(words: list[Word]) -> bool:
    return len(words_text(words)) > CUE_MAX_CHARS or words[-1].end - words[0].start > CUE_MAX_SECONDS


def _ends_cue(words: list[Word], following: Word) -> bool:
    if following.start - words[-1].end >= CUE_PAUSE:
        return True
    return words[-1].word.strip().endswith(_SENTENCE_END) and len(words_text(words)) >= CUE_MIN_CHARS


def _cut_at_clause(words: list[Word]) -> tuple[list[Word], list[Word]]:
    """Cut after the last comma in the second half of `words`, else after all of them."""
    for index in range(len(words) - 1, len(words) // 2 - 1, -1):
        if words[index].word.strip().endswith(_CLAUSE_END):
            return words[: index + 1], words[index + 1 :]
    return words, []


def _cue(words: list[Word], seg: Segment) -> Segment:
    start = max(seg.start, min(words[0].start, seg.end))
    end = min(seg.end, max(words[-1].end, start))
    return Segment(round(start, 3), round(end, 3), words_text(words), words, seg.speaker)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s!.,?…]+", " ", text).strip()


def is_hallucination(text: str) -> bool:
    folded = _fold(text)
    return any(_fold(phrase) in folded for phrase in HALLUCINATIONS) or "amara.org" in folded


def clean(segments: Iterable[Segment], corrections: Mapping[str, str]) -> tuple[list[Segment], list[Segment]]:
    """Apply corrections and drop hallucinated or looping segments. Returns (kept, dropped)."""
    kept: list[Segment] = []
    dropped: list[Segment] = []
    repeats = 0
    for seg in segments:
        text = collapse_loops(apply_corrections(seg.text, corrections))
        if not text or is_hallucination(text):
            dropped.append(seg)
            continue
        repeats = repeats + 1 if kept and _fold(kept[-1].text) == _fold(text) else 0
        if repeats >= 2:  # a third identical segment in a row is a decoding loop
            dropped.append(seg)
            continue
        seg.text = text
        kept.append(seg)
    return kept, dropped


_LOOP_RE = re.compile(r"(\b.{3,60}?)(?:[\s,]+\1\b){2,}", re.IGNORECASE)


def collapse_loops(text: str) -> str:
    """'à t'invénements à t'invénements à t'invénements' → one occurrence: a phrase repeated
    three or more times in a row inside one segment is a decoding loop, not speech."""
    return _LOOP_RE.sub(r"\1", text)


LOOP_SHARE = 0.25  # of a reading's word triples repeating earlier ones: a decoding loop
LOOP_REPEATS = 3


def loop_share(text: str) -> float:
    """How much of `text` repeats itself: the share of its word triples said before in it. A
    decoding loop that varies ("un coup de remabelle pour y avoir un coup de remabelle, mais on
    a vu un coup de re…") scores high; speech, even with its "il y a", low (a 30 s reading has
    70 triples)."""
    words = re.findall(r"\w+", text.lower())
    triples = list(zip(words, words[1:], words[2:], strict=False))
    if len(triples) < 4:
        return 0.0
    repeats = len(triples) - len(set(triples))
    return repeats / len(triples) if repeats >= LOOP_REPEATS else 0.0


def is_loop(text: str) -> bool:
    return loop_share(text) >= LOOP_SHARE


def apply_corrections(text: str, corrections: Mapping[str, str]) -> str:
    for wrong, right in corrections.items():
        text = re.sub(rf"(?<!\w){re.escape(wrong)}(?!\w)", right, text, flags=re.IGNORECASE)
    return text.strip()


def wrap(text: str, width: int = MAX_LINE) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments: list[Segment]) -> str:
    out = ["WEBVTT", ""]
    for index, seg in enumerate(segments, 1):
        out.append(str(index))
        out.append(f"{timecode.format(seg.start)} --> {timecode.format(seg.end)}")
        body = "\n".join(wrap(_vtt_escape(seg.text)))
        if seg.speaker:
            body = f"<v {_vtt_escape(seg.speaker)}>{body}"
        out += [body, ""]
    return "\n".join(out)


def to_srt(segments: list[Segment]) -> str:
    out = []
    for index, seg in enumerate(segments, 1):
        out.append(str(index))
        out.append(f"{timecode.format(seg.start, ',')} --> {timecode.format(seg.end, ',')}")
        text = f"{seg.speaker}: {seg.text}" if seg.speaker else seg.text
        out += [*wrap(text), ""]
    return "\n".join(out)


def to_json(segments: list[Segment]) -> str:
    data = {
        "version": "1.0.0",
        "segments": [
            {**({"speaker": s.speaker} if s.speaker else {}), "startTime": s.start, "endTime": s.end, "body": s.text}
            for s in segments
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def turns(segments: list[Segment]) -> list[list[Segment]]:
    """Paragraphs: a change of speaker, or a pause over 2 s, starts a new one."""
    paragraphs: list[list[Segment]] = []
    for seg in segments:
        previous = paragraphs[-1][-1] if paragraphs else None
        if previous is None or seg.speaker != previous.speaker or seg.start - previous.end > 2.0:
            paragraphs.append([seg])
        else:
            paragraphs[-1].append(seg)
    return paragraphs


def to_txt(segments: list[Segment]) -> str:
    """Plain text in paragraphs by speaker ("Name : …" when speakers are known)."""
    paragraphs = []
    for turn in turns(segments):
        text = " ".join(seg.text for seg in turn)
        paragraphs.append(f"{turn[0].speaker} : {text}" if turn[0].speaker else text)
    return "\n\n".join(paragraphs) + "\n"


def to_markdown(segments: list[Segment]) -> str:
    """For the communications team: each paragraph with its timestamp, ready to quote."""
    blocks = []
    for turn in turns(segments):
        stamp = timecode.short(turn[0].start)
        who = f" {turn[0].speaker}" if turn[0].speaker else ""
        blocks.append(f"**[{stamp}]{who}** — " + " ".join(seg.text for seg in turn))
    return "\n\n".join(blocks) + "\n"


def label_by_channel(
    segments: list[Segment],
    levels: tuple[list[float], list[float]],
    block: float,
    to_source: Callable[[float], float],
    names: tuple[str, str],
    margin_db: float = 3.0,
) -> int:
    """Name each segment's speaker from which channel is louder (one voice per channel).
    A segment too balanced to call keeps the previous speaker. Returns how many were labelled."""
    left, right = levels
    labelled = 0
    previous = ""
    for seg in segments:
        first = int(to_source(seg.start) / block)
        last = max(first + 1, int(to_source(seg.end) / block))
        power_left, power_right = sum(left[first:last]), sum(right[first:last])
        if power_left > power_right * 10 ** (margin_db / 10):
            seg.speaker = names[0]
        elif power_right > power_left * 10 ** (margin_db / 10):
            seg.speaker = names[1]
        else:
            seg.speaker = previous
        previous = seg.speaker
        labelled += bool(seg.speaker)
    return labelled


TURN_MIN_SECONDS = 0.8  # a run of words shorter than this keeps the speaker around it


def label_by_voice(segments: list[Segment], speaker_at: Callable[[float], str]) -> list[Segment]:
    """Name each cue's speaker from who speaks at each of its words (diarisation); a cue in
    which the speaker changes is split there. A cue without words takes its middle's speaker."""
    labelled: list[Segment] = []
    for seg in segments:
        if not seg.words:
            labelled.append(Segment(seg.start, seg.end, seg.text, [], speaker_at((seg.start + seg.end) / 2)))
            continue
        runs: list[tuple[str, list[Word]]] = []
        for word in seg.words:
            who = speaker_at((word.start + word.end) / 2)
            if runs and runs[-1][0] == who:
                runs[-1][1].append(word)
            else:
                runs.append((who, [word]))
        runs = _merge_short_runs(runs)
        if len(runs) == 1:  # one speaker: the cue as it was
            labelled.append(Segment(seg.start, seg.end, seg.text, seg.words, runs[0][0]))
            continue
        labelled += [Segment(words[0].start, words[-1].end, words_text(words), words, who) for who, words in runs]
    return labelled


def _merge_short_runs(runs: list[tuple[str, list[Word]]]) -> list[tuple[str, list[Word]]]:
    merged: list[tuple[str, list[Word]]] = []
    for who, words in runs:
        short = words[-1].end - words[0].start < TURN_MIN_SECONDS
        if merged and (short or merged[-1][0] == who):
            merged[-1][1].extend(words)
        else:
            merged.append((who, list(words)))
    if len(merged) > 1 and merged[0][1][-1].end - merged[0][1][0].start < TURN_MIN_SECONDS:
        merged[1:2] = [(merged[1][0], merged[0][1] + merged[1][1])]
        merged.pop(0)
    return merged


def to_html(segments: list[Segment], title: str = "Transcription", language: str = "fr") -> str:
    """A standalone, escaped HTML transcript (podcast:transcript type text/html)."""
    import html

    rows = []
    for seg in segments:
        who = f"<strong>{html.escape(seg.speaker)}</strong> " if seg.speaker else ""
        stamp = timecode.short(seg.start)
        rows.append(f'<p data-start="{seg.start:g}"><time>{stamp}</time> {who}{html.escape(seg.text)}</p>')
    body = "\n".join(rows)
    return (
        f'<!doctype html>\n<html lang="{html.escape(language)}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


@dataclass(frozen=True)
class Format:
    """A transcript format: how it is written, and whether the feed lists it (podcast:transcript)."""

    write: Callable[[list[Segment], str, str], str]  # (cues, title, language) → text
    in_feed: bool = True
    rel: str = ""  # podcast:transcript rel ("captions": cue timing fit to show as captions)


# In the order the feed lists them.
FORMATS: dict[str, Format] = {
    "vtt": Format(lambda cues, title, language: to_vtt(cues), rel="captions"),
    "srt": Format(lambda cues, title, language: to_srt(cues)),
    "json": Format(lambda cues, title, language: to_json(cues)),
    "html": Format(to_html),
    "txt": Format(lambda cues, title, language: to_txt(cues)),
    "md": Format(lambda cues, title, language: to_markdown(cues), in_feed=False),
}
