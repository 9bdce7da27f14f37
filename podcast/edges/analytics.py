"""DuckDB: the only module that imports it. Reads access logs (plain or gzip) with the grammars
of `domain/logformats`, counts downloads by the rules of `domain/audience`, and keeps the
audience file (build/stats/audience.duckdb): what was read, the daily aggregates, and for the
days still open, one row per listener, file and day keyed by a salted hash.

No IP address or user-agent string is ever written to the file: the scan turns them into a
64-bit hash keyed by the project's secret and the day (so it changes every day), classifies
each distinct user agent in memory, and keeps only the app's name. A day's hashes are deleted
GRACE_DAYS after it ends; its counts stay.

One `ingest` is one transaction: an interrupted run leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core.errors import Busy, PodcastError
from podcast.domain import audience, logformats

SCHEMA_VERSION = "1"
_DELIMITER = "\x01\x02\x03\x04"  # lines are read whole: a delimiter no log line holds


class StatsError(PodcastError):
    """The audience file or a log cannot be read."""


@dataclass(frozen=True)
class LogFile:
    path: Path  # read whole (a new part of a growing log is copied out first)
    fmt: str  # a key of logformats.GRAMMARS


@dataclass(frozen=True)
class MediaObject:
    key: str  # "episodes/SLUG/FILE"
    episode: str
    size: int
    threshold: int  # bytes for a download (audience.threshold)


@dataclass(frozen=True)
class LogRecord:
    """What a run read of a log: a file (known by `ident`, the hash of its first `head` bytes of
    text) up to `bytes` and `lines`, or a bucket's object (its key)."""

    ident: str
    name: str
    lines: int
    bytes: int
    head: int
    complete: bool  # nothing more will be read from it (a compressed log, an object)
    read_at: dt.datetime | None = None


@dataclass
class Ingested:
    lines: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # requests left out, by reason
    malformed: dict[int, int] = field(default_factory=dict)  # file index → lines that did not parse
    rejected: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, why): not text
    audio_requests: int = 0  # requests for episode audio that the counting rules kept
    days: list[dt.date] = field(default_factory=list)


Classify = Callable[[str], audience.Agent]


