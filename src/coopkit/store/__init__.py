"""The repository on disk: layout, codec, atomic writes, lock and git."""
