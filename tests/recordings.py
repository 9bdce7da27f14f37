"""Generated interviews with known turns: two espeak-ng voices, one or two channels, or one file
per microphone, with each speaker's level and the bleed between microphones chosen."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .conftest import duration, ffmpeg, ffmpeg_stderr

HOST_LINES = [
    "Bonjour et bienvenue dans ce nouvel épisode consacré à la solidarité.",
    "Pouvez-vous nous raconter comment tout cela a commencé ?",
    "Merci, c'est passionnant. Revenons un instant sur l'emploi.",
]
GUEST_LINES = [
    "Le mouvement agit avec les personnes qui vivent la grande pauvreté.",
    "Au début, nous étions une poignée, dans un quartier de Montreuil.",
    "Les territoires zéro chômeur de longue durée partent des compétences de chacun.",
]
RATE = 48000
GAP = 0.6  # seconds between turns
_LEADING = "silenceremove=start_periods=1:start_threshold=-50dB"
TRIM_ENDS = f"{_LEADING},areverse,{_LEADING},areverse"
CLIP_LUFS = -23.0


@dataclass(frozen=True)
class Turn:
    speaker: str  # "host" | "guest"
    start: float
    end: float


def voice(path: Path, text: str, who: str, repeat: int = 1) -> Path:
    """`text` spoken by the host (a low male voice) or the guest (a higher female one), 48 kHz
    mono, at CLIP_LUFS."""
    name, pitch = ("fr+m3", "40") if who == "host" else ("fr+f3", "65")
    raw = path.with_suffix(".raw.wav")
    words = " ".join([text] * repeat)
    subprocess.run(["espeak-ng", "-v", name, "-p", pitch, "-s", "155", "-w", str(raw), words], check=True)
    level, _ = loudness_of(raw, [])
    ffmpeg("-i", str(raw), "-af", f"volume={CLIP_LUFS - level:.2f}dB", "-ar", str(RATE), "-ac", "1", str(path))
    raw.unlink()
    return path


def turns_audio(tmp: Path, turns: int = 6, repeat: int = 1) -> tuple[list[Path], list[Turn]]:
    """The clips of an interview (host, guest, host, ...) and where each turn lies once they
    are laid end to end with GAP seconds between them."""
    clips, found, position = [], [], 0.5
    for index in range(turns):
        who = "host" if index % 2 == 0 else "guest"
        lines = HOST_LINES if who == "host" else GUEST_LINES
        clip = voice(tmp / f"turn-{index}.wav", lines[(index // 2) % len(lines)], who, repeat)
        length = duration(clip)
        clips.append(clip)
        found.append(Turn(who, round(position, 3), round(position + length, 3)))
        position += length + GAP
    return clips, found


def _timeline(clips: list[Path], turns: list[Turn], who: str, gain_db: float, total: float) -> str:
    """An ffmpeg filter graph placing `who`'s clips (inputs) at their turns, the rest silent,
    `total` seconds long."""
    parts, labels = [], []
    for index, turn in enumerate(turns):
        if turn.speaker != who:
            continue
        parts.append(f"[{index}:a]volume={gain_db}dB,adelay={int(turn.start * 1000)}:all=1[{who}{index}]")
        labels.append(f"[{who}{index}]")
    mixed = f"amix=inputs={len(labels)}:normalize=0:duration=longest" if len(labels) > 1 else "anull"
    parts.append(f"{''.join(labels)}{mixed},apad=whole_dur={total:.3f}[{who}]")
    return ";".join(parts)


def interview(
    path: Path,
    tmp: Path,
    *,
    guest_db: float = -10.0,
    stereo: bool = True,
    bleed_db: float = -20.0,
    turns: int = 6,
    repeat: int = 1,
) -> list[Turn]:
    """A two-voice interview: stereo with the host on the left and the guest on the right
    (each bleeding into the other's channel at `bleed_db`), or mono; the guest `guest_db`
    quieter than the host (at CLIP_LUFS); faint pink room tone."""
    clips, found = turns_audio(tmp, turns, repeat)
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    total = found[-1].end + 1.0
    graph = [
        _timeline(clips, found, "host", 0.0, total),
        _timeline(clips, found, "guest", guest_db, total),
        f"anoisesrc=c=pink:a=0.001:r={RATE}:d={total:.3f}:seed=3,asplit=2[n1][n2]",
    ]
    bleed = 10 ** (bleed_db / 20)
    if stereo:
        graph.append(
            f"[host][guest]join=inputs=2:channel_layout=stereo,pan=stereo|c0=c0+{bleed:.4f}*c1|c1=c1+{bleed:.4f}*c0[mix]"
        )
        graph.append("[n1][n2]join=inputs=2:channel_layout=stereo[noise]")
    else:
        graph.append("[host][guest]amix=inputs=2:normalize=0:duration=longest[mix]")
        graph.append("[n1]anull[noise];[n2]anullsink")
    graph.append(f"[mix][noise]amix=inputs=2:normalize=0:duration=shortest,atrim=end={total:.3f}[out]")
    ffmpeg(*inputs, "-filter_complex", ";".join(graph), "-map", "[out]", "-c:a", "pcm_s16le", str(path))
    return found


def tracks(
    tmp: Path, *, guest_db: float = -6.0, bleed_db: float = -18.0, guest_delay: float = 0.0
) -> tuple[Path, Path, list[Turn]]:
    """One file per microphone: the host's (48 kHz mono) and the guest's (44.1 kHz stereo,
    starting `guest_delay` seconds late), each with the other voice bleeding in."""
    clips, found = turns_audio(tmp, 4)
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    host_track, guest_track = tmp / "host.wav", tmp / "guest.wav"
    total = found[-1].end + 1.0
    graph = [
        _timeline(clips, found, "host", 0.0, total),
        _timeline(clips, found, "guest", 0.0, total),
    ]
    ffmpeg(
        *inputs,
        "-filter_complex",
        ";".join(graph)
        + f";[host]asplit=2[h1][h2];[guest]asplit=2[g1][g2];[g2]volume={bleed_db}dB[gb];[h2]volume={bleed_db}dB[hb];"
        "[h1][gb]amix=inputs=2:normalize=0[hostmic];"
        f"[g1]volume={guest_db}dB[gq];[gq][hb]amix=inputs=2:normalize=0,"
        f"atrim=start={guest_delay:.3f},asetpts=PTS-STARTPTS,aresample=44100,pan=stereo|c0=c0|c1=c0[guestmic]",
        "-map",
        "[hostmic]",
        "-c:a",
        "pcm_s16le",
        str(host_track),
        "-map",
        "[guestmic]",
        "-c:a",
        "pcm_s16le",
        str(guest_track),
    )
    return host_track, guest_track, found


def loudness_of(path: Path, spans: list[tuple[float, float]], channel: str = "") -> tuple[float, float]:
    """Integrated loudness and loudness range of `path` over `spans` (seconds), joined."""
    select = "+".join(f"between(t,{start:.3f},{end:.3f})" for start, end in spans)
    pick = f"pan=mono|c0={channel}," if channel else ""
    chosen = f"aselect='{select}'," if spans else ""
    out = ffmpeg_stderr("-i", str(path), "-af", f"{pick}{chosen}ebur128")
    summary = out[out.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    assert integrated and lra, out[-500:]
    return float(integrated.group(1)), float(lra.group(1))


def spans(turns: list[Turn], who: str, shift: float = 0.0, inset: float = 0.2) -> list[tuple[float, float]]:
    return [(t.start + shift + inset, t.end + shift - inset) for t in turns if t.speaker == who]


def hesitant(path: Path, tmp: Path) -> dict[str, tuple[float, float]]:
    """Speech with a held "euh", a cough and a drawn-out "heu" between pauses, as an interviewee
    thinking aloud; returns where each lies (seconds)."""
    pieces: list[tuple[str, Path]] = []

    def say(name: str, text: str) -> None:
        raw = tmp / f"{name}.raw.wav"
        subprocess.run(["espeak-ng", "-v", "fr+m3", "-s", "140", "-w", str(raw), text], check=True)
        clip = tmp / f"{name}.wav"
        ffmpeg(
            "-i",
            str(raw),
            "-af",
            TRIM_ENDS,
            "-ar",
            str(RATE),
            "-ac",
            "1",
            str(clip),
        )
        pieces.append((name, clip))

    def pause(name: str, seconds: float) -> None:
        clip = tmp / f"{name}.wav"
        ffmpeg("-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono", "-t", f"{seconds}", str(clip))
        pieces.append((name, clip))

    say("start", "Nous avons")
    pause("p1", 0.4)
    say("euh", "euuuuh")
    pause("p2", 0.4)
    say("met", "rencontré les habitants du quartier, et nous les avons écoutés longuement.")
    pause("p3", 0.7)
    cough = tmp / "cough.wav"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=c=white:a=0.4:r={RATE}:d=0.35:seed=4",
        "-af",
        "highpass=f=300,lowpass=f=3500,afade=t=in:d=0.02,afade=t=out:st=0.08:d=0.27",
        str(cough),
    )
    pieces.append(("cough", cough))
    pause("p4", 0.7)
    say("then", "Ensuite")
    pause("p5", 0.4)
    say("heu", "heuuuuu")
    pause("p6", 0.4)
    say("end", "nous avons parlé de l'emploi des jeunes dans la ville de Montreuil.")
    spans, position = {}, 0.0
    for name, clip in pieces:
        length = duration(clip)
        spans[name] = (round(position, 3), round(position + length, 3))
        position += length
    listing = tmp / "pieces.txt"
    listing.write_text("".join(f"file '{clip}'\n" for _, clip in pieces))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-af", "apad=pad_dur=0.5", str(path))
    return spans
