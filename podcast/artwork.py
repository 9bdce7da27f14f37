"""Show and episode art: checked against what Apple Podcasts and Spotify require, and fixed
on request (the only module that uses Pillow)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from . import fsutil
from .errors import ArtworkError

MIN_SIZE, MAX_SIZE = 1400, 3000
RECOMMENDED_BYTES = 512 * 1024
FORMATS = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}


@dataclass
class Report:
    path: Path
    format: str = ""
    size: tuple[int, int] = (0, 0)
    mode: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def inspect(path: Path) -> Report:
    report = Report(path)
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            report.format, report.size, report.mode = image.format or "", image.size, image.mode
            image.load()
    except Image.DecompressionBombError:
        report.errors.append("declares an enormous size (a decompression bomb?): not opened")
        return report
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        report.errors.append(f"not a readable image ({exc.__class__.__name__}: {exc})")
        return report
    width, height = report.size
    if report.format not in FORMATS:
        report.errors.append(f"{report.format} image: use JPEG or PNG")
    elif path.suffix.lower() not in FORMATS[report.format]:
        report.errors.append(f"the file is {report.format} but named {path.suffix}: the extension must match")
    if width != height:
        report.errors.append(f"{width}×{height} is not square")
    if min(width, height) < MIN_SIZE or max(width, height) > MAX_SIZE:
        report.errors.append(f"{width}×{height} px: must be between {MIN_SIZE} and {MAX_SIZE} px")
    if report.mode not in ("RGB", "P") and not (report.format == "PNG" and report.mode == "RGBA"):
        report.errors.append(f"colour mode {report.mode}: must be RGB")
    if report.mode == "RGBA":
        report.warnings.append("has transparency: some apps show it on black")
    size = path.stat().st_size
    if size > RECOMMENDED_BYTES:
        report.warnings.append(f"{size // 1024} KB: under 512 KB is recommended")
    return report


def require(path: Path) -> Report:
    """The report for `path`; raises with every problem and the fix when it is not usable."""
    report = inspect(path)
    if report.errors:
        raise ArtworkError(f"artwork {path.name}: {'; '.join(report.errors)} (run `podcast artwork fix`)")
    return report


def fix(path: Path) -> Path | None:
    """Rewrite `path` in the required form (RGB, square by centre crop, 1400–3000 px, the format
    its extension names, JPEG quality 90). The original is kept as NAME.orig. Returns the backup,
    or None when nothing needed fixing."""
    report = inspect(path)
    if report.ok and not any("KB" in w for w in report.warnings):
        return None
    try:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
    except Image.DecompressionBombError:
        raise ArtworkError(
            f"artwork {path.name}: declares an enormous size (a decompression bomb?): not opened"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ArtworkError(f"artwork {path.name}: cannot be read, so cannot be fixed ({exc})") from None
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    target = min(MAX_SIZE, max(MIN_SIZE, side))
    if target != side:
        image = image.resize((target, target), Image.Resampling.LANCZOS)
    backup = path.with_name(path.name + ".orig")
    if not backup.exists():
        shutil.copy2(path, backup)
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    with fsutil.atomic_path(path) as tmp:
        options = {"quality": 90, "optimize": True, "progressive": True} if fmt == "JPEG" else {"optimize": True}
        image.save(tmp, fmt, **options)
    return backup
