"""The one exception tree. `cli/base.py` is the only place that turns these into messages, and
`__main__` the only place that turns an interruption (Ctrl-C) into its line and exit status."""

from __future__ import annotations

# What an interrupted command says (Ctrl-C), wherever it is interrupted.
INTERRUPTED = "interrupted: outputs and published files from earlier runs are intact"


class Interrupted(BaseException):
    """Ctrl-C, carried from inside the command (or a prompt) to `__main__`, which reports it.
    Not a KeyboardInterrupt, which click would turn into its own abort with a blank line."""


class PodcastError(Exception):
    """Base of every error the user can act on; its message is one line."""


class ConfigError(PodcastError):
    """config.toml or an episode.toml is missing, malformed or invalid."""


class EpisodeError(PodcastError):
    """An episode cannot be processed: bad slug, missing recording, unreadable file."""


class RecordingMissing(EpisodeError):
    """The episode's recording is not in its folder (yet): skipped by `publish --all`."""


class FatalError(PodcastError):
    """Stops the whole run at once, not one episode: a missing tool, a broken model."""


class ToolMissing(FatalError):
    """An external program (ffmpeg, espeak-ng) is not installed."""


class MediaError(PodcastError):
    """ffmpeg failed, or a file is not usable audio."""


class LoudnessError(MediaError):
    """The delivered file is outside the loudness target."""


class ModelError(FatalError):
    """The Whisper model is missing, corrupt or not allowed to download."""


class StorageError(PodcastError):
    """Publishing to the storage backend failed."""


class FeedError(PodcastError):
    """The feed cannot be built or would reference unpublished media."""


class ArtworkError(PodcastError):
    """Artwork that cannot be read, or that directories would reject."""


class UnsafePath(PodcastError):
    """A file the tool would read lies outside the project (a link out of it)."""


class EncodingProblem(PodcastError):
    """A text file is not UTF-8."""


class UnreadableFile(PodcastError):
    """A file the producer wrote cannot be read (a folder in its place, no permission)."""


class Busy(FatalError):
    """Another run holds the project's lock."""


class FetchError(PodcastError):
    """A URL could not be fetched (not found, refused, timed out, cut short)."""


class ImportProblem(PodcastError):
    """A feed cannot be imported (not a feed, locked, duplicate GUIDs...)."""


class TranscriptFileError(PodcastError):
    """A transcript file (WebVTT, SubRip, JSON) that cannot be read."""
