"""espeak-ng, the speech synthesiser: the demo's interview and the tests' voices."""

from __future__ import annotations

from pathlib import Path

from podcast.edges import ffmpeg


def speak(text: str, voice: str, output: Path, *, speed: int = 150, pitch: int = 50) -> None:
    """Synthesise `text` with an espeak-ng voice into a WAV file (through the one process launcher)."""
    ffmpeg.run("espeak-ng", ["-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(output), text])
