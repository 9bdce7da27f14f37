"""A new show is right the first time (#15): init, the first publication, nothing piling up,
real buckets served right (SeaweedFS, a real browser)."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from podcast.cli import cli
from podcast.edges import images as artwork

from .conftest import Run, add_episode, client, edit, make_tone, use_s3
from .seaweed import Seaweed

PODCAST = "{https://podcastindex.org/namespace/1.0}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def interactive(args: list[str], answers: list[str], cwd: Path) -> tuple[int, str]:
    """Run `podcast ARGS` on a real terminal (a pseudo-terminal), typing `answers` at its prompts."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "podcast", *args], stdin=terminal, stdout=terminal, stderr=terminal, cwd=cwd
    )
    os.close(terminal)
    said = b""
    for answer in answers:
        while b": " not in said.rsplit(b"\n", 1)[-1]:
            said += os.read(controller, 1024)
        os.write(controller, answer.encode() + b"\n")
        said += os.read(controller, 1024)
    code = proc.wait(timeout=60)
    try:
        while chunk := os.read(controller, 4096):
            said += chunk
    except OSError:
        pass
    os.close(controller)
    return code, said.decode(errors="replace")


def test_init_asks_and_the_first_publication_works(tmp_path: Path) -> None:
    answers = ["Paroles solidaires", "Association Paroles", "contact@paroles.example.org", "Karim"]
    code, said = interactive(["init", "show"], answers, tmp_path)
    assert code == 0, said
    assert "Title of the show" in said and "Owner's e-mail" in said and "Host's name" in said
    assert "next: cd show && podcast new SLUG" in said
    root = tmp_path / "show"
    config = (root / "config.toml").read_text()
    assert 'author = "Association Paroles"' in config and 'email = "contact@paroles.example.org"' in config
    assert '[[show.hosts]]\nname = "Karim"\nrole = "host"' in config
    cover = root / "artwork" / "cover.jpg"
    report = artwork.inspect(cover)
    assert report.ok and report.size == (3000, 3000) and report.mode == "RGB" and artwork.is_placeholder(cover)

    run = lambda *args: CliRunner().invoke(cli, ["--project", str(root), *args])  # noqa: E731
    assert run("new", "ep-1", "--title", "Premier", "--source", str(make_tone(tmp_path / "a.wav"))).exit_code == 0
    first = run("publish", "ep-1")
    assert first.exit_code == 0, first.output + first.stderr
    channel = etree.parse(str(root / "public" / "feed.xml")).find("channel")
    assert channel is not None
    assert channel.findtext(f"{ITUNES}owner/{ITUNES}email") == "contact@paroles.example.org"
    assert channel.find(f"{PODCAST}locked").get("owner") == "contact@paroles.example.org"  # type: ignore[union-attr]
    assert channel.find(f"{ITUNES}image") is not None
    check = run("check")
    assert "the placeholder cover `podcast init` made" in check.output + check.stderr


def test_init_for_scripts_and_its_refusals(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "init",
            str(tmp_path / "a"),
            "--no-input",
            "--title",
            "T",
            "--author",
            "A",
            "--email",
            "a@b.org",
            "--base-url",
            "https://media.example.org/show",
        ],
    )
    assert result.exit_code == 0, result.output
    config = (tmp_path / "a" / "config.toml").read_text()
    assert 'guid = "' in config and 'guid = ""' not in config  # a public URL is known: the GUID is fixed now
    empty = CliRunner().invoke(cli, ["init", str(tmp_path / "b"), "--title", ""])
    assert empty.exit_code == 1 and "the show needs a title" in empty.stderr and not (tmp_path / "b").exists()
    bad = CliRunner().invoke(cli, ["init", str(tmp_path / "c"), "--title", "T", "--email", "pas-un-mail"])
    assert bad.exit_code == 1 and "is not an e-mail address" in bad.stderr
    assert not (tmp_path / "c" / "config.toml").exists()


def test_an_empty_title_is_a_finding_not_a_traceback(project: Path, run: Run) -> None:
    edit(project / "config.toml", 'title = "Essai & Cie"', 'title = ""')
    check = run("check")
    assert check.exit_code == 1 and "error: [show] channel title: empty" in check.stderr
    feed = run("feed")
    assert feed.exit_code == 1 and "the show has no title" in feed.stderr and "Traceback" not in feed.stderr


