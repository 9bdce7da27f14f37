"""The Podcasting 2.0 tags apps read beyond the core set (podcast:txt and ai-content, podroll,
publisher, updateFrequency, trailer, image, socialInteract, block, the WebSub hub, podping):
each configured value read back by podcast-partytime and by feedparser or lxml, each absent
value leaving no element behind, and `podcast check` saying what is missing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from PIL import Image

from podcast.domain import namespace
from podcast.project.ids import guid_from_feed_url

from .conftest import Run, add_episode, edit, make_tone
from .test_feed import partytime

NS = {"podcast": "https://podcastindex.org/namespace/1.0", "atom": "http://www.w3.org/2005/Atom"}
PARTNER_GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
PUBLISHER_GUID = "003af0a0-6a45-55cf-b765-68e3d349551a"
NEW_TAGS = (
    "txt",
    "podroll",
    "publisher",
    "remoteItem",
    "updateFrequency",
    "trailer",
    "socialInteract",
    "block",
    "podping",
    "alternateEnclosure",
)

SHOW_TABLES = f"""
[[show.txt]]
text = "S6lpp-7ZCn8-dZfGc"
purpose = "verify"

[[show.txt]]
text = "Émission & <associative>"

[show.update_frequency]
rrule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
text = "Un mardi sur deux"

[[show.podroll]]
guid = "{PARTNER_GUID}"
url = "https://feeds.podcastindex.org/pc20.xml"
title = "Podcasting 2.0"

[[show.podroll]]
url = "https://radio.example.org/feed.xml"

[show.publisher]
guid = "{PUBLISHER_GUID}"
url = "https://association.example.org/publisher.xml"

