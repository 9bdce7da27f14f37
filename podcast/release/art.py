"""The show's images as the feed names them (`podcast:image`): the cover itself, and the 1200×630
card the site makes from it for link previews (`site.social_key`: a key derived from the cover,
so the feed can name it before the pages are published; the release publishes the pages, and
with them the card, before the feed)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from podcast.edges import images
from podcast.project.config import Config
from podcast.release import catalog, site


@dataclass(frozen=True)
class ShowImage:
    key: str
    width: int
    height: int
    purpose: str  # podcast:image purpose tokens ("artwork", "social")
    type: str = "image/jpeg"

    @property
    def aspect_ratio(self) -> str:
        common = math.gcd(self.width, self.height) or 1
        return f"{self.width // common}/{self.height // common}"


def show_images(config: Config) -> list[ShowImage]:
    """The cover and its social card (keys and sizes; nothing is written)."""
    cover_key = catalog.artwork_key(config)
    art = config.artwork_path
    if cover_key is None or art is None or not art.is_file():
        return []
    mime = "image/png" if cover_key.endswith(".png") else "image/jpeg"
    width, height = images.dimensions(art)
    if not width:
        return [ShowImage(cover_key, 0, 0, "artwork", mime)]
    social_width, social_height = images.SOCIAL_SIZE
    return [
        ShowImage(cover_key, width, height, "artwork", mime),
        ShowImage(site.social_key(art), social_width, social_height, "social"),
    ]