def test_artwork_generate_remakes_only_the_placeholder(tmp_path: Path) -> None:
    root = tmp_path / "show"
    CliRunner().invoke(cli, ["init", str(root), "--no-input", "--title", "Ancien titre"])
    edit(root / "config.toml", 'title = "Ancien titre"', 'title = "Nouveau titre"')
    before = (root / "artwork" / "cover.jpg").read_bytes()
    result = CliRunner().invoke(cli, ["--project", str(root), "artwork", "generate"])
    assert result.exit_code == 0 and (root / "artwork" / "cover.jpg").read_bytes() != before
    shutil.copy(make_tone(tmp_path / "x.wav"), root / "artwork" / "cover.jpg")  # the producer's own file
    refused = CliRunner().invoke(cli, ["--project", str(root), "artwork", "generate"])
    assert refused.exit_code == 1 and "is not the placeholder cover" in refused.stderr


def test_timestamp_lines_of_the_notes_are_a_list_of_links(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=8))
    edit(folder / "episode.toml", "cuts = []", 'cuts = ["00:00:02-00:00:03"]\ntrim_silence = false')
    (folder / "notes.md").write_text("Au programme :\n00:00:00 Ouverture\n00:00:04 Le débat\nÀ bientôt.\n")
    assert run("publish", "ep").exit_code == 0
    item = etree.parse(str(project / "public" / "feed.xml")).find("channel/item")
    content = item.findtext(CONTENT) or ""  # type: ignore[union-attr]
    page_url = "http://127.0.0.1:8000/episodes/ep/index.html"
    assert f'<li><a href="{page_url}#t=0" rel="noopener">00:00:00</a> Ouverture</li>' in content
    assert f'<li><a href="{page_url}#t=2.99" rel="noopener">00:00:02</a> Le débat</li>' in content  # after the cut
    assert "<p>À bientôt.</p>" in content  # not glued to the last item
    page = (project / "public" / "episodes" / "ep" / "index.html").read_text()
    assert '<a href="#t=2.99" rel="noopener">00:00:02</a> Le débat' in page


def test_items_carry_explicit_and_image_and_the_self_link_its_type(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    channel = etree.parse(str(project / "public" / "feed.xml")).find("channel")
    assert channel is not None
    self_link = channel.find("{http://www.w3.org/2005/Atom}link")
    assert self_link is not None and self_link.get("type") == "application/rss+xml"
    assert channel.findtext("link") == "http://127.0.0.1:8000/index.html"
    item = channel.find("item")
    assert item is not None and item.findtext(f"{ITUNES}explicit") == "false"
    assert item.find(f"{ITUNES}image").get("href") == channel.find(f"{ITUNES}image").get("href")  # type: ignore[union-attr]


def published_keys(project: Path) -> set[str]:
    return {p.relative_to(project / "public").as_posix() for p in (project / "public").rglob("*") if p.is_file()}


def test_superseded_files_are_pruned_after_a_grace_period(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2), title="Premier titre")
    assert run("publish", "ep").exit_code == 0
    first = published_keys(project)
    edit(folder / "episode.toml", 'title = "Premier titre"', 'title = "Nouveau titre"')  # re-tag: a new MP3
    assert run("publish", "ep").exit_code == 0
    second = published_keys(project)
    old = sorted(k for k in first - second if k.endswith(".mp3")) or sorted(first & second)
    superseded = sorted(k for k in first if k.endswith(".mp3") and k not in _feed_keys(project))
    assert len(superseded) == 1 and superseded[0] in second, old  # still served: a listener may be downloading it
    status = run("status")
    assert "superseded published files: 1" in status.output
    listed = run("prune")  # within the 7 days: listed, with the date it may go
    week = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%d")
    assert f"{superseded[0]} (" in listed.output and f"deletable from {week}" in listed.output, listed.output
    assert "none deletable yet" in listed.output
    kept = run("prune", "--yes")
    assert "deleted" not in kept.output and superseded[0] in published_keys(project)
    now = run("prune", "--days", "0")
    assert f"{superseded[0]} (" in now.output and "deletable now" in now.output and "nothing deleted" in now.output
    assert superseded[0] in published_keys(project)
    done = run("prune", "--days", "0", "--yes")
    assert done.exit_code == 0 and "deleted 1 object(s)" in done.output
    assert superseded[0] not in published_keys(project)
    assert _feed_keys(project) <= published_keys(project)  # nothing the feed uses is gone
    assert "nothing to prune" in run("prune", "--days", "0").output


