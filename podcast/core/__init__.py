"""The ground floor: errors, files, time codes, progress, words. Knows nothing of podcasts."""
