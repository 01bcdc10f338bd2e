"""The disposable index under .coop/: parse cache and search tables, rebuilt from the files."""
