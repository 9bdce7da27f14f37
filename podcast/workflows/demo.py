"""The demo: a short generated French interview (two espeak-ng voices, each on its own
channel as with two microphones, a jingle, pauses, room tone, mains hum and a cough to cut),
written into the demo episode's folder.

Every piece sits in a fixed slot, so the cut declared in episodes/demo/episode.toml
(the cough at 00:00:27-00:00:28) stays right whatever the speech synthesiser's timing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podcast import pipeline
from podcast.core import fsutil
from podcast.core.errors import MediaError
from podcast.edges import espeak, ffmpeg
from podcast.project import producer_files
from podcast.project.config import EPISODE_NAME, NOTES_NAME, Config

RATE = 48000
VOICES = {"host": ("fr+m3", 45), "guest": ("fr+f3", 60)}


@dataclass(frozen=True)
class Piece:
    kind: str  # jingle | silence | cough | host | guest
    slot: float  # seconds
    text: str = ""


SCRIPT = (
    Piece("jingle", 3.0),
    Piece("silence", 1.5),
    Piece(
        "host",
        7.5,
        "Bonjour et bienvenue dans ce nouvel épisode. Aujourd'hui, nous recevons "
        "une invitée du mouvement ATD Quart Monde.",
    ),
    Piece(
        "guest",
        8.0,
        "Merci de m'accueillir. Le mouvement agit avec les personnes qui vivent "
        "la pauvreté, et apprend d'abord d'elles.",
    ),
    Piece("host", 7.0, "Vous parlez souvent des territoires zéro chômeur de longue durée. De quoi s'agit-il ?"),
    Piece("cough", 1.0),
    Piece(
        "guest",
        9.5,
        "C'est une expérimentation : on part des compétences de chacun pour créer des "
        "emplois utiles au territoire, sans attendre que le marché les propose.",
    ),
    Piece("host", 5.0, "Merci beaucoup. À bientôt pour un prochain épisode."),
    Piece("silence", 2.0),
)
CUT = "00:00:27-00:00:28"  # the cough: jingle 3 + silence 1.5 + 7.5 + 8 + 7 = 27 s


def write_recording(target: Path) -> float:
    """Generate the demo recording at `target` (WAV, 48 kHz stereo); returns its duration."""
    with tempfile.TemporaryDirectory(prefix="podcast-demo-") as tmp:
        pieces = [_render_piece(piece, Path(tmp) / f"{i:02d}.wav") for i, piece in enumerate(SCRIPT)]
        total = sum(p.slot for p in SCRIPT)
        inputs: list[str] = []
        for path in pieces:
            inputs += ["-i", str(path)]
        n = len(pieces)
        graph = (
            "".join(f"[{i}:a]" for i in range(n)) + f"concat=n={n}:v=0:a=1[voice];"
            f"anoisesrc=d={total}:c=pink:a=0.004:r={RATE}:seed=42[room];"
            f"sine=f=50:d={total}:r={RATE},volume=0.006[hum];"
            "[room]pan=stereo|c0=c0|c1=c0[room2];[hum]pan=stereo|c0=c0|c1=c0[hum2];"
            "[voice][room2][hum2]amix=inputs=3:duration=first:normalize=0[out]"
        )
        with fsutil.atomic_path(target) as out:
            ffmpeg.generate([*inputs, "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le"], out)
    return total


# Two microphones, one per channel: each voice is loud on its own side, with a little bleed.
PLACEMENT = {"host": "pan=stereo|c0=c0|c1=0.12*c0", "guest": "pan=stereo|c0=0.12*c0|c1=c0"}


def _render_piece(piece: Piece, out: Path) -> Path:
    slot = piece.slot
    place = PLACEMENT.get(piece.kind, "pan=stereo|c0=c0|c1=c0")
    shape = (
        f"aformat=sample_fmts=fltp:sample_rates={RATE}:channel_layouts=mono,apad=whole_dur={slot},"
        f"atrim=end={slot},{place}"
    )
    if piece.kind in VOICES:
        voice, pitch = VOICES[piece.kind]
        raw = out.with_suffix(".speech.wav")
        espeak.speak(piece.text, voice, raw, speed=160, pitch=pitch)
        length = ffmpeg.probe(raw).duration
        if length > slot - 0.3:
            raise MediaError(f"demo: the line {piece.text[:30]!r}… lasts {length:.1f} s, more than its {slot} s slot")
        ffmpeg.generate(["-i", str(raw), "-af", f"volume=0.6,{shape}"], out)
    elif piece.kind == "jingle":
        # Commas inside a lavfi expression must be escaped from the filter-graph parser.
        notes = "+".join(
            rf"0.25*sin(2*PI*{f}*t)*between(t\,{i * 0.6:.1f}\,{i * 0.6 + 1.4:.1f})"
            for i, f in enumerate((523.25, 659.25, 783.99, 1046.5))
        )
        ffmpeg.generate(
            [
                "-f",
                "lavfi",
                "-i",
                f"aevalsrc={notes}:s={RATE}:d={slot}",
                "-af",
                f"afade=t=in:d=0.05,afade=t=out:st={slot - 0.6}:d=0.6,{shape}",
            ],
            out,
        )
    elif piece.kind == "cough":
        ffmpeg.generate(
            [
                "-f",
                "lavfi",
                "-i",
                f"anoisesrc=d=0.45:c=brown:a=0.9:r={RATE}:seed=7",
                "-af",
                f"lowpass=f=1800,afade=t=in:d=0.03,afade=t=out:st=0.08:d=0.37,adelay=250,{shape}",
            ],
            out,
        )
    else:
        ffmpeg.generate(["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono", "-t", str(slot), "-af", shape], out)
    return out


HOST, GUEST = "Karim (animateur)", "Invitée de démonstration"
NOTES = """Un épisode de démonstration, entièrement synthétisé : deux voix, un jingle, un silence et une toux
coupée au montage.

- Les **territoires zéro chômeur de longue durée**
- Apprendre des personnes qui vivent la pauvreté

Pour en savoir plus : [ATD Quart Monde](https://www.atd-quartmonde.fr/).
"""


def write_episode(folder: Path) -> None:
    """The demo episode's files in a project that has none (one made by `podcast init`)."""
    document = producer_files.new_episode()
    document.set_all(
        {
            "title": "Démo : un entretien de deux minutes",
            "date": dt.datetime(2026, 1, 15, 10, 0),
            "summary": "Un court entretien généré pour montrer toute la chaîne : montage, volume, transcription, "
            "tags et flux RSS.",
            "source": "recording.wav",
            "location": "Montreuil",
            "speakers.left": HOST,
            "speakers.right": GUEST,
            "edit.cuts": ["00:00:27-00:00:28"],
        }
    )
    document.append("guests", {"name": GUEST, "role": "guest"})
    folder.mkdir(parents=True, exist_ok=True)
    producer_files.write_new(folder / EPISODE_NAME, document)
    if not (folder / NOTES_NAME).exists():
        fsutil.write_text(folder / NOTES_NAME, NOTES)


def run(config: Config, options: pipeline.Options) -> tuple[str, pipeline.RunReport]:
    """Generate the demo recording (again with --force), then publish every episode."""
    recording = config.episodes_dir / "demo" / "recording.wav"
    if not (recording.parent / EPISODE_NAME).exists() and not options.dry_run:
        write_episode(recording.parent)
    generated = ""
    if options.force or not recording.exists():
        seconds = write_recording(recording)
        generated = f"generated {recording} ({seconds:.0f} s)"
    return generated, pipeline.publish(config, pipeline.Selection.all(), options)