@contextlib.contextmanager
def errors(action: str) -> Iterator[None]:
    """DuckDB's exceptions as one StatsError line."""
    import duckdb

    try:
        yield
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None  # Ctrl-C while DuckDB works: exit 130, like anywhere else
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise Busy("another `podcast stats` is reading the logs of this project: let it finish") from None
        raise StatsError(f"{action}: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        raise StatsError(f"{action}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


class Store:
    def __init__(self, path: Path, scratch: Path, memory_limit: str = "512MB", read_only: bool = False) -> None:
        import duckdb

        self.path = path
        with errors(f"opening {path}"):
            if read_only:
                self.db = duckdb.connect(str(path), read_only=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = duckdb.connect(str(path))
            if not read_only:
                scratch.mkdir(parents=True, exist_ok=True)
                self.db.execute(f"SET temp_directory = '{_quote(str(scratch))}'")
            self.db.execute(f"SET memory_limit = '{memory_limit}'")
            self.db.execute("SET preserve_insertion_order = false")
            self.db.execute("SET TimeZone = 'UTC'")
            if not read_only:
                self._schema()
            self._macros()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the file's tables ------------------------------------------------------------------

    def _schema(self) -> None:
        for statement in (
            "CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR)",
            # every audio object ever published: key → episode and the bytes that make a download
            "CREATE TABLE IF NOT EXISTS objects (id INTEGER PRIMARY KEY, key VARCHAR UNIQUE, episode VARCHAR, "
            "size BIGINT, threshold BIGINT)",
            # what was read: a file by the hash of its first bytes, an S3 object by its key
            "CREATE TABLE IF NOT EXISTS logs (source VARCHAR, ident VARCHAR, name VARCHAR, lines BIGINT, "
            "bytes BIGINT, head BIGINT, complete BOOLEAN, read_at TIMESTAMPTZ, PRIMARY KEY (source, ident))",
            # open days only: one row per listener (salted hash), file and read
            "CREATE TABLE IF NOT EXISTS listeners (day DATE, object INTEGER, listener UBIGINT, ip UBIGINT, "
            "app VARCHAR, bytes BIGINT)",
            # the counts: downloads per day, episode and app; requests left out per day and reason
            "CREATE TABLE IF NOT EXISTS downloads (day DATE, episode VARCHAR, app VARCHAR, downloads BIGINT)",
            "CREATE TABLE IF NOT EXISTS requests (day DATE, reason VARCHAR, requests BIGINT)",
            "CREATE TABLE IF NOT EXISTS day_filters (day DATE, reason VARCHAR, downloads BIGINT)",
            "CREATE TABLE IF NOT EXISTS closed (day DATE PRIMARY KEY)",
        ):
            self.db.execute(statement)
        version = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if version is None:
            self.db.execute(
                "INSERT INTO meta VALUES ('schema', ?), ('secret', ?)", [SCHEMA_VERSION, secrets.token_hex(16)]
            )
        elif version[0] != SCHEMA_VERSION:
            raise StatsError(f"{self.path}: written by another version of podcast: run `podcast stats --rebuild`")

    def _macros(self) -> None:
        """ipkey(ip): audience.listener_ip in SQL (IPv4 whole, IPv6 cut to 64 bits)."""
        self.db.execute(
            """
            CREATE OR REPLACE TEMP MACRO v6groups(ip) AS list_resize(
                CASE WHEN split_part(ip, '::', 1) = '' THEN []::VARCHAR[]
                     ELSE string_split(split_part(ip, '::', 1), ':') END,
                CASE WHEN contains(ip, '::')
                     THEN 8 - len(CASE WHEN split_part(ip, '::', 2) = '' THEN []::VARCHAR[]
                                       ELSE string_split(split_part(ip, '::', 2), ':') END)
                     ELSE 8 END, '0')
              || CASE WHEN contains(ip, '::') AND split_part(ip, '::', 2) <> ''
                      THEN string_split(split_part(ip, '::', 2), ':') ELSE []::VARCHAR[] END
            """
        )
        self.db.execute(
            """
            CREATE OR REPLACE TEMP MACRO ipkey(raw) AS CASE
              WHEN NOT contains(raw, ':') THEN raw
              WHEN lower(trim(raw)) LIKE '::ffff:%.%' THEN substr(trim(raw), 8)
              ELSE coalesce(array_to_string(list_transform(v6groups(lower(trim(raw)))[1:4],
                       lambda g: printf('%x', TRY_CAST('0x' || g AS INTEGER))), ':'), lower(trim(raw)))
            END
            """
        )

    def secret(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'secret'").fetchone()
        return str(row[0]) if row else ""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self.db.execute("ROLLBACK")
            raise
        with errors("saving the audience file"):
            self.db.execute("COMMIT")

    # -- bookkeeping ----------------------------------------------------------------------

    def read_logs(self, source: str) -> dict[str, LogRecord]:
        """What `source` had read, by ident."""
        with errors("reading the audience file"):
            rows = self.db.execute(
                "SELECT ident, name, lines, bytes, head, complete, read_at FROM logs WHERE source = ?", [source]
            ).fetchall()
        return {r[0]: LogRecord(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), bool(r[5]), r[6]) for r in rows}

    def remember(self, source: str, records: Sequence[LogRecord], forget: Sequence[str] = ()) -> None:
        """Record what was read now (replacing what was known of the same logs)."""
        with errors("recording the logs read"):
            if forget:
                self.db.execute(
                    "DELETE FROM logs WHERE source = ? AND ident IN (SELECT unnest(?::VARCHAR[]))",
                    [source, list(forget)],
                )
            if records:
                columns = list(
                    zip(*[(r.ident, r.name, r.lines, r.bytes, r.head, r.complete) for r in records], strict=True)
                )
                self.db.execute(
                    "INSERT OR REPLACE INTO logs SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::BOOLEAN[]), now()",
                    [source, *[list(c) for c in columns]],
                )

    def set_objects(self, objects: Sequence[MediaObject]) -> None:
        """Add new objects, update what is known of the others; never forget one."""
        with errors("recording the published audio"):
            known = {
                r[1]: r for r in self.db.execute("SELECT id, key, episode, size, threshold FROM objects").fetchall()
            }
            next_id = max((r[0] for r in known.values()), default=0) + 1
            for obj in objects:
                old = known.get(obj.key)
                if old is None:
                    self.db.execute(
                        "INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                        [next_id, obj.key, obj.episode, obj.size, obj.threshold],
                    )
                    next_id += 1
                elif old[2:] != (obj.episode, obj.size, obj.threshold):
                    self.db.execute(
                        "UPDATE objects SET episode = ?, size = ?, threshold = ? WHERE id = ?",
                        [obj.episode, obj.size, obj.threshold, old[0]],
                    )

    def objects(self) -> dict[str, tuple[str, int, int]]:
        rows = self.db.execute("SELECT key, episode, size, threshold FROM objects").fetchall()
        return {r[0]: (r[1], int(r[2]), int(r[3])) for r in rows}

    # -- reading logs ---------------------------------------------------------------------

    def ingest(self, files: Sequence[LogFile], classify: Classify, ip_daily_limit: int) -> Ingested:
        """Count the requests of `files` (read whole) into the open days."""
        result = Ingested()
        if not files:
            return result
        with errors("reading the logs"):
            self._scan(files)
            self._agents(classify)
            result = self._tally(files)
            self._keep()
            self.recount(result.days, ip_daily_limit)
            self.db.execute("DROP TABLE scan; DROP TABLE agents")
        return result

    def _scan(self, files: Sequence[LogFile]) -> None:
        selects, params = [], []
        for fmt in logformats.FORMATS:
            indexed = [(i, f) for i, f in enumerate(files) if f.fmt == fmt]
            if indexed:
                sql, args = _requests_sql(fmt, [i for i, _ in indexed], [str(f.path) for _, f in indexed])
                selects.append(sql)
                params += args
        requests = " UNION ALL ".join(selects)
        secret = self.secret()
        self.db.execute(
            f"""
            CREATE TEMP TABLE scan AS
            WITH req AS ({requests}),
            r AS (
              SELECT req.file, CAST(req.time AS DATE) AS day, o.id AS object, req.bytes,
                CASE WHEN NOT req.ok THEN 'malformed'
                     WHEN o.id IS NULL THEN 'other'
                     WHEN starts_with(req.agent, '{audience.AGENT_NAME}/') AND regexp_matches(req.agent, ?) THEN 'own'
                     WHEN req.method = 'HEAD' THEN 'head'
                     WHEN req.method <> 'GET' THEN 'method'
                     WHEN req.status NOT IN {audience.COUNTED_STATUSES} THEN 'status'
                     WHEN req.status = 206 AND req.bytes <= {audience.PROBE_BYTES} THEN 'probe'
                END AS reason,
                req.ip, req.agent
              FROM req LEFT JOIN objects o ON o.key = req.key
            ),
            keyed AS (SELECT *, CASE WHEN reason IS NULL THEN ipkey(ip) END AS address FROM r),
            k AS (
              SELECT file, day, reason, bytes,
                CASE WHEN reason IS NULL THEN object END AS object,
                CASE WHEN reason IS NULL THEN hash(?, day, address, agent) END AS listener,
                CASE WHEN reason IS NULL THEN hash(?, day, address) END AS ip,
                CASE WHEN reason IS NULL THEN hash(agent) END AS ua,
                CASE WHEN reason IS NULL THEN agent END AS agent
              FROM keyed
            )
            SELECT GROUPING(reason, file, day, object, listener, ip, ua, agent) AS set,
                   reason, file, day, object, listener, ip, ua, agent,
                   sum(bytes) AS bytes, count(*) AS requests
            FROM k
            GROUP BY GROUPING SETS ((reason, day), (reason, file), (day, object, listener, ip, ua), (ua, agent))
            """,
            [*params, audience.OWN_AGENT, secret, secret],
        )

    def _agents(self, classify: Classify) -> None:
        """Each distinct user agent, classified in Python (OPAWG), as a small table by hash."""
        agents = self.db.execute(
            "SELECT ua, agent FROM scan WHERE set = ? AND ua IS NOT NULL", [_set_id("ua", "agent")]
        ).fetchall()
        found = [classify(agent) for _, agent in agents]
        self.db.execute(
            "CREATE TEMP TABLE agents AS SELECT unnest(?::UBIGINT[]) AS ua, unnest(?::VARCHAR[]) AS kind, "
            "unnest(?::VARCHAR[]) AS app",
            [[ua for ua, _ in agents], [a.kind for a in found], [a.name for a in found]],
        )

    def _tally(self, files: Sequence[LogFile]) -> Ingested:
        result = Ingested()
        by_day = self.db.execute(
            "SELECT reason, day, requests FROM scan WHERE set = ? AND reason IS NOT NULL", [_set_id("reason", "day")]
        ).fetchall()
        closed = {r[0] for r in self.db.execute("SELECT day FROM closed").fetchall()}
        per_file = self.db.execute(
            "SELECT file, requests FROM scan WHERE set = ? AND reason = 'malformed'", [_set_id("reason", "file")]
        ).fetchall()
        result.malformed = {int(f): int(n) for f, n in per_file}
        excluded = self.db.execute(
            f"""
            SELECT CASE WHEN a.kind IN {tuple(audience.EXCLUDED)} THEN a.kind ELSE 'late' END AS reason,
                   s.day, sum(s.requests)
            FROM scan s JOIN agents a USING (ua)
            WHERE s.set = ? AND (a.kind IN {tuple(audience.EXCLUDED)} OR s.day IN (SELECT day FROM closed))
            GROUP BY ALL
            """,
            [_set_id("day", "object", "listener", "ip", "ua")],
        ).fetchall()
        kept = self.db.execute(
            f"""
            SELECT s.day, sum(s.requests) FROM scan s JOIN agents a USING (ua)
            WHERE s.set = ? AND a.kind NOT IN {tuple(audience.EXCLUDED)} AND s.day NOT IN (SELECT day FROM closed)
            GROUP BY ALL
            """,
            [_set_id("day", "object", "listener", "ip", "ua")],
        ).fetchall()
        rows = [(day, reason, int(n)) for reason, day, n in [*by_day, *excluded]]
        for _, reason, n in rows:
            result.reasons[reason] = result.reasons.get(reason, 0) + n
        result.lines = sum(result.reasons.values()) + sum(int(n) for _, n in kept)
        result.audio_requests = sum(int(n) for _, n in kept)
        result.days = sorted({day for day, _ in kept if day is not None and day not in closed})
        recorded = [(day, reason, n) for day, reason, n in rows if reason != "malformed"]
        if recorded:
            days, reasons, counts = (list(c) for c in zip(*recorded, strict=True))
            self.db.execute(
                "INSERT INTO requests SELECT unnest(?::DATE[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[])",
                [days, reasons, counts],
            )
        result.rejected = self._rejected()
        return result

    def _rejected(self) -> list[tuple[str, int, str]]:
        """Lines DuckDB could not read as text (invalid UTF-8, too long), with their numbers."""
        try:
            rows = self.db.execute(
                "SELECT s.file_path, e.line, e.error_type FROM reject_errors e JOIN reject_scans s "
                "ON e.scan_id = s.scan_id AND e.file_id = s.file_id ORDER BY e.line"
            ).fetchall()
        except Exception:  # no rejects table: nothing was rejected
            return []
        self.db.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        return [(str(path), int(line), str(kind).lower()) for path, line, kind in rows]

    def requests(self, file: LogFile) -> list[tuple[Any, ...]]:
        """Each line of `file` as the scan reads it: (line, ok, time, ip, method, key, status,
        bytes, agent) (tests compare it with logformats.parse)."""
        sql, args = _requests_sql(file.fmt, [0], [str(file.path)], keep_line=True)
        with errors(f"reading {file.path}"):
            rows = self.db.execute(
                f"SELECT line, ok, time, ip, method, key, status, bytes, agent FROM ({sql})", args
            ).fetchall()
            self.db.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        return rows

    def malformed_lines(self, file: LogFile, limit: int) -> list[str]:
        """Up to `limit` lines of `file` that do not parse (their text)."""
        sql, args = _requests_sql(file.fmt, [0], [str(file.path)], keep_line=True)
        with errors(f"reading {file.path}"):
            rows = self.db.execute(f"SELECT line FROM ({sql}) WHERE NOT ok LIMIT {int(limit)}", args).fetchall()
            self.db.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        return [str(r[0]) for r in rows]

    def _keep(self) -> None:
        """The listener rows of open days, with the app's name (never the agent itself)."""
        self.db.execute(
            f"""
            INSERT INTO listeners
            SELECT s.day, s.object, s.listener, s.ip, a.app, s.bytes
            FROM scan s JOIN agents a USING (ua)
            WHERE s.set = ? AND a.kind NOT IN {tuple(audience.EXCLUDED)} AND s.day NOT IN (SELECT day FROM closed)
            """,
            [_set_id("day", "object", "listener", "ip", "ua")],
        )

    def recount(self, days: Sequence[dt.date], ip_daily_limit: int) -> None:
        """Downloads of `days` (open ones) from their listener rows: a listener's bytes of one
        file in one day reach the file's threshold; one download per listener, episode and day;
        the downloads of an IP with more than `ip_daily_limit` in a day are left out (0: none)."""
        if not days:
            return
        self.db.execute("CREATE OR REPLACE TEMP TABLE touched AS SELECT unnest(?::DATE[]) AS day", [list(days)])
        self.db.execute(
            """
            CREATE OR REPLACE TEMP TABLE counted AS
            WITH per_file AS (
              SELECT day, object, listener, any_value(ip) AS ip, any_value(app) AS app, sum(bytes) AS bytes
              FROM listeners WHERE day IN (SELECT day FROM touched) GROUP BY day, object, listener
            ),
            enough AS (
              SELECT p.day, o.episode, p.listener, p.ip, p.app, p.bytes >= o.threshold AS whole
              FROM per_file p JOIN objects o ON o.id = p.object
            )
            SELECT day, episode, listener, any_value(ip) AS ip, any_value(app) AS app, bool_or(whole) AS whole
            FROM enough GROUP BY day, episode, listener
            """
        )
        limit = ip_daily_limit if ip_daily_limit > 0 else 2**62
        self.db.execute(
            """
            CREATE OR REPLACE TEMP TABLE heavy AS
            SELECT day, ip FROM counted WHERE whole GROUP BY day, ip HAVING count(*) > ?
            """,
            [limit],
        )
        self.db.execute("DELETE FROM downloads WHERE day IN (SELECT day FROM touched)")
        self.db.execute("DELETE FROM day_filters WHERE day IN (SELECT day FROM touched)")
        self.db.execute(
            """
            INSERT INTO downloads
            SELECT day, episode, app, count(*) FROM counted c
            WHERE whole AND NOT EXISTS (SELECT 1 FROM heavy h WHERE h.day = c.day AND h.ip = c.ip)
            GROUP BY ALL
            """
        )
        self.db.execute(
            """
            INSERT INTO day_filters
            SELECT day, 'partial', count(*) FROM counted WHERE NOT whole GROUP BY day
            UNION ALL
            SELECT c.day, 'heavy', count(*) FROM counted c JOIN heavy h ON h.day = c.day AND h.ip = c.ip
            WHERE c.whole GROUP BY c.day
            """
        )
        self.db.execute("DROP TABLE counted; DROP TABLE heavy; DROP TABLE touched")

    def close_days(self, before: dt.date) -> int:
        """Days before `before` become final: their listener hashes are deleted, their counts stay."""
        with errors("closing past days"):
            days = [
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT day FROM listeners WHERE day < ? UNION SELECT DISTINCT day FROM downloads "
                    "WHERE day < ? EXCEPT SELECT day FROM closed",
                    [before, before],
                ).fetchall()
            ]
            self.db.execute("DELETE FROM listeners WHERE day < ?", [before])
            if days:
                self.db.execute("INSERT OR IGNORE INTO closed SELECT unnest(?::DATE[])", [days])
        return len(days)

    def new_secret(self) -> None:
        """A new key for the listener hashes: once no day is open, nothing made with the old one
        is needed, and whatever of it lingers in the file's free pages can no longer be tested
        against guessed addresses."""
        with errors("renewing the listener key"):
            self.db.execute("UPDATE meta SET value = ? WHERE name = 'secret'", [secrets.token_hex(16)])

    def reset(self) -> None:
        """Forget everything read (`--rebuild`); the published objects and the secret stay."""
        with errors("clearing the audience file"):
            for table in ("logs", "listeners", "downloads", "requests", "day_filters", "closed"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("UPDATE meta SET value = ? WHERE name = 'secret'", [secrets.token_hex(16)])

    # -- reading the counts ---------------------------------------------------------------

    def downloads(
        self, since: dt.date | None = None, episode: str | None = None
    ) -> list[tuple[dt.date, str, str, int]]:
        """(day, episode, app, downloads), by day."""
        rows = self._counts("day, episode, app", "day, episode, app", since, episode)
        return [(r[0], str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def daily(self) -> list[tuple[dt.date, str, int]]:
        """(day, episode, downloads), every app together."""
        return [(r[0], str(r[1]), int(r[2])) for r in self._counts("day, episode", "day, episode")]

    def apps(self, since: dt.date | None = None, episode: str | None = None) -> list[tuple[str, int]]:
        """(app, downloads), most first."""
        return [(str(r[0]), int(r[1])) for r in self._counts("app", "n DESC, app", since, episode)]

    def _counts(
        self, columns: str, order: str, since: dt.date | None = None, episode: str | None = None
    ) -> list[tuple[Any, ...]]:
        with errors("reading the audience file"):
            return self.db.execute(
                f"SELECT {columns}, sum(downloads)::BIGINT AS n FROM downloads "
                "WHERE (?::DATE IS NULL OR day >= ?) AND (?::VARCHAR IS NULL OR episode = ?) "
                f"GROUP BY ALL ORDER BY {order}",
                [since, since, episode, episode],
            ).fetchall()

    def left_out(self, since: dt.date | None = None) -> dict[str, int]:
        """Requests and would-be downloads left out, by reason."""
        with errors("reading the audience file"):
            rows = self.db.execute(
                "SELECT reason, sum(n)::BIGINT FROM (SELECT day, reason, requests AS n FROM requests "
                "UNION ALL SELECT day, reason, downloads FROM day_filters) "
                "WHERE ?::DATE IS NULL OR day >= ? GROUP BY reason",
                [since, since],
            ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def open_days(self) -> int:
        row = self.db.execute("SELECT count(DISTINCT day) FROM listeners").fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read-only query for tests and benchmarks."""
        with errors("reading the audience file"):
            return self.db.execute(sql, list(params)).fetchall()


_SETS = ("reason", "file", "day", "object", "listener", "ip", "ua", "agent")


def _set_id(*grouped: str) -> int:
    """GROUPING()'s value for a grouping set: a bit per column, set when NOT grouped (first = high)."""
    return sum(1 << (len(_SETS) - 1 - i) for i, name in enumerate(_SETS) if name not in grouped)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _read(paths: list[str]) -> tuple[str, list[Any]]:
    return (
        f"read_csv(?, columns = {{'line': 'VARCHAR'}}, header = false, delim = '{_DELIMITER}', quote = '', "
        "escape = '', auto_detect = false, strict_mode = false, store_rejects = true, filename = false, "
        "max_line_size = 1048576)",
        [paths],
    )


def _combined_fast(fields: str) -> str:
    """The combined format read by splitting each line at its quotes (several times faster than
    capturing groups); a line of any other shape is read with the grammar's pattern."""
    q = "string_split(line, '\"')"
    fast = (
        f"len({q}) = 7 AND {q}[7] = '' AND {q}[5] = ' ' AND NOT contains(line, '\\') "
        f"AND regexp_full_match({q}[1], '{_quote(logformats.COMBINED_HEAD)}') "
        f"AND regexp_full_match({q}[3], '{_quote(logformats.COMBINED_MID)}')"
    )
    struct = (
        f"struct_pack(ip := split_part({q}[1], ' ', 1), time := split_part(split_part({q}[1], '[', 2), ']', 1), "
        f"request := {q}[2], status := split_part({q}[3], ' ', 2), bytes := split_part({q}[3], ' ', 3), "
        f"referer := {q}[4], agent := {q}[6])"
    )
    return f"CASE WHEN {fast} THEN {struct} ELSE regexp_extract(line, ?, {fields}) END"


def _requests_sql(fmt: str, indexes: list[int], paths: list[str], keep_line: bool = False) -> tuple[str, list[Any]]:
    """SELECT file, ok, time, ip, method, key, status, bytes, agent FROM the files of `fmt`
    (and each line's text with `keep_line`)."""
    pattern, names = logformats.GRAMMARS[fmt]
    source, params = _read(paths)
    mapping = "list_extract(?::INTEGER[], file_index::INTEGER + 1)"
    fields = "[" + ", ".join(f"'{n}'" for n in names) + "]"
    text = ", line" if keep_line else ""
    extract = f"regexp_extract(line, ?, {fields})"
    args: list[Any] = [indexes, pattern, *params]
    if fmt == "combined":
        extract, args = _combined_fast(fields), [indexes, pattern, *params]
    parsed = f"SELECT {mapping} AS file, {extract} AS f{text} FROM {source}"
    parsed += " WHERE trim(coalesce(line, '')) <> ''"  # blank lines are no requests
    if fmt == "cloudfront":
        parsed += f" AND NOT starts_with(line, '{logformats.COMMENT}')"
    key = f"regexp_extract(split_part(split_part({{}}, '?', 1), '#', 1), '{_quote(logformats.MEDIA_KEY)}', 1)"
    request = f"'{_quote(logformats.REQUEST)}'"
    if fmt == "combined":
        time = f"try_strptime(f.time, '{logformats.TIME_FORMAT}')"
        method = f"regexp_extract(f.request, {request}, 1)"
        target = key.format(f"regexp_extract(f.request, {request}, 2)")
        sent = "TRY_CAST(nullif(f.bytes, '-') AS BIGINT)"
        agent = "f.agent"
    elif fmt == "s3":
        time = f"try_strptime(f.time, '{logformats.TIME_FORMAT}')"
        method = r"regexp_extract(f.operation, '^(?:REST|WEBSITE)\.([A-Z]+)\.OBJECT$', 1)"
        target = key.format("f.key")
        sent = "TRY_CAST(nullif(f.bytes, '-') AS BIGINT)"
        agent = "f.agent"
    else:
        time = "TRY_CAST(f.date || ' ' || f.clock || '+00' AS TIMESTAMPTZ)"
        method = "f.method"
        target = key.format("f.path")
        sent = (
            "CASE WHEN f.content_length IN ('', '-') THEN TRY_CAST(f.bytes AS BIGINT) "
            "ELSE least(TRY_CAST(f.bytes AS BIGINT), TRY_CAST(f.content_length AS BIGINT)) END"
        )
        agent = "CASE WHEN f.agent = '-' THEN '' ELSE coalesce(try(url_decode(f.agent)), f.agent) END"
    sql = f"""
        SELECT file, f.status <> '' AND {time} IS NOT NULL AS ok, {time} AS time, f.ip AS ip,
               {method} AS method, {target} AS key, TRY_CAST(nullif(f.status, '-') AS INTEGER) AS status,
               coalesce({sent}, 0) AS bytes, {agent} AS agent{text}
        FROM ({parsed})
    """
    return sql, args
