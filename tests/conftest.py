"""Shared fixtures: generated audio (ffmpeg lavfi, espeak-ng) and throw-away projects."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from podcast.cli import cli

from .seaweed import ACCESS_KEY, SECRET_KEY, Seaweed

# The shared real-speech clips (../shared/speech beside the checkout, or $PODCAST_SPEECH_DIR).
SPEECH = Path(os.environ.get("PODCAST_SPEECH_DIR", Path(__file__).resolve().parents[2] / "shared" / "speech"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run slow tests (real speech clips)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers are decided here, once: `slow` runs only with --slow (`make test` passes it),
    `speech` only where the shared clips are."""
    slow = pytest.mark.skip(reason="slow: run with --slow")
    no_clips = pytest.mark.skip(reason=f"the shared speech clips are not here ({SPEECH})")
    have_clips = (SPEECH / "manifest.json").is_file()
    for item in items:
        if "slow" in item.keywords and not config.getoption("--slow"):
            item.add_marker(slow)
        if "speech" in item.keywords and not have_clips:
            item.add_marker(no_clips)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in a project file by `new` (`old` must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True)


def ffmpeg_stderr(*args: str) -> str:
    """Run ffmpeg for what it reports on stderr (measurements), output discarded."""
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", *args, "-f", "null", "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stderr


def ffprobe(path: Path, *args: str) -> str:
    return subprocess.run(
        ["ffprobe", "-v", "error", *args, str(path)], capture_output=True, text=True, check=True
    ).stdout


def duration(path: Path) -> float:
    return float(ffprobe(path, "-show_entries", "format=duration", "-of", "csv=p=0"))


def make_tone(
    path: Path,
    seconds: float = 6.0,
    freq: int = 440,
    volume_db: float = -20.0,
    rate: int = 48000,
    channels: int = 2,
    extra: tuple[str, ...] = (),
) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=f={freq}:r={rate}:d={seconds}",
        "-af",
        f"volume={volume_db}dB",
        "-ac",
        str(channels),
        *extra,
        str(path),
    )
    return path


def make_speech(
    path: Path, text: str = "Bienvenue dans notre podcast. Nous parlons de la pauvreté en France.", voice: str = "fr"
) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    ffmpeg("-i", str(raw), "-af", "adelay=1000,apad=pad_dur=1", "-ar", "48000", str(path))
    raw.unlink()
    return path


def make_artwork(path: Path, size: int = 1400) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"color=c=0x336699:s={size}x{size}:d=1", "-frames:v", "1", str(path))
    return path


@pytest.fixture(scope="session")
def artwork(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_artwork(tmp_path_factory.mktemp("art") / "cover.jpg")


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_speech(tmp_path_factory.mktemp("speech") / "speech.wav")


Run = Callable[..., Result]


@pytest.fixture
def project(tmp_path: Path, artwork: Path) -> Path:
    return make_project(tmp_path / "show", artwork)


def make_project(root: Path, artwork: Path) -> Path:
    """A new show made by `podcast init`, with a real cover and transcription off."""
    CliRunner().invoke(cli, ["init", str(root), "--title", "Essai & Cie"], catch_exceptions=False)
    shutil.copy(artwork, root / "cover.jpg")
    config = root / "config.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('artwork = "artwork/cover.jpg"', 'artwork = "cover.jpg"', 1)
    text = text.replace("[transcribe]\nenabled = true", "[transcribe]\nenabled = false", 1)
    config.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def run(project: Path) -> Run:
    """Invoke the CLI on `project`; stderr is kept apart from stdout."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)

    return invoke


def add_episode(project: Path, slug: str, recording: Path | None, **fields: str) -> Path:
    """Create an episode with `podcast new` and optionally edit fields of its episode.toml."""
    args = ["--project", str(project), "new", slug, "--title", fields.pop("title", f"Épisode {slug}")]
    if recording is not None:
        args += ["--source", str(recording)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    toml = project / "episodes" / slug / "episode.toml"
    for key, value in fields.items():
        lines = toml.read_text(encoding="utf-8").splitlines()
        lines = [f"{key} = {value}" if ln.split("=")[0].strip() == key else ln for ln in lines]
        if not any(ln.startswith(f"{key} =") for ln in lines):
            lines.insert(1, f"{key} = {value}")
        toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return project / "episodes" / slug


# -- A real S3 server (SeaweedFS) -----------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = Seaweed(tmp_path_factory.mktemp("seaweed"))
    server.start()
    yield server
    server.stop()


def client(endpoint: str, secret: str = SECRET_KEY) -> object:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=BotoConfig(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(seaweed: Seaweed, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"show-{uuid.uuid4().hex[:12]}"
    client(seaweed.endpoint).create_bucket(Bucket=name)  # type: ignore[attr-defined]
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    return name


def use_s3(project: Path, endpoint: str, bucket: str, prefix: str = "") -> None:
    config = project / "config.toml"
    edit(config, 'kind = "local"', 'kind = "s3"')
    edit(config, 'bucket = ""', f'bucket = "{bucket}"')
    edit(config, 'prefix = ""', f'prefix = "{prefix}"')
    edit(config, 'region = ""', 'region = "us-east-1"')
    edit(config, 'endpoint_url = ""', f'endpoint_url = "{endpoint}"')
    edit(config, 'addressing_style = "auto"', 'addressing_style = "path"')
    base = f"{endpoint}/{bucket}" + (f"/{prefix}" if prefix else "")
    edit(config, 'base_url = "http://127.0.0.1:8000"', f'base_url = "{base}"')


@pytest.fixture
def s3_project(project: Path, seaweed: Seaweed, bucket: str, tmp_path: Path) -> Path:
    use_s3(project, seaweed.endpoint, bucket, prefix="podcast")
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=3), date="2024-05-14")
    (project / "episodes" / "ep" / "notes.md").write_text("00:00:00 Début\n00:00:01 Suite\n")
    return project


# -- A real browser (Debian's Chromium, driven by Playwright) ---------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: scripts/setup.sh --test installs it (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
                "--mute-audio",
            ],
        )
        yield instance
        instance.close()


def wait_time(page: Any, target: float, within: float = 0.6, timeout: int = 10000) -> None:
    """Wait until the player landed at `target` seconds: where it stands now, or where a stretch
    it played began (a seek starts playback, so a renderer stalled on a loaded machine may only
    be looked at once the player has moved on)."""
    page.wait_for_function(
        f"""(() => {{
            const p = document.getElementById('player');
            const near = (t) => Math.abs(t - {target}) < {within};
            if (near(p.currentTime)) return true;
            for (let i = 0; i < p.played.length; i++) if (near(p.played.start(i))) return true;
            return false;
        }})()""",
        timeout=timeout,
    )


AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


def accessibility_problems(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands (the page's context must
    be opened with bypass_csp=True so the checker can be injected)."""
    if not AXE.is_file():
        pytest.fail("axe-core is missing: scripts/setup.sh --test installs it (tests/js, npm ci)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))"
        ".violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')})`)"
    )
    return list(found)
