"""Generate a long interview-like recording: two espeak-ng voices taking turns, pauses of
varied length, room tone and mains hum, 48 kHz stereo WAV. Deterministic for a given length."""

from __future__ import annotations

import random
import subprocess
import tempfile
from pathlib import Path

PHRASES = [
    "Bonjour et bienvenue dans ce nouvel épisode consacré à la solidarité.",
    "Le mouvement agit avec les personnes qui vivent la grande pauvreté.",
    "Les territoires zéro chômeur de longue durée partent des compétences de chacun.",
    "Dans les universités populaires, chacun apporte son expérience et son savoir.",
    "On ne construit rien de durable sans celles et ceux qui sont concernés.",
    "Il faut du temps, de la confiance, et beaucoup d'écoute.",
    "Pouvez-vous nous raconter comment tout cela a commencé ?",
    "Au début, nous étions une poignée, dans un quartier de Montreuil.",
    "Ce qui compte, c'est de se rencontrer et de réfléchir ensemble.",
    "Merci, c'est passionnant. Revenons un instant sur l'emploi.",
]


def run(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def generate(target: Path, minutes: float, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clips = []
        for i, text in enumerate(PHRASES):
            for voice, pitch in (("fr+m3", "45"), ("fr+f3", "60")):
                raw = tmp / f"{i}-{voice}.raw.wav"
                run("espeak-ng", "-v", voice, "-p", pitch, "-s", "155", "-w", str(raw), text)
                clip = tmp / f"{i}-{voice}.wav"
                run("ffmpeg", "-y", "-i", str(raw), "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", str(clip))
                clips.append(clip)
        pauses = {}
        for length in (0.3, 0.6, 1.0, 2.5, 4.0):
            pauses[length] = tmp / f"pause-{length}.wav"
            run(
                "ffmpeg",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "anullsrc=r=48000:cl=mono",
                "-t",
                str(length),
                "-c:a",
                "pcm_s16le",
                str(pauses[length]),
            )
        listing = tmp / "list.txt"
        total, lines = 0.0, []
        while total < minutes * 60:
            clip = rng.choice(clips)
            pause = rng.choices(list(pauses), weights=[5, 5, 3, 1, 0.5])[0]
            lines += [f"file '{clip}'", f"file '{pauses[pause]}'"]
            total += 4.0 + pause
        listing.write_text("\n".join(lines) + "\n")
        seconds = minutes * 60
        run(
            "ffmpeg",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=c=pink:a=0.003:r=48000:seed={seed}",
            "-f",
            "lavfi",
            "-i",
            "sine=f=50:r=48000",
            "-filter_complex",
            "[1:a]volume=1[n];[2:a]volume=0.004[h];"
            "[0:a][n][h]amix=inputs=3:duration=first:normalize=0,volume=0.5,pan=stereo|c0=c0|c1=0.95*c0[out]",
            "-map",
            "[out]",
            "-t",
            str(seconds),
            "-c:a",
            "pcm_s16le",
            str(target),
        )
    return target
