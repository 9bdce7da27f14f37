"""The show's website as listeners use it (#25), in a real browser (Debian's Chromium driven by
Playwright): the player on the native <audio> (play, skips, speed, chapters, keyboard, resume,
#t= links), the transcript following playback, copy the quote, share, the embed page in an
iframe from another origin, subscribe links, the home page's play buttons, pagination, person
pages, crawlers' files; axe on every page; screenshots at phone and desktop sizes."""

from __future__ import annotations

import gzip
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from .conftest import Run, accessibility_problems, add_episode, edit, ffmpeg, wait_time
from .lighthouse_report import available, lighthouse

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
LINES = (
    "Bonjour et bienvenue dans Paroles solidaires, le podcast des associations de Seine-Saint-Denis.",
    "Aujourd'hui nous parlons des territoires zéro chômeur de longue durée avec notre invitée.",
    "Ce qui compte, c'est de partir des compétences de chacun, et pas de ce qui manque.",
    "Les universités populaires permettent à des personnes en grande pauvreté de prendre la parole.",
    "On a commencé à Romainville, avec une vingtaine de familles, il y a maintenant dix ans.",
    "Et qu'est-ce qui a changé, concrètement, pour les habitants du quartier depuis cette époque ?",
)


def mp3(path: Path, seconds: int) -> Path:
    """A quick MP3 (published as it is: no processing) of `seconds` seconds."""
    ffmpeg("-f", "lavfi", "-i", f"sine=f=220:d={seconds}", "-ac", "1", "-ar", "22050", "-b:a", "32k", str(path))
    return path


def cues(seconds: int, step: float = 3.5) -> list[dict[str, Any]]:
    """A conversation of `seconds` seconds: a cue every `step` seconds, speakers taking turns."""
    found = []
    t, n = 0.0, 0
    while t + step <= seconds:
        speaker = "Karim" if (n // 4) % 2 == 0 else "Isabelle Bouyer"
        found.append(
            {"start": t, "end": t + step - 0.2, "text": LINES[n % len(LINES)], "speaker": speaker, "words": []}
        )
        t, n = t + step, n + 1
    return found


def make_episode(project: Path, slug: str, seconds: int, *, transcript: bool = True, **fields: str) -> None:
    folder = add_episode(project, slug, mp3(project.parent / f"{slug}.mp3", seconds), **fields)
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('mode = "mix"', 'mode = "as-is"'), encoding="utf-8")
    if transcript:
        (project / "build" / slug).mkdir(parents=True, exist_ok=True)
        (project / "build" / slug / "transcript.segments.json").write_text(json.dumps(cues(seconds)), encoding="utf-8")


SHOW = """
[[show.hosts]]
name = "Karim"
role = "host"
href = "https://example.org/karim"

[[show.funding]]
url = "https://example.org/don"
text = "Soutenir l'association"
"""


@pytest.fixture
def origins(project: Path) -> Iterator[tuple[str, str]]:
    """public/ served on one port (base_url) and an empty folder on another (another origin)."""
    from podcast.workflows.serve import make_server

    other = project.parent / "elsewhere"
    servers = [make_server(project / "public", "127.0.0.1", 0), make_server(other, "127.0.0.1", 0)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    first, second = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{first}"')
    yield first, second
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def website(project: Path, run: Run, origins: tuple[str, str]) -> str:
    """A show with hosts, funding, a directory link and two episodes: one with chapters, a
    guest and a two-minute transcript, one without a transcript."""
    config = project / "config.toml"
    edit(config, "[show.links]", SHOW + "\n[show.links]")
    edit(config, 'apple = ""', 'apple = "https://podcasts.apple.com/fr/podcast/paroles/id1234567890"')
    edit(config, 'accent = "#8a1c2b"', 'accent = "#e8a33d"')  # too light for text: the pages darken it
    make_episode(project, "old", 40, transcript=False, date="2024-01-09", title="Un épisode plus ancien")
    make_episode(project, "ep", 120, date="2024-05-14", title="La pauvreté, parlons-en", summary='"Un <b>résumé</b>."')
    toml = project / "episodes" / "ep" / "episode.toml"
    text = toml.read_text(encoding="utf-8").replace(
        "[edit]",
        '[[guests]]\nname = "Isabelle Bouyer"\norg = "ATD Quart Monde"\nurl = "https://example.org/isabelle"\n\n'
        '[[chapters]]\nstart = "00:00:00"\ntitle = "Accueil"\n\n[[chapters]]\nstart = "00:00:30"\n'
        'title = "Les territoires zéro chômeur"\n\n[[chapters]]\nstart = "00:01:10"\ntitle = "Et demain ?"\n\n[edit]',
    )
    toml.write_text(text, encoding="utf-8")
    result = run("publish", "--all")
    assert result.exit_code == 0, result.output
    return origins[0]


def player(page: Any) -> Any:
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20000)
    return page.locator("#player-box")


