"""Sphinx configuration of the coopkit documentation (German first, English where given)."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

project = "coopkit"
author = "coopkit"
copyright = "coopkit, EUPL-1.2"
language = "de"

extensions = ["myst_parser", "coopdocs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "README.md"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings: list[str] = []

html_theme = "furo"
html_title = "coopkit"
html_show_sourcelink = False