[[show.social]]
uri = "https://mastodon.social/@asso/1"
account_id = "@asso@mastodon.social"
account_url = "https://mastodon.social/@asso"
priority = 1
"""


def configure(project: Path) -> None:
    config = project / "config.toml"
    edit(config, 'artwork_alt = ""', 'artwork_alt = "Un micro sur une table"\nai_content = true')
    edit(config, "block = []", 'block = ["youtube", "google"]')
    edit(config, 'websub_hub = ""', 'websub_hub = "https://hub.example.org/"')
    edit(config, "podping = false", "podping = true")
    with config.open("a", encoding="utf-8") as handle:
        handle.write(SHOW_TABLES)


def trailer_and_episode(project: Path, tmp_path: Path) -> None:
    add_episode(
        project,
        "bande-annonce",
        make_tone(tmp_path / "t.wav", seconds=2),
        title="Bientôt : la saison 2",
        date="2024-03-01T09:00:00",
        season="2",
        episode_type='"trailer"',
    )
    folder = add_episode(
        project, "ep-1", make_tone(tmp_path / "e.wav", seconds=2), date="2024-04-02T10:00:00", ai_content="false"
    )
    edit(
        folder / "episode.toml",
        "[edit]",
        '[[txt]]\ntext = "release-42"\npurpose = "release"\n\n'
        '[[social]]\nuri = "https://mastodon.social/@asso/2"\naccount_id = "@asso@mastodon.social"\n\n[edit]',
    )


def test_every_new_tag_read_back_by_independent_readers(project: Path, run: Run, tmp_path: Path) -> None:
    configure(project)
    trailer_and_episode(project, tmp_path)
    result = run("publish", "--all")
    assert result.exit_code == 0, result.output
    feed = project / "public" / "feed.xml"

    pt = partytime(feed)
    assert pt["pubsub"]["hub"] == "https://hub.example.org/"
    # partytime's XML parser turns "true" into a boolean and drops it: the purpose is read,
    # the value is checked with lxml below.
    assert [t.get("purpose") for t in pt["podcastTxt"]] == ["verify", None, "ai-content"]
    assert pt["podcastTxt"][0]["value"] == "S6lpp-7ZCn8-dZfGc"
    assert pt["podcastTxt"][1]["value"] == "Émission & <associative>"
    assert pt["podroll"] == [
        {"feedGuid": PARTNER_GUID, "feedUrl": "https://feeds.podcastindex.org/pc20.xml", "title": "Podcasting 2.0"},
        {
            "feedGuid": guid_from_feed_url("https://radio.example.org/feed.xml"),
            "feedUrl": "https://radio.example.org/feed.xml",
        },
    ]
    assert pt["podcastPublisher"] == {
        "feedGuid": PUBLISHER_GUID,
        "feedUrl": "https://association.example.org/publisher.xml",
    }
    assert pt["podcastBlocked"] == "no" and pt["podcastBlockedPlatforms"] == {"youtube": True, "google": True}
    (trailer,) = pt["trailers"]
    media = next((project / "public" / "episodes" / "bande-annonce").glob("bande-annonce-*.mp3"))
    assert trailer["title"] == "Bientôt : la saison 2" and trailer["url"].endswith(media.name)
    assert trailer["length"] == media.stat().st_size and trailer["type"] == "audio/mpeg"
    assert trailer["season"] == 2 and trailer["pubdate"] == "2024-03-01T08:00:00.000Z"
    episode = next(it for it in pt["items"] if it["title"] == "Épisode ep-1")
    assert episode["podcastTxt"] == [
        {"value": "release-42", "purpose": "release"},
        {"value": "", "purpose": "ai-content"},
    ]
    assert episode["podcastSocialInteraction"] == [
        {"platform": "activitypub", "id": "@asso@mastodon.social", "url": "https://mastodon.social/@asso/2"}
    ]
    teaser = next(it for it in pt["items"] if it["title"] == "Bientôt : la saison 2")
    assert teaser["itunesEpisodeType"] == "trailer"

    read_with_feedparser(feed)
    read_with_lxml(project, feed)


def read_with_feedparser(feed: Path) -> None:
    """feedparser keeps the last of each namespaced element, with its attributes."""
    fp = feedparser.parse(feed.read_bytes())
    assert not fp.bozo
    assert {"rel": "hub", "href": "https://hub.example.org/", "type": "text/html"} in fp.feed.links
    assert fp.feed.podcast_updatefrequency["rrule"] == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
    assert fp.feed.podcast_socialinteract["uri"] == "https://mastodon.social/@asso/1"
    assert fp.feed.podcast_podping["usespodping"] == "true"
    assert fp.feed.podcast_txt == {"purpose": "ai-content"}  # the last one; feedparser keeps attributes only
    assert fp.feed.podcast_image["purpose"] == "social" and fp.feed.podcast_image["width"] == "1200"
    assert fp.feed.podcast_remoteitem == {"feedguid": PUBLISHER_GUID, "medium": "publisher"} | {
        "feedurl": "https://association.example.org/publisher.xml"
    }
    assert fp.feed.podcast_trailer["season"] == "2" and fp.feed.podcast_trailer["type"] == "audio/mpeg"
    assert fp.feed.podcast_block == {"id": "google"}
    episode = next(e for e in fp.entries if e.title == "Épisode ep-1")
    assert episode.podcast_socialinteract["uri"] == "https://mastodon.social/@asso/2"


def read_with_lxml(project: Path, feed: Path) -> None:
    channel = etree.parse(str(feed)).find("channel")
    assert channel is not None

    def attrs(path: str, node: etree._Element = channel) -> list[dict[str, str]]:
        return [dict(e.attrib) for e in node.findall(path, NS)]

    txt = [(e.get("purpose"), e.text) for e in channel.findall("podcast:txt", NS)]
    assert txt == [("verify", "S6lpp-7ZCn8-dZfGc"), (None, "Émission & <associative>"), ("ai-content", "true")]
    item = next(i for i in channel.findall("item") if i.findtext("title") == "Épisode ep-1")
    assert [(e.get("purpose"), e.text) for e in item.findall("podcast:txt", NS)] == [
        ("release", "release-42"),
        ("ai-content", "false"),  # the episode's own answer wins over the show's
    ]
    teaser_item = next(i for i in channel.findall("item") if i.findtext("title") == "Bientôt : la saison 2")
    assert [e.text for e in teaser_item.findall("podcast:txt", NS)] == ["true"]  # the show's answer
    frequency = channel.find("podcast:updateFrequency", NS)
    assert frequency is not None and frequency.text == "Un mardi sur deux"
    images = attrs("podcast:image")
    assert [i["purpose"] for i in images] == ["artwork", "social"]
    assert images[0]["width"] == images[0]["height"] == "1400" and images[0]["aspect-ratio"] == "1/1"
    assert images[1]["width"] == "1200" and images[1]["height"] == "630" and images[1]["aspect-ratio"] == "40/21"
    assert all(i["alt"] == "Un micro sur une table" for i in images)
    social = project / "public" / images[1]["href"].split("127.0.0.1:8000/", 1)[1]  # published with the pages
    with Image.open(social) as card:
        assert card.size == (1200, 630)
    assert attrs("podcast:socialInteract")[0]["priority"] == "1"
    assert attrs("podcast:socialInteract")[0]["accountUrl"] == "https://mastodon.social/@asso"
    assert [(e.get("id"), e.text) for e in channel.findall("podcast:block", NS)] == [
        ("youtube", "yes"),
        ("google", "yes"),
    ]
    assert attrs("podcast:podroll/podcast:remoteItem") == [
        {"feedGuid": PARTNER_GUID, "feedUrl": "https://feeds.podcastindex.org/pc20.xml", "title": "Podcasting 2.0"},
        {
            "feedGuid": guid_from_feed_url("https://radio.example.org/feed.xml"),
            "feedUrl": "https://radio.example.org/feed.xml",
        },
    ]
    (publisher,) = attrs("podcast:publisher/podcast:remoteItem")
    assert publisher["feedGuid"] == PUBLISHER_GUID and publisher["medium"] == "publisher"
    (trailer,) = channel.findall("podcast:trailer", NS)
    assert trailer.text == "Bientôt : la saison 2" and trailer.get("season") == "2"


def test_absent_settings_leave_no_element_behind(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    raw = (project / "public" / "feed.xml").read_bytes()
    root = etree.fromstring(raw)
    for tag in NEW_TAGS:
        assert root.findall(f".//podcast:{tag}", NS) == [], tag
    assert [link.get("rel") for link in root.findall("channel/atom:link", NS)] == ["self"]
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{" + NS["podcast"]):
            assert (element.text or "").strip() or len(element.attrib) or len(element), element.tag
            assert all(value.strip() for value in element.attrib.values()), element.tag
    pt = partytime(project / "public" / "feed.xml")
    assert "podcastTxt" not in pt and "podroll" not in pt and "trailers" not in pt
    assert "podcastPublisher" not in pt and "hub" not in pt.get("pubsub", {})


def test_an_empty_publisher_or_podroll_entry_is_refused(project: Path, run: Run) -> None:
    config = project / "config.toml"
    with config.open("a", encoding="utf-8") as handle:
        handle.write('\n[[show.podroll]]\ntitle = "Sans adresse"\n')
    result = run("status")
    assert result.exit_code == 1
    assert "show.podroll[0] needs guid" in result.stderr and "podcast podroll add URL" in result.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            'block = ["youtub"]',
            "show.block: 'youtub' is not a service of the Podcasting 2.0 list (did you mean 'youtube'?)",
        ),
        ('\n[[show.txt]]\ntext = ""\n', "show.txt[0].text is empty"),
        ('\n[[show.txt]]\ntext = "oui"\npurpose = "ai-content"\n', "is set with ai_content = true or false"),
        ('\n[show.update_frequency]\nrrule = "WEEKLY"\n', "show.update_frequency.rrule 'WEEKLY' is not part of"),
        ('\n[show.update_frequency]\nrrule = "FREQ=WEEKLY;COUNT=10"\n', "a rule with COUNT needs dtstart"),
        ('\n[[show.social]]\nprotocol = "activitypub"\n', "show.social[0].uri is required"),
        ('\n[[show.social]]\nuri = "javascript:alert(1)"\n', "must be an http:// or https:// address"),
    ],
)
def test_bad_values_are_config_errors(project: Path, run: Run, setting: str, message: str) -> None:
    config = project / "config.toml"
    if setting.startswith("block"):
        edit(config, "block = []", setting)
    else:
        with config.open("a", encoding="utf-8") as handle:
            handle.write(setting)
    result = run("check")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_too_long_txt_is_refused(project: Path, run: Run) -> None:
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[show.txt]]\ntext = "{"x" * 4001}"\n')
    result = run("check")
    assert result.exit_code == 1 and "has 4001 characters: apps truncate after 4000" in result.stderr


def test_check_says_what_is_missing(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    config = project / "config.toml"
    edit(config, "podping = false", "podping = true")
    edit(config, "block = []", 'block = ["apple"]')
    edit(config, 'apple = ""', 'apple = "https://podcasts.apple.com/fr/podcast/id1"')
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[[show.podroll]]\nurl = "https://radio.example.org/feed.xml"\n'
            '\n[show.update_frequency]\nrrule = "auto"\n'
        )
    assert run("publish", "ep").exit_code == 0
    result = run("check")
    out = result.output
    assert "warning: [show] podcast:txt ai-content: not decided" in out and namespace.AI_DISCLOSURE_URL in out
    assert "(episodes without their own: ep)" in out
    assert "show.podroll[0] has no guid" in out and "podcast podroll add https://radio.example.org/feed.xml" in out
    assert 'rrule = "auto" needs 3 episodes' in out
    assert "the show blocks 'apple' but links to it (show.links.apple)" in out
    assert "notify.podping is on but $PODCAST_PODPING_TOKEN is not set" in out
    edit(config, 'artwork_alt = ""', "ai_content = false")
    assert "ai-content" not in run("check").output


def test_update_frequency_from_the_publication_history(project: Path, run: Run, tmp_path: Path) -> None:
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[show.update_frequency]\nrrule = "auto"\n')
    tone = make_tone(tmp_path / "a.wav", seconds=2)
    for index, day in enumerate(("2024-01-09", "2024-02-06", "2024-03-05", "2024-04-09")):
        add_episode(project, f"ep-{index}", tone, date=day)
    assert run("publish", "--all").exit_code == 0
    frequency = etree.parse(str(project / "public" / "feed.xml")).find("channel/podcast:updateFrequency", NS)
    assert frequency is not None
    assert frequency.get("rrule") == "FREQ=MONTHLY" and frequency.text == "Chaque mois"
    assert "updateFrequency" not in run("check").output


def test_a_complete_series(project: Path, run: Run) -> None:
    with (project / "config.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[show.update_frequency]\nrrule = "FREQ=MONTHLY"\ncomplete = true\n')
    assert run("feed").exit_code == 0
    frequency = etree.parse(str(project / "public" / "feed.xml")).find("channel/podcast:updateFrequency", NS)
    assert frequency is not None
    assert frequency.get("complete") == "true" and frequency.text == "Série terminée"
    assert frequency.get("rrule") is None


def test_infer_frequency() -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    def every(days: float, count: int = 6) -> list[dt.datetime]:
        return [start + dt.timedelta(days=days * i) for i in range(count)]

    assert namespace.infer_frequency(every(7)) == namespace.Frequency("WEEKLY")
    biweekly = namespace.infer_frequency(every(14))
    assert biweekly is not None and biweekly.rrule == "FREQ=WEEKLY;INTERVAL=2"
    assert namespace.infer_frequency(every(1)) == namespace.Frequency("DAILY")
    assert namespace.infer_frequency(every(61)) == namespace.Frequency("MONTHLY", 2)
    assert namespace.infer_frequency(every(365)) == namespace.Frequency("YEARLY")
    assert namespace.infer_frequency(every(7, count=2)) is None
    irregular = [*every(7, 5), start + dt.timedelta(days=400)]  # one long gap does not move the median
    assert namespace.infer_frequency(irregular) == namespace.Frequency("WEEKLY")


def test_sri() -> None:
    import base64
    import hashlib

    data = b"podcast"
    assert namespace.sri_of(data) == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert json.dumps(namespace.sri_of(b"")).startswith('"sha384-OLBgp1GsljhM2TJ')