def now(page: Any) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


def test_the_player_plays_skips_changes_speed_and_follows_chapters(website: str, browser: Any) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{website}/episodes/ep/index.html")
    box = player(page)
    assert page.get_attribute("#player", "controls") is None  # our controls replace the native ones
    play = box.locator(".c-play")
    assert play.get_attribute("aria-label") == "Lecture"
    play.click()
    page.wait_for_function(
        "!document.getElementById('player').paused && document.getElementById('player').currentTime > 0.3"
    )
    assert play.get_attribute("aria-label") == "Pause"
    assert page.evaluate("window.scrollY") == 0  # a listener at the player is not carried off to the transcript
    play.click()
    page.wait_for_function("document.getElementById('player').paused")
    page.evaluate("document.getElementById('player').currentTime = 40")
    box.locator(".c-back").click()
    wait_time(page, 25)
    box.locator(".c-fwd").click()
    wait_time(page, 55)
    assert box.locator(".c-chapter").inner_text() == "Les territoires zéro chômeur"
    speed = box.locator(".c-speed")
    rates = []
    for _ in range(6):
        speed.click()
        rates.append(page.evaluate("document.getElementById('player').playbackRate"))
    assert rates == [1.25, 1.5, 1.75, 2, 0.8, 1]
    page.wait_for_function("document.querySelector('.c-rate').textContent === '1×'")
    assert box.locator(".c-marks i").count() == 2  # chapters after the start, marked on the bar
    page.locator(".chapters button.chapter").nth(2).click()
    wait_time(page, 70)
    assert box.locator(".c-chapter").inner_text() == "Et demain\u202f?"  # French typography
    assert "current" in (page.locator(".chapters li").nth(2).get_attribute("class") or "")
    session = page.evaluate("[navigator.mediaSession.metadata.title, navigator.mediaSession.metadata.artist]")
    assert session == ["La pauvreté, parlons-en", "Et demain\u202f?"]  # lock screen: the episode and the chapter
    artwork = page.evaluate("navigator.mediaSession.metadata.artwork.map(a => a.src)")
    assert artwork and all(a.startswith(website) and a.endswith(".jpg") for a in artwork)
    for src in artwork:
        with urllib.request.urlopen(src) as answer:
            assert answer.headers["Content-Type"] == "image/jpeg"
    bar = box.locator(".c-seek")
    assert "sur 2:00" in (bar.get_attribute("aria-valuetext") or "")
    assert errors == []


