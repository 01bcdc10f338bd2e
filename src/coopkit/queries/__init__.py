"""Read-only answers about a loaded repository: one engine per derived fact."""
