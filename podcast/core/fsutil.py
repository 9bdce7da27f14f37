"""Files: atomic writes (no reader ever sees a half-written file), content hashes, reading the
producer's files (inside the project, as UTF-8), and the project lock (one run at a time)."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from podcast.core.errors import Busy, EncodingProblem, UnreadableFile, UnsafePath

CHUNK = 1 << 20


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only on success.

    The temporary file keeps the target's extension (or `suffix`) so tools that guess the
    format from the name (ffmpeg) keep working.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    ext = suffix if suffix is not None else target.suffix
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{ext}", dir=target.parent)
    fcntl.flock(fd, fcntl.LOCK_EX)  # in flight: remove_stale (any thread, any process) leaves it alone
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(_file_mode())  # mkstemp makes 0600; published files must be readable
        with signals_held():
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        os.close(fd)


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def copy_file(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sri_file(path: Path) -> str:
    """The file's Subresource Integrity string (SHA-384, base64), as podcast:integrity carries it."""
    digest = hashlib.sha384()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha384-" + base64.b64encode(digest.digest()).decode("ascii")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Defer SIGINT/SIGTERM across a critical section: a rename, or a native library's
    initialisation that an exception raised half-way leaves broken (onnxruntime's import then
    fails with "initialization failed", its session can abort the process). A Ctrl-C that came
    meanwhile is honoured as the section ends: KeyboardInterrupt, raised right there.

    Blocking the signal is not enough: delivered to another thread, it would still run Python's
    handler in this one, inside the section; so the handler only notes it until the end."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    caught: list[int] = []
    if previous is not None:
        signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    except (ValueError, OSError, AttributeError):
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)  # one that waited is noted now
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            if caught:
                signal.raise_signal(signal.SIGINT)  # to the handler in place: KeyboardInterrupt


# ---------------------------------------------------------------------------------------
# Reading the producer's files: inside the project, as UTF-8


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, links followed, is `root` or lies under it."""
    try:
        return path.resolve().is_relative_to(_resolved(root) if root.is_absolute() else root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


@functools.lru_cache(maxsize=16)
def _resolved(root: Path) -> Path:
    """The project's root (absolute: the working folder may change), links followed: resolved
    once per run, not once per file read."""
    return root.resolve()


def require_inside(path: Path, root: Path, what: str = "") -> Path:
    """`path`, when it resolves inside `root`; a link out of the project is refused."""
    if not inside(path, root):
        target = path.resolve() if path.is_symlink() else path
        raise UnsafePath(
            f"{what or path.name}: {path} leads outside the project ({target}); only files inside "
            f"{root} are read (name an outside recording explicitly as a source instead)"
        )
    return path


def read_bytes(path: Path, limit: int, root: Path | None = None) -> bytes:
    """The bytes of `path`, at most `limit` of them, counted as they are read (a device or a
    pipe has no size to trust: /dev/zero never ends); with `root`, only when it resolves inside it."""
    if root is not None:
        require_inside(path, root)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit:
        size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit:,} bytes"
        raise UnreadableFile(f"{path}: over {size}: too large for the file expected here")
    return data


def read_text(path: Path, root: Path | None = None, limit: int = 256 << 20) -> str:
    """A text file the producer wrote, as str: UTF-8 (a byte-order mark is dropped); with
    `root`, only when it resolves inside it; at most `limit` bytes. Bad encoding is one error
    naming the line."""
    data = read_bytes(path, limit, root)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EncodingProblem(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, column {column}): "
            "save it as UTF-8 (most editors: 'Save with encoding' → UTF-8)"
        ) from None
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------------------------------
# One run at a time per project; what an interrupted run left behind


LOCK_NAME = ".lock"
# Re-entrant per thread, never across threads: a thread holding the lock may take it again (a
# command calling another), while another thread of the same process is refused as another
# process would be (the review server saves from several threads at once).
_held = threading.local()
# Names this tool gives its temporary files and folders (atomic_path, TemporaryDirectory):
STALE_PATTERNS = (
    re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?$"),  # .NAME.xxxxxxxx.part.EXT
    re.compile(r"^\.process-[a-z0-9_]{8}$"),  # the process stage's scratch folder
)
STAGING_PATTERN = re.compile(r"^\.[a-z0-9][a-z0-9-]*\.[a-z0-9_]{8}$")  # `podcast new`'s staging folder


def _depths() -> dict[Path, int]:
    if not hasattr(_held, "depths"):
        _held.depths = {}
    depths: dict[Path, int] = _held.depths
    return depths


@contextlib.contextmanager
def project_lock(build_dir: Path, clean: tuple[Path, ...] = ()) -> Iterator[None]:
    """Hold the project's lock (build/.lock) for the duration; refuse with the holder's pid when
    another run (or another thread of this one) has it. The first holder removes the temporary
    files an interrupted run left in `clean` (only names this tool makes, none in flight)."""
    path = (build_dir / LOCK_NAME).resolve()
    depths = _depths()
    if path in depths:
        depths[path] += 1
        try:
            yield
        finally:
            depths[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        if holder == str(os.getpid()):
            raise Busy("this command is already working on the project (another task of it): try again") from None
        raise Busy(f"another podcast run is in progress on this project (pid {holder}): let it finish") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    depths[path] = 1
    try:
        for folder in clean:
            remove_stale(folder)
        yield
    finally:
        del depths[path]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files and folders an interrupted run of this tool left under
    `folder` (only our own names; call it only while holding the project lock). In an
    `episodes` folder, which holds the producer's files, only `podcast new`'s staging folders
    at its top are ours."""
    if not folder.is_dir():
        return []
    if folder.name == "episodes":
        found = [p for p in folder.glob(".*") if p.is_dir() and STAGING_PATTERN.match(p.name)]
    else:
        found = [p for p in folder.rglob(".*") if any(pattern.match(p.name) for pattern in STALE_PATTERNS)]
    removed = []
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif not _unlink_unless_in_flight(path):
            continue
        removed.append(path)
    return removed


def _unlink_unless_in_flight(path: Path) -> bool:
    """Remove a temporary file unless its writer (atomic_path, in any thread or process) still
    holds it: a save running beside a run is not an interrupted run's leftover."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    except OSError:  # a link: ours are never links, so it is not in flight
        path.unlink(missing_ok=True)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path.unlink(missing_ok=True)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
