"""Publishing to a real S3 server (SeaweedFS on 127.0.0.1), including the faults."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import botocore.auth
import pytest
from lxml import etree

from podcast.core.errors import StorageError
from podcast.core.text import Url
from podcast.edges import storage
from podcast.project.config import StorageSettings

from .conftest import Run, add_episode, client, edit, make_tone, use_s3
from .seaweed import ACCESS_KEY, SECRET_KEY, Seaweed


def test_publish_to_s3_with_explicit_types_and_caching(
    s3_project: Path, run: Run, seaweed: Seaweed, bucket: str
) -> None:
    result = run("--set", "transcribe.enabled=false", "publish", "--all")
    assert result.exit_code == 0, result.output
    s3 = client(seaweed.endpoint)
    keys = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}  # type: ignore[attr-defined]
    assert "podcast/feed.xml" in keys
    by_suffix = {k.rsplit(".", 1)[1]: k for k in keys if not k.endswith(("oembed.json", "sitemap.xml"))}
    expected = {
        "mp3": ("audio/mpeg", storage.IMMUTABLE),
        "json": ("application/json", storage.IMMUTABLE),
        "jpg": ("image/jpeg", storage.IMMUTABLE),
        "xml": ("application/rss+xml", storage.SHORT),
    }
    for suffix, (ctype, cache) in expected.items():
        head = s3.head_object(Bucket=bucket, Key=by_suffix[suffix])  # type: ignore[attr-defined]
        assert head["ContentType"] == ctype and head["CacheControl"] == cache, suffix
    oembed = s3.head_object(Bucket=bucket, Key="podcast/episodes/ep/oembed.json")  # type: ignore[attr-defined]
    assert oembed["CacheControl"] == storage.SHORT  # changes in place with the title
    sitemap = s3.head_object(Bucket=bucket, Key="podcast/sitemap.xml")  # type: ignore[attr-defined]
    assert sitemap["ContentType"] == "application/xml"
    feed = s3.get_object(Bucket=bucket, Key="podcast/feed.xml")["Body"].read()  # type: ignore[attr-defined]
    enclosure = etree.fromstring(feed).find("channel/item/enclosure")
    assert enclosure is not None
    assert enclosure.get("url", "").startswith(f"{seaweed.endpoint}/{bucket}/podcast/episodes/ep/ep-")
    assert int(enclosure.get("length", "0")) == keys["podcast/" + enclosure.get("url", "").split("/podcast/", 1)[1]]

    again = run("publish", "--all")
    assert "nothing to do: everything is up to date" in again.output
    forced = run("upload", "ep", "--force")
    assert forced.exit_code == 0
    assert "0 sent (0 bytes), 2 already there" in forced.output  # the audio and the chapters

    # public access through a bucket policy (no ACLs), then the HTTP checks pass
    assert run("check", "--http").exit_code == 1  # anonymous reads are refused
    assert run("bucket-policy", "--apply").exit_code == 0
    checked = run("check", "--http")
    assert checked.exit_code == 0, checked.output


def test_dry_run_lists_objects_with_sizes(s3_project: Path, run: Run) -> None:
    assert run("process", "ep").exit_code == 0
    assert run("tag", "ep").exit_code == 0
    dry = run("upload", "ep", "--dry-run")
    assert dry.exit_code == 0
    assert "ep:   upload episodes/ep/ep-" in dry.output and " bytes)" in dry.output


def test_multipart_etags_are_recognised(seaweed: Seaweed, bucket: str, tmp_path: Path) -> None:
    settings = StorageSettings(
        kind="s3",
        bucket=bucket,
        endpoint_url=Url(seaweed.endpoint),
        region="us-east-1",
        addressing_style="path",
        multipart_mb=5,
        part_mb=5,
        concurrency=2,
    )
    store = storage.S3Storage(settings)
    big = tmp_path / "big.mp3"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    sent: list[int] = []
    store.put_file("episodes/x/big.mp3", big, sent.append)
    info = store.head("episodes/x/big.mp3")
    assert info is not None and info.etag.strip('"').endswith("-3") and info.content_type == "audio/mpeg"
    assert sum(sent) == big.stat().st_size
    assert store.same("episodes/x/big.mp3", big)
    changed = bytearray(big.read_bytes())
    changed[-1] ^= 0xFF
    big.write_bytes(bytes(changed))
    assert not store.same("episodes/x/big.mp3", big)
    other = StorageSettings(**{**settings.__dict__, "part_mb": 8})  # uploaded by another tool, other part size
    assert storage.S3Storage(other).same("episodes/x/big.mp3", big) is False
    big.write_bytes(bytes(changed[:-1]) + bytes([changed[-1] ^ 0xFF]))
    assert storage.S3Storage(other).same("episodes/x/big.mp3", big)


def test_wrong_credentials_then_recovery(s3_project: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    result = run("-vv", "publish", "ep")
    assert result.exit_code == 1
    assert "access denied" in result.stderr
    assert "wrong-secret-value" not in result.output and SECRET_KEY not in result.output
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert "ep: process" not in result.output  # the earlier stages are kept, only upload and feed run
    assert "ep: upload: " in result.output and "published feed.xml (1 episode" in result.output


def test_missing_bucket_and_endpoint_down(
    project: Path, run: Run, seaweed: Seaweed, bucket: str, tmp_path: Path
) -> None:
    use_s3(project, seaweed.endpoint, "no-such-bucket-here")
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert "bucket 'no-such-bucket-here' does not exist" in result.stderr
    down = run("--set", 'storage.endpoint_url="http://127.0.0.1:9"', "publish", "ep")
    assert down.exit_code == 1
    assert "cannot reach" in down.stderr and "127.0.0.1:9" in down.stderr


def test_clock_skew_is_explained(s3_project: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    real = botocore.auth.datetime.datetime

    class Skewed(real):  # type: ignore[misc, valid-type]
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def]
            return real.now(tz) + dt.timedelta(hours=2)

        @classmethod
        def utcnow(cls):  # type: ignore[no-untyped-def]
            return real.utcnow() + dt.timedelta(hours=2)

    monkeypatch.setattr(botocore.auth.datetime, "datetime", Skewed)
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert "clock" in result.stderr and "NTP" in result.stderr


def test_disk_full_is_a_clear_error(project: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    from podcast.core import fsutil

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "build/ep/loudness.json")

    monkeypatch.setattr(fsutil, "write_text", full)
    result = run("process", "ep")
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert not (project / "build" / "ep" / "audio.mp3").exists()


def test_connection_dropped_mid_upload(
    project: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Seaweed(tmp_path / "weed")
    server.start()
    try:
        name = f"drop-{uuid.uuid4().hex[:10]}"
        client(server.endpoint).create_bucket(Bucket=name)  # type: ignore[attr-defined]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        settings = StorageSettings(
            kind="s3",
            bucket=name,
            endpoint_url=Url(server.endpoint),
            region="us-east-1",
            addressing_style="path",
            multipart_mb=5,
            part_mb=5,
            concurrency=1,
        )
        big = tmp_path / "big.mp3"
        big.write_bytes(os.urandom(60 * 1024 * 1024))
        store = storage.S3Storage(settings)
        progress: list[int] = []

        def kill_when_10_mib_are_sent() -> None:
            _wait_for(lambda: sum(progress) > 10 << 20)
            server.kill()

        killer = threading.Thread(target=kill_when_10_mib_are_sent)
        killer.start()
        with pytest.raises(StorageError) as failure:
            store.put_file("episodes/ep/big.mp3", big, progress.append)
        killer.join()
        assert "run it again" in str(failure.value) or "cannot reach" in str(failure.value)
        server.start()
        store = storage.S3Storage(settings)
        assert store.head("episodes/ep/big.mp3") is None  # nothing half-written is visible
        store.put_file("episodes/ep/big.mp3", big)
        assert store.same("episodes/ep/big.mp3", big)
    finally:
        server.stop()


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():  # type: ignore[operator]
        time.sleep(0.01)


def test_feed_only_references_complete_objects_after_a_failed_upload(
    s3_project: Path, run: Run, seaweed: Seaweed, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("publish", "ep").exit_code == 0
    s3 = client(seaweed.endpoint)
    before = s3.get_object(Bucket=bucket, Key="podcast/feed.xml")["Body"].read()  # type: ignore[attr-defined]
    edit(s3_project / "episodes" / "ep" / "episode.toml", "cuts = []", 'cuts = ["0-0.5"]')
    original = storage.S3Storage.put_file

    def failing(self: storage.S3Storage, key: str, path: Path, progress: object = None) -> None:
        if key.endswith(".mp3"):
            raise StorageError(f"uploading {key}: upload failed (simulated); run it again")
        original(self, key, path, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(storage.S3Storage, "put_file", failing)
    result = run("publish", "ep")
    assert result.exit_code == 1
    after = s3.get_object(Bucket=bucket, Key="podcast/feed.xml")["Body"].read()  # type: ignore[attr-defined]
    assert after == before  # the feed still points at the old, complete audio
    url = etree.fromstring(after).find("channel/item/enclosure").get("url")  # type: ignore[union-attr]
    key = url.split(f"/{bucket}/", 1)[1]
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0  # type: ignore[attr-defined]
    monkeypatch.setattr(storage.S3Storage, "put_file", original)
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert "ep: process" not in result.output  # the audio made by the failed run is reused
    assert "ep: upload: 2 sent" in result.output  # the new audio and the chapters it moved


def test_unpublish_removes_the_feed_entry_first_then_the_objects(
    s3_project: Path, run: Run, seaweed: Seaweed, bucket: str
) -> None:
    assert run("publish", "ep").exit_code == 0
    dry = run("unpublish", "ep", "--dry-run")
    assert "would remove ep from the feed, then delete:" in dry.output and "episodes/ep/ep-" in dry.output
    result = run("unpublish", "ep", "--yes")
    assert result.exit_code == 0, result.output
    s3 = client(seaweed.endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]  # type: ignore[attr-defined]
    assert not any("/episodes/ep/" in k for k in keys)
    feed = s3.get_object(Bucket=bucket, Key="podcast/feed.xml")["Body"].read()  # type: ignore[attr-defined]
    assert etree.fromstring(feed).findall("channel/item") == []
    assert "ep: skipped: withdrawn" in run("publish", "--all").output
    back = run("publish", "ep")
    assert back.exit_code == 0 and "published feed.xml (1 episode" in back.output


def test_share_gives_a_working_sigv4_link(s3_project: Path, run: Run) -> None:
    assert run("publish", "ep").exit_code == 0
    result = run("share", "ep", "--expires", "2h")
    assert result.exit_code == 0
    url = result.output.strip()
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=7200" in url
    with urllib.request.urlopen(url) as reply:
        assert reply.status == 200 and reply.headers["Content-Type"] == "audio/mpeg"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url.split("?", 1)[0])
    assert run("share", "ep", "--expires", "9d").exit_code == 1


def test_a_show_leaving_redirects_its_feed(s3_project: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, object]] = []
    original = storage.make_client

    def recording(settings: StorageSettings) -> object:
        made = original(settings)
        made.meta.events.register("provide-client-params.s3.PutObject", lambda params, **kw: sent.append(params))
        return made

    monkeypatch.setattr(storage, "make_client", recording)
    edit(s3_project / "config.toml", 'new_feed_url = ""', 'new_feed_url = "https://nouvel-hebergeur.example/feed.xml"')
    assert run("publish", "ep").exit_code == 0
    (feed,) = [p for p in sent if str(p["Key"]).endswith("feed.xml")]
    assert feed["WebsiteRedirectLocation"] == "https://nouvel-hebergeur.example/feed.xml"
    published = client(seaweed_endpoint(s3_project)).get_object(Bucket=feed["Bucket"], Key=feed["Key"])  # type: ignore[attr-defined]
    assert b"<itunes:new-feed-url>https://nouvel-hebergeur.example/feed.xml" in published["Body"].read()


def seaweed_endpoint(project: Path) -> str:
    return str(re.search(r'endpoint_url = "([^"]+)"', (project / "config.toml").read_text()).group(1))  # type: ignore[union-attr]


def test_pages_sent_before_cost_no_request_until_they_change(
    s3_project: Path, run: Run, seaweed: Seaweed, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    sent: list[str] = []
    original = storage.make_client

    def recording(settings: StorageSettings) -> object:
        made = original(settings)
        made.meta.events.register(
            "provide-client-params.s3.HeadObject", lambda params, **kw: asked.append(params["Key"])
        )
        made.meta.events.register("provide-client-params.s3.PutObject", lambda params, **kw: sent.append(params["Key"]))
        return made

    monkeypatch.setattr(storage, "make_client", recording)
    assert run("publish", "ep").exit_code == 0
    page = "podcast/episodes/ep/index.html"
    assert page in sent
    asked.clear()
    sent.clear()
    again = run("publish", "ep")
    assert again.exit_code == 0 and "feed up to date" in again.output
    assert not [k for k in asked if k.endswith(".html")] and not sent  # the record answers for the pages

    (s3_project / "episodes" / "ep" / "notes.md").write_text("00:00:00 Début\n00:00:01 La suite, autrement\n")
    asked.clear()
    sent.clear()
    assert run("publish", "ep").exit_code == 0
    assert page in sent  # its bytes changed: sent

    assert run("unpublish", "ep", "--yes").exit_code == 0  # deletes the page, and the ledger forgets it
    s3 = client(seaweed.endpoint)
    assert run("publish", "ep").exit_code == 0
    assert s3.head_object(Bucket=bucket, Key=page)["ContentLength"] > 0  # type: ignore[attr-defined]
