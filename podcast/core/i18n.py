"""The few words the tool writes for listeners (feed show notes, web pages), per language.
French first; a missing language falls back to English."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "chapters": "Chapitres",
        "guests": "Invité·es",
        "guest": "Invité·e",
        "transcript": "Transcription",
        "episodes": "Épisodes",
        "subscribe": "S'abonner",
        "rss": "Flux RSS",
        "listen": "Écouter",
        "episode": "Épisode",
        "season": "Saison",
        "notes": "Notes de l'épisode",
        "no_transcript": "La transcription de cet épisode n'est pas encore disponible.",
        "back": "Tous les épisodes",
        "player": "Lecteur audio",
        "download": "Télécharger l'épisode (MP3)",
        "speaker": "Intervenant",
        "at": "à",
        "new_episode": "Nouvel épisode",
        "with": "avec",
        "search_results": "résultat(s)",
        "skip": "Aller au contenu",
        "voice": "Voix",
        "more_notes": "La suite des notes sur la page de l'épisode",
        "listen_from": "Écouter à partir de",
        "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    },
    "en": {
        "chapters": "Chapters",
        "guests": "Guests",
        "guest": "Guest",
        "transcript": "Transcript",
        "episodes": "Episodes",
        "subscribe": "Subscribe",
        "rss": "RSS feed",
        "listen": "Listen",
        "episode": "Episode",
        "season": "Season",
        "notes": "Show notes",
        "no_transcript": "The transcript of this episode is not available yet.",
        "back": "All episodes",
        "player": "Audio player",
        "download": "Download the episode (MP3)",
        "speaker": "Speaker",
        "at": "at",
        "new_episode": "New episode",
        "with": "with",
        "search_results": "result(s)",
        "skip": "Skip to content",
        "voice": "Voice",
        "more_notes": "The rest of the notes on the episode's page",
        "listen_from": "Listen from",
        "months": "January February March April May June July August September October November December",
    },
}


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language.split("-")[0].lower(), STRINGS["en"])
