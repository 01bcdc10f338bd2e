"""One function per user action; combines the layers below; returns results, never prints."""
