"""The lighter rendition (audio.light): encoded in the same process pass as the MP3, as long and
as loud, tagged with its chapters, published, offered as podcast:alternateEnclosure with an SRI
hash that matches the file, and played and seeked by Chromium through the episode page."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

from lxml import etree

from .conftest import Run, add_episode, duration, edit, ffmpeg_stderr
from .test_feed import partytime
from .test_site import served  # noqa: F401 - the fixture: public/ served on 127.0.0.1

NS = {"podcast": "https://podcastindex.org/namespace/1.0"}


def integrated(path: Path) -> float:
    summary = ffmpeg_stderr("-i", str(path), "-af", "ebur128")
    return float(summary[summary.rindex("Summary:") :].split("I:")[1].split("LUFS")[0])


def test_opus_rendition_end_to_end(project: Path, run: Run, speech_wav: Path, served: str, browser: object) -> None:  # noqa: F811
    edit(project / "config.toml", 'light = ""', 'light = "opus"')
    folder = add_episode(project, "ep", speech_wav, date="2024-05-14")
    toml = folder / "episode.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "[edit]",
            '[[chapters]]\nstart = "00:00:00"\ntitle = "Accueil"\n\n[[chapters]]\nstart = "00:00:02"\n'
            'title = "La question"\n\n[edit]',
        ),
        encoding="utf-8",
    )
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    public = project / "public" / "episodes" / "ep"
    mp3 = next(public.glob("ep-*.mp3"))
    ogg = next(public.glob("audio-light-*.ogg"))

    assert abs(duration(ogg) - duration(mp3)) <= 0.05
    assert abs(integrated(ogg) - integrated(mp3)) <= 0.5
    assert ogg.stat().st_size < mp3.stat().st_size / 2
    report = json.loads((project / "build" / "ep" / "loudness.json").read_text())
    assert report["light"]["codec"] == "opus" and report["light"]["kbps"] == 32 and report["pass"]
    probe = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_chapters", "-show_streams", "-of", "json", str(ogg)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert probe["streams"][0]["codec_name"] == "opus"
    assert probe["streams"][0]["tags"]["TITLE"] == "Épisode ep"
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Accueil", "La question"]

    sri = "sha384-" + base64.b64encode(hashlib.sha384(ogg.read_bytes()).digest()).decode()
    feed = project / "public" / "feed.xml"
    (item,) = partytime(feed)["items"]
    default, light = item["alternativeEnclosures"]
    assert default["default"] is True and default["source"][0]["uri"].endswith(mp3.name)
    assert light["type"] == "audio/ogg" and light["codecs"] == "opus" and light["length"] == ogg.stat().st_size
    assert light["source"] == [{"uri": f"{served}/episodes/ep/{ogg.name}", "contentType": "audio/ogg"}]
    assert light["integrity"] == {"type": "sri", "value": sri}
    assert item["enclosure"]["url"].endswith(mp3.name)  # the MP3 stays the enclosure
    element = etree.parse(str(feed)).findall("channel/item/podcast:alternateEnclosure", NS)[1]
    integrity = element.find("podcast:integrity", NS)
    assert integrity is not None and integrity.get("value") == sri
    assert 20000 <= int(element.get("bitrate", "0")) <= 48000

    page = browser.new_page()  # type: ignore[attr-defined]  # the fixture is typed object: Playwright stays optional
    page.goto(f"{served}/episodes/ep/index.html")
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20000)
    assert page.evaluate("document.getElementById('player').currentSrc").endswith(ogg.name)
    assert abs(page.evaluate("document.getElementById('player').duration") - duration(ogg)) < 0.1
    page.evaluate(
        "() => new Promise(done => { const p = document.getElementById('player');"
        " p.addEventListener('seeked', done, {once: true}); p.currentTime = 2.5; })"
    )
    assert abs(page.evaluate("document.getElementById('player').currentTime") - 2.5) < 0.1
    assert page.evaluate("document.getElementById('player').error") is None


def test_no_rendition_no_alternate(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    assert run("publish", "ep").exit_code == 0
    assert not list((project / "public" / "episodes" / "ep").glob("*.ogg"))
    assert etree.parse(str(project / "public" / "feed.xml")).findall(".//podcast:alternateEnclosure", NS) == []


def test_bad_rendition_settings(project: Path, run: Run) -> None:
    config = project / "config.toml"
    edit(config, 'light = ""', 'light = "opus"')
    edit(config, "light_bitrate = 0", "light_bitrate = 4")
    result = run("status")
    assert result.exit_code == 1 and "audio.light_bitrate: 4 kb/s is outside 12-128 for opus" in result.stderr
    edit(config, 'light = "opus"', 'light = "flac"')
    result = run("status")
    assert result.exit_code == 1 and "'audio.light' must be one of '', 'opus', 'aac'" in result.stderr
