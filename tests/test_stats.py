"""`podcast stats`: logs in every format written from a scripted ground truth, counted exactly;
incremental reads, rotation, S3 logs from a real bucket, privacy, the reports."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from mutagen.id3 import ID3

from podcast.cli import cli
from podcast.domain import audience
from podcast.edges.analytics import Store
from podcast.project.config import load_config
from podcast.workflows import stats, stats_report

from . import logtruth
from .conftest import add_episode, client, duration, edit, ffmpeg, make_tone
from .logtruth import DAY, Media, Truth
from .seaweed import Seaweed

NOW = dt.datetime.combine(DAY + dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)  # days still open


def _threshold(path: Path, duration: float) -> int:
    """The IAB threshold of a published file, computed here from the file itself (mutagen reads
    the ID3 tag, ffprobe the duration): the header plus one minute of audio."""
    try:
        header = ID3(path).size
    except Exception:
        header = 0
    rate = (path.stat().st_size - header) / duration
    return min(path.stat().st_size, header + int(rate * 60 + 0.999))


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory, artwork: Path) -> tuple[Path, dict[str, Media]]:
    """A published show: ep1 (published twice: its first file is superseded), ep2, and ep3
    imported (published as-is)."""
    base = tmp_path_factory.mktemp("stats-show")
    root = base / "show"
    runner = CliRunner()
    runner.invoke(cli, ["init", str(root), "--title", "Paroles & Cie", "--no-input"], catch_exceptions=False)
    shutil.copy(artwork, root / "cover.jpg")
    config = root / "config.toml"
    edit(config, 'artwork = "artwork/cover.jpg"', 'artwork = "cover.jpg"')
    edit(config, "[transcribe]\nenabled = true", "[transcribe]\nenabled = false")
    edit(config, 'language = "fr"', 'language = "fr"')
    tone = make_tone(base / "tone.wav", seconds=100, channels=1)
    add_episode(root, "ep1", tone, date="2024-05-14", title="Premier épisode")
    add_episode(root, "ep2", tone, date="2024-05-14", title="Deuxième")
    folder = root / "episodes" / "ep3"
    folder.mkdir(parents=True)
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=90", "-ac", "1", "-b:a", "128k", str(folder / "rec.mp3"))
    (folder / "episode.toml").write_text(
        'title = "Importé"\ndate = 2024-05-10\nsource = "rec.mp3"\n\n[edit]\nmode = "as-is"\n', encoding="utf-8"
    )
    publish = runner.invoke(cli, ["--project", str(root), "publish", "--all"], catch_exceptions=False)
    assert publish.exit_code == 0, publish.output
    edit(root / "episodes" / "ep1" / "episode.toml", "Premier épisode", "Premier épisode (corrigé)")
    again = runner.invoke(cli, ["--project", str(root), "publish", "ep1"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    ledger = json.loads((root / "build" / "ledger.json").read_text())["objects"]
    media: dict[str, Media] = {}
    for key, entry in ledger.items():
        if not key.endswith(".mp3"):
            continue
        slug = key.split("/")[1]
        name = slug if entry["referenced"] else f"{slug}_old"
        path = root / "public" / key
        media[name] = Media(key, slug, entry["size"], _threshold(path, duration(path)))
    assert set(media) == {"ep1", "ep1_old", "ep2", "ep3"}, media
    return root, media


@pytest.fixture
def project(show: tuple[Path, dict[str, Media]], tmp_path: Path) -> Path:
    root = tmp_path / "show"
    shutil.copytree(show[0], root, symlinks=True)
    return root


@pytest.fixture
def truth(show: tuple[Path, dict[str, Media]]) -> Truth:
    media = show[1]
    return logtruth.scenario(media["ep1"], media["ep1_old"], media["ep2"], media["ep3"])


def use_logs(project: Path, *tables: str) -> None:
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        for table in tables:
            handle.write(f"\n[[stats.logs]]\n{table}\n")


def counted(project: Path) -> Counter[tuple[str, dt.date, str]]:
    with Store(stats.database(project_config(project)), project / "scratch", read_only=True) as store:
        return Counter({(e, d, a): n for d, e, a, n in store.downloads()})


def project_config(project: Path):  # type: ignore[no-untyped-def]
    return load_config(project)


def read(project: Path, now: dt.datetime = NOW, **request: object) -> stats_report.Outcome:
    return stats_report.run(project_config(project), stats_report.Request(**request), now=now)  # type: ignore[arg-type]


def write_lines(path: Path, lines: list[str], gz: bool = False, bad: bool = True) -> None:
    data = ("\n".join(lines) + "\n").encode()
    if bad:  # malformed lines in the middle: text that is no request, a bad time, bytes that are not UTF-8
        middle = len(lines) // 2
        head = ("\n".join(lines[:middle]) + "\n").encode()
        tail = ("\n".join(lines[middle:]) + "\n").encode()
        data = head + ("\n".join(logtruth.MALFORMED) + "\n").encode() + b"\xff\xfe not text\n" + tail
    path.write_bytes(gzip.compress(data) if gz else data)


# ---------------------------------------------------------------------------------------
# Ground truth, every format


@pytest.mark.parametrize("fmt", ["combined", "cloudfront"])
def test_counts_match_the_ground_truth(fmt: str, project: Path, truth: Truth, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    if fmt == "combined":
        write_lines(logs / "access.log", [logtruth.combined(h, "/podcast") for h in truth.hits])
    else:
        lines = [logtruth.cloudfront(h) for h in truth.hits]
        half = len(lines) // 2
        (logs / "E2EXAMPLE.2024-05-14-08.a1b2c3d4.gz").write_bytes(
            gzip.compress((logtruth.CLOUDFRONT_HEADER + "\n".join(lines[:half]) + "\n").encode())
        )
        write_lines(
            logs / "E2EXAMPLE.2024-05-15-09.e5f6a7b8.gz",
            [*logtruth.CLOUDFRONT_HEADER.splitlines(), *lines[half:]],
            gz=True,
        )
    use_logs(project, f'format = "{fmt}"\nfiles = ["{logs}/*"]')
    outcome = read(project)
    assert counted(project) == truth.downloads
    assert sum(truth.downloads.values()) == 12  # the stories' arithmetic, checked once
    warnings = [text for level, text in outcome.lines if level == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith("3 log line(s) could not be read"), outcome.lines
    assert f"{logs}/" in warnings[0] and ":" in warnings[0].split(": ", 1)[1]
    found = outcome.numbers
    assert found is not None
    left = found.left_out
    assert left["bot"] == len(logtruth.BOTS) and left["watch"] == 1 and left["own"] == 2 and left["none"] == 1
    assert left["probe"] == 1 and left["head"] == 1 and left["status"] == 2 and left["method"] == 1
    assert left["partial"] == 1  # the listener who stopped under a minute
    episodes = {row.slug: row for row in found.by_episode()}
    assert {slug: row.total for slug, row in episodes.items()} == truth.by_episode()
    assert episodes["ep1"].first_7 == 9 and episodes["ep3"].first_7 == 1  # ep3 dates from 2024-05-10
    assert {app: n for app, n, _ in found.by_app()} == truth.by_app()


def test_line_numbers_of_malformed_lines_are_exact(project: Path, truth: Truth, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    lines = [logtruth.combined(h) for h in truth.hits]
    write_lines(log, lines)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    warning = next(text for level, text in read(project).lines if level == "warning")
    middle = len(lines) // 2
    assert f"{log}:{middle + 1}" in warning and f"{log}:{middle + 2}" in warning
    assert f"{log}:{middle + 3} (invalid encoding)" in warning


def test_s3_logs_from_a_real_bucket(project: Path, truth: Truth, seaweed: Seaweed, bucket: str) -> None:
    s3: Any = client(seaweed.endpoint)
    lines = [logtruth.s3(h) for h in truth.hits]
    chunks = [lines[i : i + 25] for i in range(0, len(lines), 25)]
    for index, chunk in enumerate(chunks):
        body = ("\n".join(chunk) + "\n").encode()
        if index == 1:
            body += b"not an S3 log record\n"
        key = f"logs/2024-05-14-{index:02d}-00-00-{uuid.uuid4().hex[:16].upper()}"
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body) if index % 2 else body)
    s3.put_object(Bucket=bucket, Key="elsewhere/not-a-log", Body=b"x")
    use_logs(
        project,
        f'format = "s3"\nbucket = "{bucket}"\nprefix = "logs/"\nendpoint_url = "{seaweed.endpoint}"\n'
        'region = "us-east-1"',
    )
    outcome = read(project)
    assert counted(project) == truth.downloads
    assert any("1 log line(s) could not be read" in text and "logs/2024-05-14-01-" in text for _, text in outcome.lines)
    # a new object: only it is read; the same listener again the same day is no new download
    extra = truth.hits[-1]
    media = next(h for h in truth.hits if h.path.endswith(".mp3") and h.status == 200 and h.agent == logtruth.CHROME)
    late = logtruth.Hit(
        media.time + dt.timedelta(hours=1), media.ip, media.agent, "GET", media.path, 200, media.sent, media.length
    )
    fresh = logtruth.Hit(late.time, "192.0.2.200", logtruth.SPOTIFY, "GET", media.path, 200, media.sent, media.length)
    s3.put_object(
        Bucket=bucket,
        Key="logs/2024-05-15-23-59-59-FFFFFFFFFFFFFFFF",
        Body=(logtruth.s3(late) + "\n" + logtruth.s3(fresh) + "\n").encode(),
    )
    second = read(project)
    assert any("read 2 log lines from 1 new log part(s)" in text for _, text in second.lines), second.lines
    expected = truth.downloads.copy()
    expected[("ep2", media.time.date(), "Spotify")] += 1
    assert counted(project) == expected
    assert extra is not None
    third = read(project)
    assert ("info", "no new log lines since the last run") in third.lines
    assert counted(project) == expected


# ---------------------------------------------------------------------------------------
# Incremental reading: a growing log, rotation, gzip, re-reading


def test_growing_and_rotated_logs_count_each_line_once(project: Path, truth: Truth, tmp_path: Path) -> None:
    folder = tmp_path / "nginx"
    folder.mkdir()
    lines = [logtruth.combined(h) for h in truth.hits]
    a, b = len(lines) // 3, 2 * len(lines) // 3
    live = folder / "access.log"
    # first run: the first third, and half of a line still being written
    live.write_text("\n".join(lines[:a]) + "\n" + lines[a][:40])
    use_logs(project, f'format = "combined"\nfiles = ["{folder}/access.log*"]')
    read(project)
    # the line is finished, more arrive; logrotate: access.log → access.log.1 → gzip; a new log
    with live.open("a") as handle:
        handle.write(lines[a][40:] + "\n" + "\n".join(lines[a + 1 : b]) + "\n")
    live.rename(folder / "access.log.1")
    with (folder / "access.log.1").open("rb") as source, gzip.open(folder / "access.log.1.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    (folder / "access.log.1").unlink()
    live.write_text("\n".join(lines[b:]) + "\n")
    second = read(project)
    assert not [t for level, t in second.lines if level == "warning"], second.lines
    assert counted(project) == truth.downloads
    # nothing new: nothing read, nothing counted twice; a rebuild reads everything again, same result
    assert ("info", "no new log lines since the last run") in read(project).lines
    assert counted(project) == truth.downloads
    read(project, rebuild=True)
    assert counted(project) == truth.downloads


def test_days_close_and_no_listener_data_is_kept(project: Path, truth: Truth, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    write_lines(log, [logtruth.combined(h) for h in truth.hits], bad=False)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    read(project)
    database = stats.database(project_config(project))
    with Store(database, tmp_path / "x", read_only=True) as store:
        assert store.open_days() == 2 and store.query("SELECT count(*) FROM listeners")[0][0] > 0
    secrets = {h.ip for h in truth.hits} | {h.ip.lower() for h in truth.hits} | {h.agent for h in truth.hits if h.agent}
    secrets |= {"2001:db8:1:2", "Overcast/3.0", "AppleWebKit"}
    secrets -= set(truth.by_app())  # an agent that is only an app's name ("Pocket Casts")
    for path in database.parent.glob(f"{database.name}*"):
        data = path.read_bytes()
        assert not [s for s in secrets if s.encode() in data], path  # no IP, no user agent, even hashed days open
    # a week later the days are closed: their listener hashes are gone, the counts stay
    with Store(database, tmp_path / "x", read_only=True) as store:
        key = store.secret()
    read(project, now=NOW + dt.timedelta(days=7))
    with Store(database, tmp_path / "x", read_only=True) as store:
        assert store.open_days() == 0 and store.query("SELECT count(*) FROM listeners")[0][0] == 0
        assert store.secret() != key  # no day open: the listener key is renewed
    assert counted(project) == truth.downloads
    # a line for a closed day arriving late is reported, not counted
    audio = next(h for h in truth.hits if h.path.endswith(".mp3"))
    late_hit = logtruth.Hit(audio.time, "192.0.2.250", logtruth.SPOTIFY, "GET", audio.path, 200, 10**8, 10**8)
    with log.open("a") as handle:
        handle.write(logtruth.combined(late_hit) + "\n")
    late = read(project, now=NOW + dt.timedelta(days=8))
    assert any("for days already closed" in text for _, text in late.lines)
    assert counted(project) == truth.downloads


def test_the_daily_ip_limit_leaves_heavy_addresses_out(project: Path, truth: Truth, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    write_lines(log, [logtruth.combined(h) for h in truth.hits], bad=False)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]\n')
    edit(project / "config.toml", "ip_daily_limit = 100", "ip_daily_limit = 2")
    found = read(project).numbers
    assert found is not None
    assert found.total == sum(truth.downloads.values()) - 3  # the household's three apps
    assert found.left_out["heavy"] == 3


# ---------------------------------------------------------------------------------------
# The command and its outputs


def test_command_outputs(project: Path, truth: Truth, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    write_lines(log, [logtruth.combined(h) for h in truth.hits], bad=False)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--project", str(project), *args], catch_exceptions=False)

    dry = run("stats", "--dry-run")
    assert dry.exit_code == 0 and f"would read combined files {log}" in dry.output
    assert not stats.database(project_config(project)).exists()
    result = run("stats", "--csv", str(tmp_path / "e.csv"), "--json", str(tmp_path / "a.json"))
    assert result.exit_code == 0, result.output
    assert "12 downloads from 2024-05-14 to 2024-05-15" in result.output
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["downloads"] == 12 and {e["slug"]: e["total"] for e in data["episodes"]} == truth.by_episode()
    csv_rows = (tmp_path / "e.csv").read_text().splitlines()
    assert csv_rows[0] == "episode,title,published,first_7_days,first_30_days,total" and len(csv_rows) == 4
    by_day = run("stats", "--no-read", "--by", "day", "--episode", "ep1", "--csv", "-")
    assert by_day.output == "day,downloads\n2024-05-14,7\n2024-05-15,2\n"
    refused = run("stats", "--no-read", "--html", str(project / "public" / "stats.html"))
    assert refused.exit_code == 1 and "inside the published folder" in refused.output
    assert not (project / "public" / "stats.html").exists()
    notes = project / "episodes" / "ep1" / "notes.md"
    kept = notes.read_bytes()
    refused = run("stats", "--no-read", "--csv", str(notes))
    assert refused.exit_code == 1 and "never overwritten" in refused.output and notes.read_bytes() == kept
    bad = run("stats", "--no-read", "--episode", "../etc")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1


def test_csv_cells_never_become_formulas() -> None:
    found = stats_report.Numbers(
        "Show",
        "fr",
        [(DAY, "ep", 3)],
        {"ep": stats_report.EpisodeInfo("ep", "=1+1", DAY)},
        [('=HYPERLINK("http://x")', 3)],
    )
    assert "'=HYPERLINK" in stats_report.to_csv(found, "app") and "'=1+1" in stats_report.to_csv(found, "episode")


def test_html_report_in_chromium(project: Path, truth: Truth, tmp_path: Path, browser: object) -> None:
    from .conftest import accessibility_problems

    log = tmp_path / "access.log"
    write_lines(log, [logtruth.combined(h) for h in truth.hits], bad=False)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    page_path = tmp_path / "report" / "audience.html"
    read(project, html=page_path)
    html = page_path.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert len(html.encode()) < 100_000
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.as_uri())
    assert page.locator("h1").inner_text().startswith("Audience · Paroles & Cie")
    assert page.locator("svg[role=img]").count() >= 3
    assert page.locator("#episodes + table tbody tr").count() == 3
    assert "sondes de 2 octets" in html and "2-byte probes" not in html  # the show's language throughout
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert errors == []
    assert accessibility_problems(page) == []
    context.close()


# ---------------------------------------------------------------------------------------
# podcast serve's log, our own checks, the analytics prefix


def test_serve_log_is_counted_and_our_checks_are_not(project: Path, show: tuple[Path, dict[str, Media]]) -> None:
    import threading
    import urllib.request

    from podcast.workflows.serve import preview_server

    config = project_config(project)
    server = preview_server(config, "127.0.0.1", 0).server  # what `podcast serve` runs
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "http://127.0.0.1:{port}"')
    try:
        url = f"http://127.0.0.1:{port}/{show[1]['ep2'].key}"
        for agent in (logtruth.OVERCAST, logtruth.SPOTIFY):
            with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": agent})) as reply:
                reply.read()
        ranged = urllib.request.Request(url, headers={"User-Agent": logtruth.APPLE, "Range": "bytes=0-1"})
        with urllib.request.urlopen(ranged) as reply:
            reply.read()
        checked = CliRunner().invoke(cli, ["--project", str(project), "check", "--http"], catch_exceptions=False)
        assert "public URL" not in checked.output, checked.output
    finally:
        server.shutdown()
        server.server_close()
    logged = config.serve_log.read_text().splitlines()
    assert any(
        f'"GET /{show[1]["ep2"].key} HTTP/1.1" 200 {show[1]["ep2"].size} "-" "Overcast/3.0' in ln for ln in logged
    )
    outcome = stats_report.run(config, stats_report.Request())
    assert outcome.numbers is not None and outcome.numbers.total == 2
    assert outcome.numbers.left_out["own"] > 0 and outcome.numbers.left_out["probe"] == 1


def test_prefix_wraps_enclosures_keeps_guids_and_check_follows_it(
    project: Path, show: tuple[Path, dict[str, Media]]
) -> None:
    import http.server
    import threading

    from lxml import etree

    from podcast.workflows.serve import make_server

    config = project_config(project)
    origin = make_server(config.public_dir, "127.0.0.1", 0)
    seen: list[str] = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def _go(self) -> None:
            seen.append(self.path)
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/e/"))
            self.end_headers()

        do_GET = do_HEAD = _go

        def log_message(self, format: str, *args: object) -> None:
            pass

    prefix = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (origin, prefix):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["--project", str(project), *args], catch_exceptions=False)

    try:
        edit(
            project / "config.toml",
            'base_url = "http://127.0.0.1:8000"',
            f'base_url = "http://127.0.0.1:{origin.server_address[1]}"',
        )
        assert run("feed").exit_code == 0
        before = etree.parse(str(project / "public" / "feed.xml"))
        wrapped = f'prefix = "http://127.0.0.1:{prefix.server_address[1]}/e/"  # an analytics prefix'
        edit(project / "config.toml", 'prefix = ""                   # an analytics prefix', wrapped)
        assert run("feed").exit_code == 0
        after = etree.parse(str(project / "public" / "feed.xml"))
        assert before.xpath("//item/guid/text()") == after.xpath("//item/guid/text()")
        enclosures = after.xpath("//item/enclosure/@url")
        assert enclosures and all(
            u.startswith(f"http://127.0.0.1:{prefix.server_address[1]}/e/http://") for u in enclosures
        )
        checked = run("check", "--http")
        assert "public URL" not in checked.output, checked.output
        assert seen, "the check did not go through the prefix"
    finally:
        for server in (origin, prefix):
            server.shutdown()
            server.server_close()


def test_prefix_must_end_with_a_slash_and_sources_need_a_place(project: Path) -> None:
    runner = CliRunner()
    for extra, message in (
        ("--set", 'stats.prefix="https://op3.dev/e"'),
        ("--set", 'stats.prefix="javascript:alert(1)/"'),
    ):
        result = runner.invoke(cli, ["--project", str(project), extra, message, "stats"], catch_exceptions=False)
        assert result.exit_code == 1 and "stats.prefix" in result.output
    use_logs(project, 'format = "s3"')
    result = runner.invoke(cli, ["--project", str(project), "stats"], catch_exceptions=False)
    assert result.exit_code == 1 and "stats.logs[0]" in result.output and "bucket" in result.output


def test_thresholds_come_from_the_file(show: tuple[Path, dict[str, Media]], project: Path) -> None:
    """Step 2: ID3 header plus one minute, per file; the old file's too (from its frame bitrate)."""
    read(project)
    with Store(stats.database(project_config(project)), project / "x", read_only=True) as store:
        known = store.objects()
    for media in show[1].values():
        episode, size, threshold = known[media.key]
        assert episode == media.episode and size == media.size
        assert abs(threshold - media.threshold) < 2000, (media, threshold)
    assert audience.threshold(1000, 10, 30.0) == 1000  # shorter than a minute: the whole file