def test_the_transcript_follows_playback_filters_and_seeks(website: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{website}/episodes/ep/index.html")
    player(page)
    stamps = page.locator(".transcript button.seek")
    assert stamps.count() >= 4
    target = stamps.nth(3)
    start = float(target.get_attribute("data-start") or "")
    assert target.inner_text().startswith("Écouter à partir de") or "00:0" in target.inner_text()
    target.click()
    wait_time(page, start)
    page.wait_for_selector(".passage.current span.now")
    current = page.locator("span.now")
    assert float(current.get_attribute("data-s") or "") == pytest.approx(start, abs=4)
    speakers = page.locator(".passage .who strong").all_inner_texts()
    assert set(speakers) == {"Karim", "Isabelle Bouyer"}
    search = page.locator("#t-search")
    search.fill("universites POPULAIRES")  # accents and case folded
    page.wait_for_function("document.getElementById('t-count').textContent.length > 0")
    shown = page.locator(".transcript .passage:not([hidden])")
    assert shown.count() >= 1
    assert all("universités populaires" in text for text in shown.all_inner_texts())
    assert page.locator("#t-count").inner_text().startswith(f"{shown.count()} passage")
    search.fill("")
    page.wait_for_function("document.querySelectorAll('.transcript .passage[hidden]').length === 0")
    follow = page.locator("#t-follow")
    assert follow.is_checked()
    follow.uncheck()
    assert not follow.is_checked()


def test_keyboard_alone_reaches_and_operates_the_player(website: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{website}/episodes/ep/index.html")
    player(page)
    names = []
    for _ in range(25):
        page.keyboard.press("Tab")
        names.append(
            page.evaluate(
                "document.activeElement.className + '|' + (document.activeElement.getAttribute('aria-label') || '')"
            )
        )
        if page.evaluate("document.activeElement.classList.contains('c-play')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('c-play')"), names
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus
    page.keyboard.press("Enter")
    page.wait_for_function("!document.getElementById('player').paused")
    page.keyboard.press("Tab")  # on to -15
    page.keyboard.press("Space")  # a button gets its own action, not play/pause
    assert page.evaluate("!document.getElementById('player').paused")
    page.locator("h1").click()  # away from the controls
    page.keyboard.press("k")
    page.wait_for_function("document.getElementById('player').paused")
    page.evaluate("document.getElementById('player').currentTime = 50")
    page.keyboard.press("j")
    wait_time(page, 35)
    page.keyboard.press("l")
    wait_time(page, 65)
    page.keyboard.press("ArrowLeft")
    wait_time(page, 60)
    page.keyboard.press("ArrowRight")
    wait_time(page, 65)
    page.keyboard.press(" ")
    page.wait_for_function("!document.getElementById('player').paused")
    page.locator("#t-search").fill("k j l")  # typing in the search box is not a shortcut
    assert page.evaluate("!document.getElementById('player').paused")


def test_the_position_is_remembered_and_time_links_land(website: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    url = f"{website}/episodes/ep/index.html"
    page.goto(url)
    player(page)
    page.evaluate("document.getElementById('player').currentTime = 75")
    page.locator(".c-play").click()
    page.wait_for_function("document.getElementById('player').currentTime > 76")
    page.locator(".c-play").click()
    page.reload()
    player(page)
    resume = page.locator(".c-resume")
    resume.wait_for(state="visible")
    assert re.fullmatch(r"Reprendre à 1:1[67]", resume.inner_text())
    wait_time(page, 76.5, within=1.5)  # the player is there already: play resumes
    page.evaluate("document.getElementById('player').currentTime = 3")
    resume.click()
    page.wait_for_function("document.getElementById('player').currentTime > 75")
    # a shared link: #t=MM:SS, #t=H:MM:SS and #t=SECONDS land on their second, over the saved place
    for fragment, second in (("#t=1:30", 90), ("#t=0:01:05", 65), ("#t=12", 12)):
        fresh = context.new_page()
        fresh.goto(url + fragment)
        player(fresh)
        wait_time(fresh, second, within=0.4)
        fresh.close()
    page.evaluate("location.hash = '#t=0:40'")
    wait_time(page, 40, within=1)
    context.close()


def test_copy_the_quote_and_share_the_moment(website: str, browser: Any) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=website)
    page = context.new_page()
    page.goto(f"{website}/episodes/ep/index.html")
    player(page)
    span = page.locator(".transcript span[data-s]").nth(5)
    start = float(span.get_attribute("data-s") or "")
    span.scroll_into_view_if_needed()
    page.evaluate(
        """(el) => { const range = document.createRange(); range.selectNodeContents(el);
        const sel = getSelection(); sel.removeAllRanges(); sel.addRange(range); }""",
        span.element_handle(),
    )
    button = page.locator("#quote")
    button.wait_for(state="visible")
    assert button.inner_text() == "Copier la citation"
    button.click()
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    quoted = page.evaluate("navigator.clipboard.readText()")
    speaker = span.locator("xpath=ancestor::div[@class and contains(@class,'passage')]").get_attribute("data-speaker")
    minutes, seconds = divmod(int(start), 60)
    assert quoted == (
        # French typography: narrow no-break spaces inside the guillemets
        f"«\u202f{span.inner_text()}\u202f»\n— {speaker}, «\u202fLa pauvreté, parlons-en\u202f», Essai & Cie, "
        f"{minutes}:{seconds:02d}\n"
        f"{website}/episodes/ep/index.html#t={minutes}:{seconds:02d}"
    )
    # share at the current time: the link carries it, and opening it lands there
    page.evaluate("document.getElementById('player').currentTime = 63")
    page.locator("details.share summary").click()
    # opened while playing past 0, the box is ticked by the page (its toggle event comes after
    # the click: checking it at once could race it and untick it)
    page.wait_for_function("document.getElementById('share-at').checked")
    link = page.locator("#share-url").input_value()
    assert link == f"{website}/episodes/ep/index.html#t=1:03"
    page.get_by_role("button", name="Copier le lien").click()
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {json.dumps(link)})")
    code = page.locator("#embed-code").input_value()
    assert code.startswith(f'<iframe src="{website}/episodes/ep/embed.html"')
    context.close()


def test_the_embed_page_plays_in_an_iframe_on_another_origin(
    website: str, origins: tuple[str, str], browser: Any, project: Path
) -> None:
    first, second = origins
    with urllib.request.urlopen(f"{first}/episodes/ep/oembed.json") as answer:
        assert answer.headers["Content-Type"] == "application/json"
        oembed = json.load(answer)
    assert oembed["type"] == "rich" and oembed["version"] == "1.0" and oembed["title"] == "La pauvreté, parlons-en"
    assert oembed["thumbnail_url"].startswith(first) and oembed["height"] > 100
    host = project.parent / "elsewhere"
    host.mkdir(exist_ok=True)
    (host / "article.html").write_text(
        f"<!doctype html><html lang=fr><title>Notre article</title><h1>Article</h1>{oembed['html']}", encoding="utf-8"
    )
    page = browser.new_page()
    page.goto(f"{second}/article.html")
    frame = page.frame_locator("iframe")
    frame.locator(".c-play").click()
    inner = next(f for f in page.frames if f.url.startswith(first))
    inner.wait_for_function("document.getElementById('player').currentTime > 0.5", timeout=15000)
    assert inner.evaluate("document.querySelector('h1').textContent.trim()") == "La pauvreté, parlons-en"
    assert inner.evaluate("document.querySelector('header.site') === null")  # no site chrome
    frame.locator(".c-fwd").click()
    inner.wait_for_function("document.getElementById('player').currentTime > 30")
    box = page.locator("iframe").bounding_box()
    assert box is not None and box["height"] == oembed["height"]
    assert inner.evaluate("document.body.scrollHeight") <= oembed["height"] + 2  # fits its frame
    # the episode page announces the oEmbed answer to CMSs
    episode = (project / "public" / "episodes" / "ep" / "index.html").read_text(encoding="utf-8")
    assert f'type="application/json+oembed" href="{first}/episodes/ep/oembed.json"' in episode


def test_subscribe_links_go_where_each_app_subscribes(website: str, browser: Any, project: Path) -> None:
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=website)
    page = context.new_page()
    page.goto(f"{website}/index.html")
    links = {a.inner_text(): a.get_attribute("href") for a in page.locator(".subscribe a.app").all()}
    feed = f"{website}/feed.xml"
    assert links == {
        "Apple Podcasts": "https://podcasts.apple.com/fr/podcast/paroles/id1234567890",
        "Pocket Casts": "https://pca.st/itunes/1234567890",
        "Overcast": "https://overcast.fm/itunes1234567890",
        "AntennaPod": "https://antennapod.org/deeplink/subscribe?url=" + urllib.parse.quote(feed, safe=""),
        "Flux RSS": feed,
    }  # no Spotify or Deezer button: the show has no page there; no Podcast Addict: a local feed
    page.locator(".subscribe a.rss").click()  # copies the address rather than opening XML
    page.wait_for_function(f"navigator.clipboard.readText().then(t => t === {json.dumps(feed)})")
    assert page.url == f"{website}/index.html"
    edit(project / "config.toml", 'spotify = ""', 'spotify = "https://open.spotify.com/show/abc"')
    edit(project / "config.toml", 'deezer = ""', 'deezer = "https://www.deezer.com/show/123"')
    from podcast.project.config import load_config
    from podcast.release.site import subscribe_links

    names = [name for name, _ in subscribe_links(load_config(project))]
    assert names == ["Apple Podcasts", "Spotify", "Deezer", "Pocket Casts", "Overcast", "AntennaPod"]
    public = load_config(project, {"show.base_url": '"https://podcast.example.org"'})
    made = dict(subscribe_links(public))
    assert made["Podcast Addict"] == "https://podcastaddict.com/feed/https%3A%2F%2Fpodcast.example.org%2Ffeed.xml"
    context.close()


