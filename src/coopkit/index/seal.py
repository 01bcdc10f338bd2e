"""A keyed checksum on every stored row, so that a row coop did not write here is never used.

The stores in `.coop/` map what is cheap to see (a file's stat, a unit's key, a question) to
what was expensive to find (a blob id, a derived piece, an answer). A row that maps the right
question to a wrong value — edited by hand, left by a broken disk, copied from another clone or
an old backup — would be answered from as if it were true. So each row carries a 16-byte
BLAKE2b tag of its place (table and row key) and its value, keyed by a secret in `.coop/seal`
together with that file's own identity (device, inode, change time): a copied or restored
`.coop/` gets a new identity, so its rows no longer verify and are built again. A row whose tag
does not verify counts as absent or damaged. The secret stays local: it tells damaged and
foreign rows apart from coop's own, it does not protect them from someone who can read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import struct
from pathlib import Path

from coopkit.index.place import COOP_DIR, remove_store, store_path

SEAL_FILE = "seal"
TAG = 16
"""Bytes of a tag."""
_SECRET = 32


class Seal:
    """Tags and checks stored rows of one repository's `.coop/`."""

    def __init__(self, root: Path) -> None:
        self.key = _key(root)
        # Copying a keyed state is cheaper than keying anew: tens of thousands of rows per read.
        self._keyed = hashlib.blake2b(key=self.key or b"", digest_size=TAG)

    def tag(self, *parts: bytes | str) -> bytes:
        """Return the tag of a row: its table, its key and its value, in this order."""
        if self.key is None:
            return b"\0" * TAG
        data = [p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p for p in parts]
        digest = self._keyed.copy()
        # The lengths first: no two different rows hash the same bytes.
        digest.update(struct.pack(f"<{len(data)}Q", *map(len, data)))
        for part in data:
            digest.update(part)
        return digest.digest()

    def close(self, value: bytes, *place: str) -> bytes:
        """Return a value with its tag in front, as stored."""
        return self.tag(*place, value) + value

    def open(self, stored: bytes, *place: str) -> bytes | None:
        """Return the value of a stored one whose tag verifies; None where it does not."""
        if self.key is None or len(stored) < TAG:
            return None
        value = stored[TAG:]
        return value if self.check(stored[:TAG], *place, value) else None

    def check(self, tag: bytes, *parts: bytes | str) -> bool:
        """Return whether `tag` is the tag of `parts` (never without a secret)."""
        return self.key is not None and hmac.compare_digest(tag, self.tag(*parts))


def _key(root: Path) -> bytes | None:
    """Return the key of `.coop/seal` (made when missing); None where no secret can be kept."""
    for _ in range(2):
        found = _read(root)
        if found is not None:
            return found
        _make(root)
    return None


def _read(root: Path) -> bytes | None:
    """Return the key from a regular seal file of the right size, else None."""
    path = root / COOP_DIR / SEAL_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size != _SECRET:
            return None
        secret = os.read(fd, _SECRET + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(secret) != _SECRET:
        return None
    ident = f"{info.st_dev}:{info.st_ino}:{info.st_ctime_ns}".encode()
    return hashlib.blake2b(ident, key=secret, digest_size=32).digest()


def _make(root: Path) -> None:
    """Make a new seal file in place of a missing or unusable one (never over a good one)."""
    target = store_path(root, SEAL_FILE)
    if target is None:
        return
    with contextlib.suppress(FileNotFoundError):
        info = os.lstat(target)
        if stat.S_ISREG(info.st_mode) and info.st_size == _SECRET:
            return  # another process made it meanwhile
        remove_store(root, SEAL_FILE)
    temp = target.with_name(f"{SEAL_FILE}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, os.urandom(_SECRET))
        finally:
            os.close(fd)
        # A link fails where another process made the file first: its secret stays.
        with contextlib.suppress(FileExistsError):
            os.link(temp, target)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
