"""The next step to take, said at the end of the commands a newcomer runs first (`init`, `new`,
`publish`, `demo`): where the show can be heard now, or what to fix."""

from __future__ import annotations

from podcast import pipeline
from podcast.core.report import Report
from podcast.project import imported_feed
from podcast.project.config import Config
from podcast.project.ids import is_public


def after_publish(config: Config, run: pipeline.RunReport, selection: pipeline.Selection, dry_run: bool) -> Report:
    """The run's report, then the next step."""
    out = run.report(dry_run)
    out.info(f"next: {_next(config, run, selection, dry_run)}")
    return out


def _next(config: Config, run: pipeline.RunReport, selection: pipeline.Selection, dry_run: bool) -> str:
    names = "--all" if selection.every else " ".join(selection.slugs)
    if dry_run:
        return f"`podcast publish {names}` does it"
    if not run.ok:
        return f"fix what failed above, then `podcast publish {names}` again (`podcast status` shows each episode)"
    if run.release is None or not run.release.shown.items:
        return "`podcast status` says what each episode still needs before it can be in the feed"
    if not is_public(config.show.base_url):
        return (
            f"`podcast serve`, then open {config.feed_url} in a podcast app (`podcast serve --bind 0.0.0.0` "
            "for a phone on this network)"
        )
    record = imported_feed.load(config.root)
    if record is not None and not config.show.new_feed_url:
        return "`podcast check --http` fetches every file as an app would; then `podcast move` for moving the feed"
    return f"`podcast check --http` fetches every file as an app would; listeners subscribe to {config.feed_url}"


def after_demo(config: Config) -> Report:
    out = Report()
    out.info(f"feed: {config.public_dir / 'feed.xml'} (served as {config.feed_url} by `podcast serve`)")
    out.info(f"files: {config.public_dir}/episodes/  build outputs: {config.build_dir}/")
    out.info(
        f"next: `podcast serve`, then open {config.feed_url.removesuffix('feed.xml')}index.html in a browser "
        "or the feed in a podcast app; your own show: `podcast init DIR` (or `podcast import FEED-URL DIR`)"
    )
    return out