def _feed_keys(project: Path) -> set[str]:
    text = (project / "public" / "feed.xml").read_text()
    base = "http://127.0.0.1:8000/"
    return {
        url[len(base) :] for url in __import__("re").findall(r'(?:url|href)="([^"]+)"', text) if url.startswith(base)
    }


# -- Real buckets ---------------------------------------------------------------------------------


@pytest.fixture
def bucket_show(project: Path, seaweed: Seaweed, bucket: str, tmp_path: Path) -> Path:
    use_s3(project, seaweed.endpoint, bucket, prefix="podcast")
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=3), date="2024-05-14")
    return project


def test_bucket_policy_and_cors_are_merged_and_served(
    bucket_show: Path, run: Run, seaweed: Seaweed, bucket: str
) -> None:
    s3: Any = client(seaweed.endpoint)
    site = {
        "Sid": "Site",
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}/site/*"],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [site]}))
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [{"ID": "Theirs", "AllowedMethods": ["PUT"], "AllowedOrigins": ["https://admin.example.org"]}]
        },
    )
    assert run("publish", "ep").exit_code == 0
    preview = run("bucket-policy")
    assert preview.exit_code == 0 and "+" in preview.output and "PodcastPublicRead" in preview.output
    assert "nothing changed" in preview.output
    applied = run("bucket-policy", "--apply")
    assert applied.exit_code == 0, applied.stderr
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    sids = [s.get("Sid") for s in policy["Statement"]]
    assert "Site" in sids and "PodcastPublicRead" in sids  # theirs kept, ours added
    rules = {r.get("ID"): r for r in s3.get_bucket_cors(Bucket=bucket)["CORSRules"]}
    assert set(rules) >= {"Theirs", "PodcastRead"}
    assert "already set: nothing changed" in run("bucket-policy", "--apply").output
    feed = urllib.request.urlopen(f"{seaweed.endpoint}/{bucket}/podcast/feed.xml")  # anonymous, as an app
    assert feed.status == 200
    home = etree.fromstring(feed.read()).findtext("channel/link")
    assert home == f"{seaweed.endpoint}/{bucket}/podcast/index.html"
    assert urllib.request.urlopen(home).status == 200  # the channel link answers (a bare bucket URL does not)


def test_block_public_access_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.stub import Stubber

    from podcast.core.errors import StorageError
    from podcast.core.text import Url
    from podcast.edges import storage
    from podcast.project.config import StorageSettings

    settings = StorageSettings(kind="s3", bucket="b", region="eu-west-3", endpoint_url=Url("https://s3.example.org"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)  # stubbed: no credentials are read, none leak to later tests
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    store = storage.S3Storage(settings)
    with Stubber(store.client) as stub:
        stub.add_client_error("put_bucket_policy", "AccessDenied", "Access Denied", 403)
        stub.add_response(
            "get_public_access_block",
            {"PublicAccessBlockConfiguration": {"BlockPublicPolicy": True, "RestrictPublicBuckets": True}},
        )
        with pytest.raises(StorageError, match="Block Public Access is on") as refused:
            store.put_policy({"Version": "2012-10-17", "Statement": []})
    assert "BlockPublicPolicy=false" in str(refused.value) and "CDN" in str(refused.value)


@pytest.fixture
def two_servers(project: Path) -> Iterator[tuple[str, str, Path]]:
    """The published folder served twice, on two ports (two origins); base_url is the first."""
    from podcast.workflows.serve import make_server

    servers = [make_server(project / "public", "127.0.0.1", 0) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    first, second = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{first}"')
    yield first, second, project
    for server in servers:
        server.shutdown()
        server.server_close()


def test_pages_work_from_another_address_and_fetch_across_origins(
    two_servers: tuple[str, str, Path], run: Run, browser: Any, tmp_path: Path
) -> None:
    first, second, project = two_servers
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=4))
    assert run("--set", "transcribe.enabled=true", "publish", "ep").exit_code == 0
    page = browser.new_page()
    page.goto(f"{second}/episodes/ep/index.html")  # the same files, served from elsewhere
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20000)
    assert page.evaluate("document.getElementById('player').currentSrc").startswith(second)
    assert page.evaluate("document.querySelector('img') === null || true")
    vtt = next(k for k in (project / "public" / "episodes" / "ep").iterdir() if k.suffix == ".json")
    fetched = page.evaluate(
        "async (url) => { const r = await fetch(url, {headers: {Range: 'bytes=0-9'}});"
        " return [r.status, (await r.text()).length]; }",
        f"{first}/episodes/ep/{vtt.name}",
    )
    assert fetched == [206, 10]  # cross-origin, with a Range request: allowed by CORS


def test_a_phone_listener_keeps_the_player_in_reach(project: Path, run: Run, browser: Any, tmp_path: Path) -> None:
    from podcast.workflows.serve import make_server

    server = make_server(project / "public", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{base}"')
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=200))
    project_build = project / "build" / "ep"
    try:
        assert run("publish", "ep").exit_code == 0
        cues: list[dict[str, Any]] = [
            {
                "start": t,
                "end": t + 4.5,
                "text": f"Phrase numéro {t} de la transcription, assez longue pour occuper une ligne.",
                "speaker": "Karim" if t % 20 else "Isabelle",
                "words": [],
            }
            for t in range(0, 195, 5)
        ]
        (project_build / "transcript.segments.json").write_text(json.dumps(cues))
        assert run("--force", "feed").exit_code == 0
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(f"{base}/episodes/ep/index.html")
        buttons = page.locator("button.seek")
        assert buttons.count() >= 10
        last = buttons.last
        assert " ".join(last.inner_text().split()).startswith("Écouter à partir de ")  # read out; the time shows
        last.scroll_into_view_if_needed()
        last.click()
        page.wait_for_function("document.getElementById('player-box').classList.contains('docked')")
        box = page.locator("#player-box .c-play").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844  # the player is on screen
        for index in range(buttons.count()):
            size = buttons.nth(index).bounding_box()
            assert size is not None and size["width"] >= 44 and size["height"] >= 44
    finally:
        server.shutdown()
        server.server_close()


def test_prune_and_unpublish_on_a_bucket_delete_only_our_objects(
    bucket_show: Path, run: Run, seaweed: Seaweed, bucket: str
) -> None:
    s3: Any = client(seaweed.endpoint)
    s3.put_object(Bucket=bucket, Key="podcast/episodes/ep/not-ours.mp3", Body=b"x")
    assert run("publish", "ep").exit_code == 0
    edit(bucket_show / "episodes" / "ep" / "episode.toml", 'title = "Épisode ep"', 'title = "Autre titre"')
    assert run("publish", "ep").exit_code == 0

    def keys() -> set[str]:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix="podcast/")
        return {o["Key"] for o in listing.get("Contents", [])}

    before = keys()
    pruned = run("prune", "--days", "0", "--yes")
    assert pruned.exit_code == 0 and "deleted 1 object(s)" in pruned.output
    (gone,) = before - keys()
    assert gone.endswith(".mp3") and "podcast/episodes/ep/not-ours.mp3" in keys()
    assert run("unpublish", "ep", "--yes").exit_code == 0
    assert {k for k in keys() if k.startswith("podcast/episodes/")} == {"podcast/episodes/ep/not-ours.mp3"}


def test_a_browser_reads_the_bucket_across_origins(
    bucket_show: Path, run: Run, seaweed: Seaweed, bucket: str, browser: Any, tmp_path: Path
) -> None:
    import http.server
    from functools import partial

    assert run("--set", "transcribe.enabled=true", "publish", "ep").exit_code == 0
    assert run("bucket-policy", "--apply").exit_code == 0
    key = next(
        k["Key"]
        for k in client(seaweed.endpoint).list_objects_v2(Bucket=bucket, Prefix="podcast/")["Contents"]  # type: ignore[attr-defined]
        if "transcript-json" in k["Key"]
    )
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<!doctype html><title>player</title>")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "web"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")  # another origin than the bucket
        result = page.evaluate(
            "async (url) => { const r = await fetch(url, {headers: {Range: 'bytes=0-'}});"
            " return [r.status, (await r.json()).version]; }",
            f"{seaweed.endpoint}/{bucket}/{key}",
        )
        assert result[1] == "1.0.0" and result[0] in (200, 206)
    finally:
        server.shutdown()
        server.server_close()