def test_a_damaged_gzip_log_is_skipped_and_named(project: Path, truth: Truth, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [logtruth.combined(h) for h in truth.hits]
    (logs / "access.log.2.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    damaged = gzip.compress(("\n".join(lines[::-1] * 300) + "\n").encode())  # its start reads, its end does not
    (logs / "access.log.3.gz").write_bytes(damaged[: len(damaged) // 2])  # logrotate still compressing it
    use_logs(project, f'format = "combined"\nfiles = ["{logs}/*.gz"]')
    outcome = read(project)
    assert (("warning", f"{logs}/access.log.3.gz: a damaged gzip file (cut short?): skipped")) in outcome.lines
    assert counted(project) == truth.downloads


def test_an_interrupted_run_leaves_the_previous_state(
    project: Path, truth: Truth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "access.log"
    lines = [logtruth.combined(h) for h in truth.hits]
    log.write_text("\n".join(lines[:40]) + "\n")
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    read(project)
    before = counted(project)
    with log.open("a") as handle:
        handle.write("\n".join(lines[40:]) + "\n")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "remember", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read(project)
    monkeypatch.undo()
    assert counted(project) == before
    assert not list((project / "build" / "stats").glob(".run-*"))  # its scratch files are gone
    read(project)
    assert counted(project) == truth.downloads


def test_titles_are_escaped_in_the_page(project: Path, truth: Truth, tmp_path: Path) -> None:
    edit(
        project / "episodes" / "ep2" / "episode.toml", 'title = "Deuxième"', 'title = "<script>alert(1)</script> & co"'
    )
    log = tmp_path / "access.log"
    write_lines(log, [logtruth.combined(h) for h in truth.hits], bad=False)
    use_logs(project, f'format = "combined"\nfiles = ["{log}"]')
    read(project, html=tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
