"""Model -> bytes/str: one sandboxed Jinja environment, docx, redline, markdown, ics, pdf."""
