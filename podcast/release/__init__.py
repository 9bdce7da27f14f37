"""What is made once per run from every episode: the catalog, show notes, the feed, the
pages, the search index, the pre-publish check."""
