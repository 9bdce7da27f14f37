"""`podcast model pull|list`: bigger Whisper models, for producers who have internet or a GPU.

A model is downloaded once from the Hugging Face hub (or `$PODCAST_MODEL_HUB`, a mirror that
serves the same paths) into the cache, then works offline: `transcribe.model = "small"`. The
hub's file list gives each file's size and, for the large ones, its SHA-256: both are checked.
Files go to a hidden staging folder (.pull-NAME) and resume after an interruption; the model
folder appears, whole, only when every file is there and checked.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil, safejson
from podcast.core.errors import FetchError, ModelError, PodcastError
from podcast.core.progress import ProgressFactory, no_progress
from podcast.core.text import url_problem
from podcast.edges import http as web
from podcast.edges import whisper

HUB_ENV = "PODCAST_MODEL_HUB"
DEFAULT_HUB = "https://huggingface.co"
# CTranslate2 conversions of OpenAI's Whisper, as faster-whisper itself names them
CATALOG = {
    "tiny": "Systran/faster-whisper-tiny",
    "tiny.en": "Systran/faster-whisper-tiny.en",
    "base.en": "Systran/faster-whisper-base.en",
    "small": "Systran/faster-whisper-small",
    "small.en": "Systran/faster-whisper-small.en",
    "medium": "Systran/faster-whisper-medium",
    "medium.en": "Systran/faster-whisper-medium.en",
    "large-v3": "Systran/faster-whisper-large-v3",
    "large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
}
WANTED = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt", "vocabulary.json", "preprocessor_config.json")
CONFIRM_ABOVE = 1 << 30  # a download this large needs --yes
MAX_LISTING = 4 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str  # '' when the hub gives none (small text files)


@dataclass(frozen=True)
class Pulled:
    name: str
    folder: Path
    size: int
    fetched: int  # files downloaded this time (0: it was already there)


def hub() -> str:
    base = os.environ.get(HUB_ENV) or DEFAULT_HUB
    if why := url_problem(base):
        raise PodcastError(f"${HUB_ENV} {why}")
    return base.rstrip("/")


def folder(name: str) -> Path:
    """Where a pulled model lives (whisper.resolve looks here first)."""
    return whisper.pulled_folder(name)


def repository(name: str) -> str:
    if name not in CATALOG:
        raise PodcastError(f"unknown model '{name}': choose one of {', '.join(CATALOG)}")
    return CATALOG[name]


def listing(name: str) -> list[RemoteFile]:
    """The model's files on the hub, with their sizes and checksums."""
    url = f"{hub()}/api/models/{repository(name)}/tree/main"
    data, _ = web.fetch(url, MAX_LISTING)
    try:
        entries = safejson.loads(data, limit=MAX_LISTING)
        if not isinstance(entries, list):
            raise TypeError("not a list")
        found = [_remote(e) for e in entries if isinstance(e, dict) and e.get("type") == "file"]
    except safejson.JsonProblem as exc:
        raise FetchError(f"{url}: not a model file list ({exc})") from None
    except (ValueError, TypeError, KeyError):
        raise FetchError(f"{url}: not a model file list") from None
    files = [f for f in found if f.name in WANTED]
    missing = [n for n in whisper.REQUIRED_FILES if n not in {f.name for f in files}]
    if missing:
        raise FetchError(f"{url}: the model lacks {', '.join(missing)}: not a CTranslate2 Whisper model")
    return files


def _remote(entry: dict[str, object]) -> RemoteFile:
    name, size = str(entry["path"]), entry["size"]
    lfs = entry.get("lfs")
    sha = str(lfs.get("oid", "")) if isinstance(lfs, dict) else ""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0 or (sha and not _SHA256.match(sha)):
        raise ValueError(name)
    return RemoteFile(name, size, sha)


def pull(
    name: str,
    *,
    yes: bool = False,
    dry_run: bool = False,
    say: Callable[[str], None] = lambda line: None,
    progress: ProgressFactory = no_progress,
) -> Pulled:
    """Download model `name` into the cache (resuming an interrupted pull), check it, and
    put it in place."""
    target = folder(name)
    files = listing(name)
    total = sum(f.size for f in files)
    if _complete(target, files):
        return Pulled(name, target, total, 0)
    say(f"{name}: {total / 1e6:,.0f} MB to download from {hub()}/{repository(name)} into {target}")
    if total > CONFIRM_ABOVE and not yes:
        raise PodcastError(f"{name} is {total / 1e9:.1f} GB: add --yes to download it")
    if dry_run:
        return Pulled(name, target, total, len(files))
    staging = target.with_name(f".pull-{name}")
    staging.mkdir(parents=True, exist_ok=True)
    bar = progress(f"pull {name}", float(total))
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        bar.update(done)

    fetched = 0
    try:
        for remote in files:
            path = staging / remote.name
            if path.is_file() and _matches(path, remote):
                advance(remote.size)
                continue
            # never more than the hub listed: a body without end stops there, not gigabytes later
            web.download(f"{hub()}/{repository(name)}/resolve/main/{remote.name}", path, advance, limit=remote.size)
            fetched += 1
            if not _matches(path, remote):
                path.unlink()
                raise FetchError(
                    f"{remote.name} of {name}: the download does not match the hub's checksum: run it again"
                )
    finally:
        bar.close()
    whisper.check_folder(staging)
    if target.exists():
        shutil.rmtree(target)  # an older pull of the same model, in our cache
    os.replace(staging, target)
    return Pulled(name, target, total, fetched)


def _matches(path: Path, remote: RemoteFile) -> bool:
    if path.stat().st_size != remote.size:
        return False
    return not remote.sha256 or fsutil.sha256_file(path) == remote.sha256


def _complete(target: Path, files: list[RemoteFile]) -> bool:
    try:
        whisper.check_folder(target)
    except ModelError:
        return False
    return all((target / f.name).is_file() and (target / f.name).stat().st_size == f.size for f in files)


def installed() -> list[tuple[str, Path | None]]:
    """Every model `podcast model pull` knows, and where it is when pulled."""
    found: list[tuple[str, Path | None]] = []
    for name in CATALOG:
        path = folder(name)
        try:
            found.append((name, whisper.check_folder(path)))
        except ModelError:
            found.append((name, None))
    return found
