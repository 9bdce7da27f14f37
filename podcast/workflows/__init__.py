"""Commands that drive the pipeline or work beside it: import, move, unpublish and prune,
markers, suggestions, review, quotes, newsletter, init/new, demo, doctor, model pull, serve."""
