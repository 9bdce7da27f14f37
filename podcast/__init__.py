"""podcast: produce and publish a podcast from raw recordings, from the command line."""

__version__ = "0.1.0"
