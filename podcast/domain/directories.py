"""The podcast directories a show is submitted to: where, what each asks for, and the names the
web pages give them. One row per directory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Directory:
    key: str  # its key in [show.links] (and its podcast:block slug, where they differ: `slug`)
    name: str  # as listeners know it
    submit: str  # where the producer submits the feed
    steps: tuple[str, ...]  # what to do there, in order ({feed} is the feed's URL)
    slug: str = ""  # its podcast:block service slug ("" = the key)
    verify_purpose: str = ""  # the podcast:txt purpose of its ownership token, when it asks for one
    needs_email: bool = True  # verifies ownership by mailing itunes:owner
    link_hint: str = ""  # what the show's page there looks like, for [show.links]

    @property
    def block_slug(self) -> str:
        return self.slug or self.key


DIRECTORIES: tuple[Directory, ...] = (
    Directory(
        "apple",
        "Apple Podcasts",
        "https://podcastsconnect.apple.com/",
        (
            "sign in with the association's Apple Account, then + → New Show → Add a show with an RSS feed",
            "paste the feed URL: {feed}",
            "Apple may give a verification code: put it in [[show.txt]] with purpose = "
            '"applepodcastsverify", publish, then confirm in Podcasts Connect',
            "review usually takes 1 to 5 days; Apple mails the owner e-mail",
        ),
        verify_purpose="applepodcastsverify",
        link_hint="https://podcasts.apple.com/fr/podcast/ID",
    ),
    Directory(
        "spotify",
        "Spotify",
        "https://creators.spotify.com/pod/dashboard/add",
        (
            "sign in to Spotify for Creators → Add your podcast → Find an existing show",
            "paste the feed URL: {feed}",
            "Spotify mails an 8-digit code to the owner e-mail of the feed: enter it",
            "choose the category and language, then Submit: the show is live within hours",
        ),
        link_hint="https://open.spotify.com/show/ID",
    ),
    Directory(
        "podcastindex",
        "Podcast Index",
        "https://podcastindex.org/add",
        (
            "paste the feed URL: {feed} (or set PODCAST_INDEX_API_KEY and PODCAST_INDEX_API_SECRET: "
            "`podcast directories` adds it through the API)",
            "Podcast Index feeds many apps (AntennaPod's search, Fountain, Podverse, Castamatic, ...)",
        ),
        needs_email=False,
        link_hint="https://podcastindex.org/podcast/ID",
    ),
    Directory(
        "amazon",
        "Amazon Music / Audible",
        "https://podcasters.amazon.com/",
        (
            "sign in with an Amazon account → Add your podcast",
            "paste the feed URL: {feed}",
            "Amazon mails a code to the owner e-mail of the feed: enter it",
        ),
        link_hint="https://music.amazon.fr/podcasts/ID",
    ),
    Directory(
        "deezer",
        "Deezer",
        "https://podcasters.deezer.com/submission",
        (
            "sign in with a Deezer account → Submit an RSS feed",
            "paste the feed URL: {feed}",
            "Deezer mails a confirmation link to the owner e-mail of the feed",
        ),
        link_hint="https://www.deezer.com/fr/show/ID",
    ),
    Directory(
        "podcastaddict",
        "Podcast Addict",
        "https://podcastaddict.com/submit",
        (
            "paste the feed URL: {feed} and submit (no account needed)",
            "the show appears in the app's search within a day",
        ),
        needs_email=False,
        link_hint="https://podcastaddict.com/podcast/ID",
    ),
)

BY_KEY = {directory.key: directory for directory in DIRECTORIES}

# How the web pages name each subscribe link of [show.links].
LINK_NAMES = {
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "antennapod": "AntennaPod",
    "pocketcasts": "Pocket Casts",
    "podcastindex": "Podcast Index",
    "amazon": "Amazon Music",
    "deezer": "Deezer",
    "podcastaddict": "Podcast Addict",
}
