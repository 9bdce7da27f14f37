"""Show and episode art: checked against what Apple Podcasts and Spotify require, and fixed
on request (the only module that uses Pillow)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageFont, UnidentifiedImageError

from podcast.core import fsutil
from podcast.core.errors import ArtworkError

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


def keep_original(path: Path) -> Path:
    """Copy `path` to NAME.orig before the tool rewrites it (once: the first original is kept)."""
    backup = path.with_name(path.name + ".orig")
    if not backup.exists():
        shutil.copy2(path, backup)
    return backup


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
    backup = keep_original(path)
    fmt = "PNG" if path.suffix.lower() == ".png" else "JPEG"
    with fsutil.atomic_path(path) as tmp:
        options = {"quality": 90, "optimize": True, "progressive": True} if fmt == "JPEG" else {"optimize": True}
        image.save(tmp, fmt, **options)
    return backup


# ---------------------------------------------------------------------------------------
# The placeholder cover `podcast init` makes, so a new show publishes on its first try

PLACEHOLDER_SIZE = 3000
PLACEHOLDER_MARK = b"podcast placeholder cover"  # a JPEG comment: how `check` recognises it
PLACEHOLDER_COLOUR = (138, 28, 43)
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",  # Debian's fonts-dejavu-core
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
)


def placeholder(path: Path, title: str) -> None:
    """Write a plain cover with the show's title (3000×3000 RGB JPEG) at `path`."""
    from PIL import ImageDraw

    image = Image.new("RGB", (PLACEHOLDER_SIZE, PLACEHOLDER_SIZE), PLACEHOLDER_COLOUR)
    draw = ImageDraw.Draw(image)
    margin = PLACEHOLDER_SIZE // 10
    lines, font = _fit_title(draw, title.strip() or "Podcast", PLACEHOLDER_SIZE - 2 * margin)
    text = "\n".join(lines)
    box = draw.multiline_textbbox((0, 0), text, font=font, align="center", spacing=font.size // 4)
    x = (PLACEHOLDER_SIZE - (box[2] - box[0])) / 2 - box[0]
    y = (PLACEHOLDER_SIZE - (box[3] - box[1])) / 2 - box[1]
    draw.multiline_text((x, y), text, fill=(255, 255, 255), font=font, align="center", spacing=font.size // 4)
    with fsutil.atomic_path(path) as tmp:
        image.save(tmp, "JPEG", quality=85, optimize=True, comment=PLACEHOLDER_MARK)


def _fit_title(draw: object, title: str, width: int) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """The title's lines and the largest font (from 320 px down) that fits them in `width`."""
    for size in range(320, 60, -20):
        font = _font(size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= 5 and all(_width(draw, line, font) <= width for line in lines):
            return lines, font
    font = _font(60)
    return _wrap(draw, title, font, width)[:8], font


def _wrap(draw: object, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    text = re.sub(r" +([:;?!»])", "\u00a0\\1", re.sub(r"([«]) +", "\\1\u00a0", " ".join(text.split())))
    lines: list[str] = []
    for word in text.split(" "):  # not at the no-break spaces French puts before : ; ? !
        if lines and _width(draw, f"{lines[-1]} {word}", font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [text]


def _width(draw: object, text: str, font: ImageFont.FreeTypeFont) -> float:
    return float(font.getlength(text))


def _font(size: int) -> ImageFont.FreeTypeFont:
    for candidate in FONTS:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    # Pillow's stubs type load_default() as the bitmap font; with a size it returns a FreeTypeFont.
    return ImageFont.load_default(size)  # type: ignore[return-value]


def is_placeholder(path: Path) -> bool:
    """Whether `path` is the cover `podcast init` made (still in use)."""
    try:
        with Image.open(path) as image:
            return bool(image.info.get("comment") == PLACEHOLDER_MARK)
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def generate(path: Path, title: str, *, force: bool = False) -> Path | None:
    """Make the placeholder cover again (after a title change). A cover that is not ours is
    replaced only with `force`, and kept as NAME.orig; returns that backup, if any."""
    backup = None
    if path.exists() and not is_placeholder(path):
        if not force:
            raise ArtworkError(
                f"{path} is not the placeholder cover `podcast init` made: not replacing it "
                "(--force replaces it, keeping the original as .orig)"
            )
        backup = keep_original(path)
    placeholder(path, title)
    return backup


# ---------------------------------------------------------------------------------------
# The web pages' images: the cover in the sizes pages need, a social card, an icon, a logo

WEB_FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "jpg": ("JPEG", {"quality": 82, "optimize": True, "progressive": True}),
    "webp": ("WEBP", {"quality": 80, "method": 4}),
    "avif": ("AVIF", {"quality": 60, "speed": 8}),
    "png": ("PNG", {"optimize": True}),
}
SOCIAL_SIZE = (1200, 630)  # what Open Graph and Twitter's large card show uncropped


def _open_rgb(path: Path, size: int) -> Image.Image:
    """`path` decoded as RGB (JPEG decoded at a reduced scale when that is enough)."""
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (size, size))
            return opened.convert("RGB")
    except Image.DecompressionBombError:
        raise ArtworkError(f"{path.name}: declares an enormous size (a decompression bomb?): not opened") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ArtworkError(f"{path.name}: not a readable image ({exc})") from None


def _square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def _save(image: Image.Image, target: Path, kind: str) -> None:
    fmt, options = WEB_FORMATS[kind]
    with fsutil.atomic_path(target) as tmp:
        image.save(tmp, fmt, **options)


def web_covers(source: Path, targets: dict[tuple[int, str], Path]) -> None:
    """Write the square cover `source` at each (size in px, format) of `targets`: centre-cropped,
    downscaled (never enlarged: a smaller cover is written at its own size)."""
    square = _square(_open_rgb(source, max(size for size, _ in targets)))
    for (size, kind), target in targets.items():
        side = min(size, square.width)
        scaled = square if side == square.width else square.resize((side, side), Image.Resampling.LANCZOS)
        _save(scaled, target, kind)


def social_card(source: Path, target: Path) -> None:
    """A 1200×630 JPEG for link previews: the cover whole in the middle, on a blurred, darkened
    enlargement of itself (networks crop a square cover to a band otherwise)."""
    from PIL import ImageEnhance, ImageFilter

    width, height = SOCIAL_SIZE
    square = _square(_open_rgb(source, width))
    back = square.resize((width, width), Image.Resampling.BILINEAR).crop(
        (0, (width - height) // 2, width, (width + height) // 2)
    )
    back = ImageEnhance.Brightness(back.filter(ImageFilter.GaussianBlur(40))).enhance(0.55)
    side = height - 60
    back.paste(square.resize((side, side), Image.Resampling.LANCZOS), ((width - side) // 2, 30))
    _save(back, target, "jpg")


def web_logo(source: Path, target: Path, height: int = 96) -> tuple[int, int]:
    """The show's logo at `height` px high (at most 4 times as wide), as PNG; its size."""
    try:
        with Image.open(source) as opened:
            image = opened.convert("RGBA")
    except Image.DecompressionBombError:
        raise ArtworkError(f"{source.name}: declares an enormous size (a decompression bomb?): not opened") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ArtworkError(f"logo {source.name}: not a readable image ({exc})") from None
    image.thumbnail((height * 4, height), Image.Resampling.LANCZOS)
    _save(image, target, "png")
    return image.size


def dimensions(path: Path) -> tuple[int, int]:
    """An image's width and height, read from its header ((0, 0) when unreadable)."""
    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return (0, 0)