def test_the_home_page_plays_in_place_and_links_people(website: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{website}/index.html")
    cards = page.locator("ol.cards li.card")
    assert cards.locator(".card-title").all_inner_texts() == ["La pauvreté, parlons-en", "Un épisode plus ancien"]
    assert "2 min" in cards.nth(0).inner_text() and "Isabelle Bouyer" in cards.nth(0).inner_text()
    button = cards.nth(0).locator("button.play-here")
    button.click()
    mini = page.locator("#mini")
    mini.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#mini audio').currentTime > 0.3")
    assert button.get_attribute("aria-pressed") == "true"
    assert mini.locator(".c-title").inner_text() == "La pauvreté, parlons-en"
    button.click()
    page.wait_for_function("document.querySelector('#mini audio').paused")
    page.wait_for_function("document.querySelector('button.play-here').getAttribute('aria-pressed') === 'false'")
    cards.nth(1).locator("button.play-here").click()
    page.wait_for_function("document.querySelector('#mini audio').src.includes('/episodes/old/')")
    about = page.locator("section.about")
    assert (
        "Karim" in about.inner_text() and about.locator("a.button").get_attribute("href") == "https://example.org/don"
    )
    page.locator("ol.cards a", has_text="Isabelle Bouyer").click()
    page.wait_for_url("**/people/isabelle-bouyer/index.html")
    assert page.locator("h1").inner_text() == "Isabelle Bouyer"
    assert page.locator(".card-title").all_inner_texts() == ["La pauvreté, parlons-en"]
    assert page.locator("a", has_text="Son site").get_attribute("href") == "https://example.org/isabelle"


def test_crawlers_and_link_previews_find_what_they_need(website: str, project: Path) -> None:
    public = project / "public"
    page = (public / "episodes" / "ep" / "index.html").read_text(encoding="utf-8")
    tree = etree.HTML(page)

    def meta(prop: str) -> str:
        found = tree.xpath(f'//meta[@property="{prop}" or @name="{prop}"]/@content')
        assert found, prop
        return str(found[0])

    assert tree.xpath('//link[@rel="canonical"]/@href') == [f"{website}/episodes/ep/index.html"]
    assert meta("og:title") == "La pauvreté, parlons-en" and meta("twitter:card") == "summary_large_image"
    social = meta("og:image")
    assert social.startswith(f"{website}/images/social-") and meta("twitter:image") == social
    from podcast.edges.images import dimensions

    assert dimensions(public / social.removeprefix(f"{website}/")) == (1200, 630)
    data = json.loads(tree.xpath('//script[@type="application/ld+json"]/text()')[0])
    assert data["@type"] == "PodcastEpisode" and data["partOfSeries"]["@type"] == "PodcastSeries"
    assert data["associatedMedia"]["duration"] == "PT120S" and data["actor"] == [
        {"@type": "Person", "name": "Isabelle Bouyer"}
    ]
    home = etree.HTML((public / "index.html").read_text(encoding="utf-8"))
    series = json.loads(home.xpath('//script[@type="application/ld+json"]/text()')[0])
    assert series["@type"] == "PodcastSeries" and series["webFeed"] == f"{website}/feed.xml"
    sitemap = etree.fromstring((public / "sitemap.xml").read_bytes())
    locs = sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert set(locs) == {
        f"{website}/index.html",
        f"{website}/episodes/ep/index.html",
        f"{website}/episodes/old/index.html",
        f"{website}/people/karim/index.html",
        f"{website}/people/isabelle-bouyer/index.html",
    }
    assert (public / "robots.txt").read_text() == f"User-agent: *\nAllow: /\nSitemap: {website}/sitemap.xml\n"
    with urllib.request.urlopen(f"{website}/sitemap.xml") as answer:
        assert answer.headers["Content-Type"] == "application/xml"
    # covers: three sizes, three formats, a srcset; made once (a second publication makes none)
    covers = sorted(p.name for p in (public / "images").glob("cover*"))
    assert len(covers) == 9 and {p.split(".")[-1] for p in covers} == {"avif", "webp", "jpg"}
    assert 'type="image/avif" srcset="../../images/cover300-' in page and " 1400w" in page
    # the theme's colour, too light for text, is darkened until it reads (4.5:1 and more)
    from podcast.release.site import PAPER, contrast

    accent = re.search(r"--accent:(#[0-9a-f]{6})", page)
    assert accent and accent.group(1) != "#e8a33d" and contrast(accent.group(1), PAPER) >= 4.5
    assert contrast(accent.group(1), "#ffffff") >= 4.5


def test_pagination_past_thirty_episodes_and_seasons_of_a_serial(project: Path, run: Run, tmp_path: Path) -> None:
    edit(project / "config.toml", 'type = "episodic"', 'type = "serial"')
    for n in range(1, 33):
        make_episode(
            project,
            f"e{n:02d}",
            1,
            transcript=False,
            date=f"2024-01-{n % 28 + 1:02d}",
            season=str(1 + n // 20),
            number=str(n),
        )
    result = run("publish", "--all")
    assert result.exit_code == 0, result.output
    public = project / "public"
    first = etree.HTML((public / "index.html").read_text(encoding="utf-8"))
    second = etree.HTML((public / "page" / "2" / "index.html").read_text(encoding="utf-8"))
    assert len(first.xpath('//li[@class="card"]')) == 30 and len(second.xpath('//li[@class="card"]')) == 2
    assert first.xpath('//h3[@class="season"]/text()') == ["Saison 1", "Saison 2"]  # oldest first, by season
    assert second.xpath('//h3[@class="season"]/text()') == ["Saison 2"]
    assert first.xpath('//link[@rel="next"]/@href') == ["page/2/index.html"]
    assert second.xpath('//link[@rel="prev"]/@href') == ["../../index.html"]
    assert second.xpath('//a[@aria-current="page"]/text()') == ["2"]
    assert not (public / "page" / "1").exists()


def test_pages_pass_axe_and_stay_light(website: str, browser: Any, project: Path) -> None:
    """axe-core (WCAG 2.1 A and AA) on every kind of page, with the script running and after
    the share box opens; the JavaScript and CSS a page loads stay under 60 KB compressed."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sizes: dict[str, int] = {}

    def count(response: Any) -> None:
        kind = response.request.resource_type
        if kind in ("script", "stylesheet"):
            sizes[response.url] = len(gzip.compress(response.body()))

    page.on("response", count)
    for path in (
        "/index.html",
        "/episodes/ep/index.html",
        "/episodes/old/index.html",
        "/episodes/ep/embed.html",
        "/people/karim/index.html",
    ):
        sizes.clear()
        page.goto(f"{website}{path}")
        page.wait_for_load_state("load")
        assert accessibility_problems(page) == [], path
        assert 0 < sum(sizes.values()) < 60_000, (path, sizes)
    page.goto(f"{website}/episodes/ep/index.html")
    page.locator("details.share summary").click()
    page.locator(".c-play").click()
    assert accessibility_problems(page) == []
    context.close()


def test_screenshots_at_phone_and_desktop_sizes(website: str, browser: Any) -> None:
    """Saved in build/screenshots/ for a person to look at (the path is printed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, phone in ((390, 844, True), (1280, 800, False)):
        context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
        page = context.new_page()
        for name, path in (("home", "/index.html"), ("episode", "/episodes/ep/index.html")):
            page.goto(f"{website}{path}")
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)
            shot = SCREENSHOTS / f"{name}-{width}x{height}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            print(f"screenshot: {shot}")
        # on a phone, reading the transcript, the player is docked at the bottom, in reach
        page.goto(f"{website}/episodes/ep/index.html")
        page.locator(".transcript .passage").last.scroll_into_view_if_needed()
        page.wait_for_function("document.getElementById('player-box').classList.contains('docked')")
        play = page.locator(".c-play").bounding_box()
        assert play is not None and height - 130 < play["y"] < height
        shot = SCREENSHOTS / f"episode-reading-{width}x{height}.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        context.close()


def test_without_javascript_the_native_control_plays_and_the_transcript_reads(website: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{website}/episodes/ep/index.html")
    assert page.get_attribute("#player", "controls") == ""
    assert page.locator("#player").is_visible()
    assert page.locator(".controls").is_hidden() and page.locator("#t-search").is_hidden()
    assert page.locator(".transcript .passage").count() >= 5
    assert page.locator("#embed-code").input_value().startswith("<iframe")
    page.goto(f"{website}/index.html")
    assert page.locator("button.play-here").first.is_hidden()
    context.close()


@pytest.mark.slow
def test_lighthouse_audits_on_a_phone(project: Path, run: Run, origins: tuple[str, str], tmp_path: Path) -> None:
    """Lighthouse, mobile preset, on the home page and an episode page with a 40-minute transcript:
    accessibility 100, best practices and SEO 95 or more. These are audits of the page, the same on
    any machine; its performance score and times depend on how busy the machine is, so they are
    measured by `benchmarks/run.py lighthouse`, not asserted here."""
    if not available():
        pytest.fail("lighthouse is missing: scripts/setup.sh --test installs it (tests/js, npm ci)")
    make_episode(project, "long", 2400, date="2024-05-14", title="Quarante minutes de conversation")
    assert run("publish", "--all").exit_code == 0
    page = (project / "public" / "episodes" / "long" / "index.html").read_bytes()
    assert len(page) > 100_000  # the whole transcript is in the page
    for path in ("/index.html", "/episodes/long/index.html"):
        result = lighthouse(f"{origins[0]}{path}", tmp_path / "lighthouse.json")
        scores = {name: round(category["score"] * 100) for name, category in result["categories"].items()}
        failed = {
            a["id"]: a["title"]
            for a in result["audits"].values()
            if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") == "binary"
        }
        print(f"lighthouse {path}: {scores}")
        assert scores["accessibility"] == 100, failed
        assert scores["best-practices"] >= 95 and scores["seo"] >= 95, failed


def test_every_language_has_every_word() -> None:
    from podcast.core import i18n

    for table in (i18n.STRINGS, i18n.REVIEW):
        assert set(table["fr"]) == set(table["en"])
    assert i18n.review_strings("fr-FR")["title"] == "Relecture" and i18n.review_strings("xx")["title"] == "Proofreading"


def test_the_theme_logo_and_colour_are_checked_and_shown(project: Path, run: Run, tmp_path: Path) -> None:
    from PIL import Image

    config = project / "config.toml"
    edit(config, 'accent = "#8a1c2b"', 'accent = "red"')
    bad = run("status")
    assert (
        bad.exit_code != 0 and "show.theme.accent" in bad.output + bad.stderr and "#rrggbb" in bad.output + bad.stderr
    )
    edit(config, 'accent = "red"', 'accent = "#1d6f42"')
    edit(config, 'logo = ""', 'logo = "../logo.png"')
    outside = run("status")
    assert outside.exit_code != 0 and "leads outside the project" in outside.output + outside.stderr
    Image.new("RGBA", (800, 200), (29, 111, 66, 255)).save(project / "logo.png")
    edit(config, 'logo = "../logo.png"', 'logo = "logo.png"')
    make_episode(project, "ep", 2, transcript=False)
    assert run("publish", "--all").exit_code == 0
    home = (project / "public" / "index.html").read_text(encoding="utf-8")
    logo = re.search(r'<img src="(images/logo-[0-9a-f]{12}\.png)" alt="" width="(\d+)" height="(\d+)">', home)
    assert logo and (int(logo.group(2)), int(logo.group(3))) == (192, 48)  # 384×96 drawn at half size
    from podcast.edges.images import dimensions

    assert dimensions(project / "public" / logo.group(1)) == (384, 96)
    assert "--accent:#1d6f42" in home  # dark enough already: kept as given
