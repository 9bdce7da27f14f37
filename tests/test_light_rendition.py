"""The lighter rendition (audio.light): encoded in the same process pass as the MP3, as long and
as loud, tagged with its chapters, published, offered as podcast:alternateEnclosure with an SRI
hash that matches the file, and played and seeked by Chromium through the episode page."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import feedparser
import mutagen
import pytest
from lxml import etree, html

from podcast.core.errors import MediaError
from podcast.edges import ffmpeg
from podcast.edges.encoders import ENCODER_DROP_DB, LIGHT_DROP_DB
from podcast.edges.ffmpeg import Loudness
from podcast.project.config import Audio
from podcast.stages.process import _LightLevel

from .conftest import Run, add_episode, duration, edit, ffmpeg_stderr
from .test_feed import partytime
from .test_site import served  # noqa: F401 - the fixture: public/ served on 127.0.0.1

NS = {"podcast": "https://podcastindex.org/namespace/1.0"}


def integrated(path: Path) -> float:
    summary = ffmpeg_stderr("-i", str(path), "-af", "ebur128")
    return float(summary[summary.rindex("Summary:") :].split("I:")[1].split("LUFS")[0])


def true_peak(path: Path) -> float:
    summary = ffmpeg_stderr("-i", str(path), "-af", "ebur128=peak=true")
    return float(summary[summary.rindex("Summary:") :].split("Peak:")[1].split("dBFS")[0])


def published_pair(project: Path, run: Run, suffix: str) -> tuple[Path, Path]:
    """Publish `ep`; its MP3 and its rendition, checked against each other: as long (50 ms), as
    loud (0.5 LU), and the rendition at or under the show's -1 dBTP limit though its encoder
    overshoots the peaks it is given."""
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    public = project / "public" / "episodes" / "ep"
    mp3 = next(public.glob("ep-*.mp3"))
    light = next(public.glob(f"ep-light-*{suffix}"))
    assert abs(duration(light) - duration(mp3)) <= 0.05
    assert abs(integrated(light) - integrated(mp3)) <= 0.5
    assert true_peak(light) <= -1.0
    return mp3, light


def test_opus_rendition_end_to_end(project: Path, run: Run, speech_wav: Path, served: str, browser: object) -> None:  # noqa: F811
    edit(project / "config.toml", 'light = ""', 'light = "opus"')
    folder = add_episode(project, "ep", speech_wav, date="2024-05-14")
    edit(
        folder / "episode.toml",
        "[edit]",
        '[[chapters]]\nstart = "00:00:00"\ntitle = "Accueil"\n\n[[chapters]]\nstart = "00:00:02"\n'
        'title = "La question"\n\n[edit]',
    )
    mp3, ogg = published_pair(project, run, ".ogg")
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
    (entry,) = feedparser.parse(feed.read_bytes()).entries  # keeps the last: the rendition
    assert entry.podcast_alternateenclosure["type"] == "audio/ogg" and entry.podcast_integrity["value"] == sri
    assert entry.podcast_source["uri"] == f"{served}/episodes/ep/{ogg.name}"

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


def test_aac_rendition_then_none(project: Path, run: Run, speech_wav: Path) -> None:
    """AAC in M4A: as long and as loud as the MP3, under the peak limit, tagged without the cover;
    the show then stops asking for a rendition: it leaves the feed, the page and build/."""
    config = project / "config.toml"
    edit(config, 'light = ""', 'light = "aac"')
    add_episode(project, "ep", speech_wav, date="2024-05-14")
    _, m4a = published_pair(project, run, ".m4a")
    public = project / "public" / "episodes" / "ep"
    tags = mutagen.File(m4a)
    assert tags is not None and tags.tags is not None
    assert tags.tags["\xa9nam"] == ["Épisode ep"] and "covr" not in tags.tags
    (item,) = partytime(project / "public" / "feed.xml")["items"]
    light = item["alternativeEnclosures"][1]
    assert light["codecs"] == "mp4a.40.2" and light["length"] == m4a.stat().st_size
    assert (
        light["integrity"]["value"] == "sha384-" + base64.b64encode(hashlib.sha384(m4a.read_bytes()).digest()).decode()
    )
    assert light["type"] == "audio/mp4"
    sources = html.parse(str(public / "index.html")).findall(".//audio//source")
    assert [s.get("type") for s in sources] == ['audio/mp4; codecs="mp4a.40.2"', "audio/mpeg"]

    edit(config, 'light = "aac"', 'light = ""')
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert etree.parse(str(project / "public" / "feed.xml")).findall(".//podcast:alternateEnclosure", NS) == []
    assert [s.get("type") for s in html.parse(str(public / "index.html")).findall(".//audio//source")] == ["audio/mpeg"]
    assert not list((project / "build" / "ep").glob("*light*"))


AUDIO = Audio(light="opus")


def test_the_rendition_starts_as_loud_as_the_main_file() -> None:
    """Its offset makes up for what each encoder does to the level and, through the slope the
    clean-up meter measured, for what its lower limiter takes."""
    linear = _LightLevel.first(AUDIO, 1.0)
    assert linear.offset == pytest.approx(LIGHT_DROP_DB["opus"] - ENCODER_DROP_DB["mp3"]) and linear.headroom == 1.0
    limited = _LightLevel.first(AUDIO, 0.5)  # the limiter works hard: raise it more
    assert limited.offset == pytest.approx((1.0 + LIGHT_DROP_DB["opus"] - ENCODER_DROP_DB["mp3"]) / 0.5 - 1.0)


def test_the_rendition_is_corrected_only_when_it_strays() -> None:
    level = _LightLevel(0.2, 1.0, 0.5)
    main = Loudness(-16.0, 5.0, -2.0)
    assert level.corrected(AUDIO, main, Loudness(-16.3, 5.0, -1.4)) == level  # close enough, under -1 dBTP
    quieter = level.corrected(AUDIO, main, Loudness(-16.8, 5.0, -1.4))
    assert quieter.headroom == 1.0 and quieter.offset == pytest.approx(0.2 + 0.8 / 0.5)
    peaky = level.corrected(AUDIO, main, Loudness(-16.0, 5.0, -0.5))  # 0.5 dB over the limit
    assert peaky.headroom == pytest.approx(1.7)  # its limiter 0.7 dB lower ...
    assert peaky.offset == pytest.approx(0.2 + 0.5 * 0.7 / 0.5)  # ... and what that takes, given back


def test_one_pass_two_encodings_each_measured(tmp_path: Path) -> None:
    graph = "[0:a]asplit=2[out][l];[l]volume=-6dB,aresample=48000[light]"
    sine = tmp_path / "sine.wav"
    ffmpeg_stderr("-f", "lavfi", "-i", "sine=f=440:d=3", "-ar", "44100", str(sine))
    main = ffmpeg.Encoding("out", ["-c:a", "libmp3lame", "-b:a", "96k"], "f=mp3", ("mp3", "mp3"), tmp_path / "a.mp3")
    light = ffmpeg.Encoding("light", ["-c:a", "libopus", "-b:a", "32k"], "f=ogg", ("ogg", "ogg"), tmp_path / "a.ogg")
    loud, quiet = ffmpeg.encode_and_measure([sine], graph, [main, light])
    assert loud.integrated - quiet.integrated == pytest.approx(6.0 - ENCODER_DROP_DB["mp3"], abs=0.2)  # LAME lowers
    assert abs(duration(tmp_path / "a.ogg") - duration(tmp_path / "a.mp3")) < 0.05

    broken = ffmpeg.Encoding("light", ["-c:a", "libopus", "-b:a", "nonsense"], "f=ogg", ("ogg", "ogg"), light.output)
    with pytest.raises(MediaError, match=r"ffmpeg failed encoding \(rendition 2\)"):
        ffmpeg.encode_and_measure([sine], graph, [main, broken])
    with pytest.raises(MediaError, match=r"^ffmpeg failed: .*missing\.wav"):
        ffmpeg.encode_and_measure([tmp_path / "missing.wav"], graph, [main, light])


def test_a_download_of_the_rendition_counts_for_its_episode(project: Path, run: Run, speech_wav: Path) -> None:
    """`podcast stats` counts the rendition as the episode: a listener who fetches both files the
    same day is one download; one who fetches only the rendition is one more."""
    import threading
    import urllib.request

    from podcast.project.config import load_config
    from podcast.workflows import stats_report
    from podcast.workflows.serve import preview_server

    from .logtruth import OVERCAST, SPOTIFY

    edit(project / "config.toml", 'light = ""', 'light = "opus"')
    add_episode(project, "ep", speech_wav, date="2024-05-14")
    mp3, ogg = published_pair(project, run, ".ogg")
    config = load_config(project)
    server = preview_server(config, "127.0.0.1", 0).server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/episodes/ep"
    try:
        for name, agent in ((ogg.name, OVERCAST), (mp3.name, OVERCAST), (ogg.name, SPOTIFY)):
            with urllib.request.urlopen(urllib.request.Request(f"{base}/{name}", headers={"User-Agent": agent})) as got:
                got.read()
    finally:
        server.shutdown()
        server.server_close()
    outcome = stats_report.run(config, stats_report.Request())
    assert outcome.numbers is not None and outcome.numbers.total == 2
