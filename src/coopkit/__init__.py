"""coopkit: cooperation agreements, sign-offs, meetings and follow-up as plain text in git."""

__version__ = "0.1.0"
