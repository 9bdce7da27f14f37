"""The project's records: config.toml and episode.toml as validated data, each episode's
folder and build files, what each stage produced (state), what we published (ledger), identifiers."""
