"""`podcast newsletter`: HTML and plain-text snippets announcing an episode (the project's
templates/ may override newsletter.html and newsletter.txt)."""

from __future__ import annotations

from pathlib import Path

from podcast.core import fsutil, i18n
from podcast.core.errors import PodcastError
from podcast.project import episode as episodes
from podcast.project.config import Config
from podcast.project.ids import episode_page_url
from podcast.release import site


def newsletter(config: Config, slug: str) -> tuple[str, str]:
    """An HTML and a plain-text snippet announcing the episode."""
    ep = episodes.load(config, slug)
    if ep.publication().audio is None:
        raise PodcastError(f"{slug} is not published yet (run `podcast publish {slug}`)")
    env = site.environment(config)
    context = {
        "show": config.show,
        "t": i18n.strings(config.show.language),
        "ep": ep.meta,
        "url": episode_page_url(config, slug),
        "feed_url": config.feed_url,
        "summary": ep.meta.summary,
        "guests": ", ".join(g.name for g in ep.meta.guests),
        "links": dict(site.subscribe_links(config)),  # the same buttons as the pages
    }
    return site.render_template(env, "newsletter.html", **context), site.render_template(
        env, "newsletter.txt", **context
    )


def write(config: Config, slug: str) -> tuple[str, list[Path]]:
    """Write both snippets into the episode's build folder; returns the text one and the paths."""
    html_text, plain = newsletter(config, slug)
    build = episodes.load(config, slug).build
    paths = [build / "newsletter.html", build / "newsletter.txt"]
    fsutil.write_text(paths[0], html_text)
    fsutil.write_text(paths[1], plain)
    return plain, paths
