"""SSH public keys: fingerprints, and the key an SSH signature names (read from the SSHSIG blob)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct


def key_line(public_key: str) -> str:
    """Return `TYPE BASE64` of a public key line, without its comment."""
    parts = public_key.split()
    return " ".join(parts[:2])


def fingerprint(public_key: str) -> str | None:
    """Return `SHA256:<base64>` as ssh-keygen -l prints it, or None for a malformed key."""
    parts = public_key.split()
    if len(parts) < 2:
        return None
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return "SHA256:" + digest


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise ValueError("truncated")
    (size,) = struct.unpack(">I", data[pos : pos + 4])
    end = pos + 4 + size
    if end > len(data):
        raise ValueError("truncated")
    return data[pos + 4 : end], end


def signature_key(armored: str) -> str | None:
    """Return the public key (`TYPE BASE64`) that made an armored SSH signature, or None."""
    lines = [ln.strip() for ln in armored.strip().splitlines()]
    if len(lines) < 3 or "BEGIN SSH SIGNATURE" not in lines[0] or "END SSH" not in lines[-1]:
        return None
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
        if not blob.startswith(b"SSHSIG"):
            return None
        key_blob, _ = _string(blob, 10)
        key_type, _ = _string(key_blob, 0)
        return f"{key_type.decode('ascii')} {base64.b64encode(key_blob).decode('ascii')}"
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def signature_fingerprint(armored: str) -> str | None:
    """Return the fingerprint of the key that made an armored SSH signature, or None."""
    key = signature_key(armored)
    return fingerprint(key) if key else None
