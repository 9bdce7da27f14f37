"""Full-text search across the published transcripts: an SQLite FTS5 index in build/, brought
up to date from the catalog (live episodes only: no draft, no withdrawn episode) before every
query. Accents and case are folded (unicode61, remove_diacritics),
and queries are made of quoted terms, so FTS syntax in what people type is never interpreted."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil
from podcast.core.errors import PodcastError
from podcast.project.config import Config
from podcast.project.ids import episode_page_url
from podcast.release import catalog

log = logging.getLogger("podcast.search")

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    text, speaker UNINDEXED, slug UNINDEXED, start UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS indexed (slug TEXT PRIMARY KEY, digest TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Hit:
    slug: str
    title: str
    speaker: str
    start: float
    snippet: str
    url: str


def index_path(config: Config) -> Path:
    return config.build_dir / "search.sqlite"


@contextlib.contextmanager
def _connect(config: Config) -> Iterator[sqlite3.Connection]:
    """The index, opened; a damaged one (it is only a cache of the transcripts) is rebuilt.
    SQLite's errors become ours here."""
    path = index_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = _open(path)
    except sqlite3.DatabaseError:
        log.warning("the search index %s was damaged: rebuilding it", path)
        path.unlink(missing_ok=True)
        connection = _open(path)
    try:
        yield connection
        connection.commit()
    except sqlite3.Error as exc:
        raise PodcastError(f"search index {path}: {exc} (delete it: it is rebuilt from the transcripts)") from None
    finally:
        connection.close()


def _open(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path)
    except sqlite3.Error as exc:
        raise PodcastError(f"search index {path}: {exc}") from None
    try:
        connection.executescript(SCHEMA)
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


def update_index(config: Config, shown: catalog.Catalog) -> int:
    """(Re)index the live episodes whose published transcript changed; drop the others (gone,
    withdrawn, back to draft). Returns how many were indexed."""
    changed = 0
    with _connect(config) as db:
        known = dict(db.execute("SELECT slug, digest FROM indexed").fetchall())
        present = set()
        for item in shown.items:
            if "transcript.vtt" not in item.publication.objects:
                continue
            slug = item.episode.slug
            present.add(slug)
            segments = item.segments()
            digest = item.publication.segments or fsutil.sha256_text(repr(segments))
            if known.get(slug) == digest:
                continue
            db.execute("DELETE FROM passages WHERE slug = ?", (slug,))
            rows = [(s.text, s.speaker, slug, s.start) for s in segments]
            db.executemany("INSERT INTO passages (text, speaker, slug, start) VALUES (?, ?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO indexed (slug, digest) VALUES (?, ?)", (slug, digest))
            changed += 1
        for slug in set(known) - present:
            db.execute("DELETE FROM passages WHERE slug = ?", (slug,))
            db.execute("DELETE FROM indexed WHERE slug = ?", (slug,))
    return changed


def fts_query(text: str) -> str:
    """Every word of `text` must appear; each is quoted, so '"', '*', 'NEAR', '-' mean nothing."""
    terms = re.findall(r"\w+", text)
    if not terms:
        raise PodcastError(f"nothing to search for in {text!r}: give some words")
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def search(config: Config, text: str, limit: int = 20) -> list[Hit]:
    """Passages of the published transcripts (what listeners can hear now) matching `text`."""
    shown = catalog.collect(config)
    update_index(config, shown)
    titles = {item.episode.slug: item.episode.meta.title for item in shown.items}
    with _connect(config) as db:
        rows = db.execute(
            "SELECT slug, speaker, start, snippet(passages, 0, '[', ']', '…', 16) FROM passages "
            "WHERE passages MATCH ? ORDER BY bm25(passages), slug, start LIMIT ?",
            (fts_query(text), limit),
        ).fetchall()
    hits = []
    for slug, speaker, start, snippet in rows:
        url = f"{episode_page_url(config, slug)}#t={int(start)}"
        hits.append(Hit(slug, titles.get(slug, slug), speaker, float(start), snippet, url))
    return hits
