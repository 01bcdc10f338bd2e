"""Names for German text: ids and slugs from names and titles, and the folding search uses.

One transliteration for every id coopkit derives from a name (contact ids, meeting file names):
German umlauts are spelled out (ä → ae, ß → ss), other accents are dropped (é → e), and the
letters Unicode does not decompose get a table (ı → i, ł → l, ø → o, æ → ae). Every word of
the name is kept, particles too: "Jan de Vries" → `jan-de-vries`, "Aylin Yıldız" →
`aylin-yildiz`.
"""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX = 64

# Letters NFKD leaves whole (no combining mark to strip), spelled as German readers expect.
_LETTERS = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "ẞ": "ss",
    "ı": "i",
    "ł": "l",
    "ø": "oe",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ħ": "h",
    "ŀ": "l",
    "ĸ": "k",
    "ŋ": "n",
    "ſ": "s",
    "ŧ": "t",
    "ə": "e",
}
_NOT_ID = re.compile(r"[^a-z0-9]+")


def transliterate(text: str) -> str:
    """Return `text` in lowercase ASCII letters: umlauts spelled out, other accents dropped."""
    lowered = text.lower()
    spelled = "".join(_LETTERS.get(c, c) for c in lowered)
    decomposed = unicodedata.normalize("NFKD", spelled)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    # A letter NFKD split into another table entry (e.g. a composed "ǿ") gets one more pass.
    plain = "".join(_LETTERS.get(c, c) for c in plain)
    return plain.encode("ascii", "ignore").decode("ascii")


def slug(text: str, max_length: int = SLUG_MAX) -> str:
    """Return an id made from `text`: transliterated, '-' between words, at most `max_length`.

    A cut falls between words where there is one. Returns "" when no letter or digit remains.
    """
    value = _NOT_ID.sub("-", transliterate(text)).strip("-")
    if len(value) > max_length:
        cut = value[:max_length]
        value = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return value.strip("-")


# For search: every table letter but the umlauts, which fold to their base letter below.
_FOLD = str.maketrans({k: v for k, v in _LETTERS.items() if k not in "äöü"} | {"ς": "σ"})
_COMBINING = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8"
    "\u06ea-\u06ed\u0900-\u0903\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
    "\u302a-\u302f\u3099\u309a\ufe20-\ufe2f]"
)
_SPELLED = re.compile(r"([aou])e")


def _fold_piece(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    # Accents of Latin, Greek, Cyrillic, Hebrew, Arabic; marks that are letters' vowels in
    # other scripts stay, as they belong to the word.
    return _COMBINING.sub("", decomposed).translate(_FOLD)


def fold(text: str) -> str:
    """Return `text` folded for search: ö = oe = o, ü = ue = u, ä = ae = a, ß = ss, ı = i.

    Lowercase, accents dropped, umlauts reduced to their base letter whether written as "ö" or
    "oe". Non-letters are kept, so word boundaries and line breaks stay where they were.
    """
    return _SPELLED.sub(r"\1", _fold_piece(text))


def fold_positions(text: str) -> tuple[str, list[int]]:
    """Return `fold(text)` and, for each of its characters, the index in `text` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_piece(char)
        chars.extend(piece)
        origin.extend([index] * len(piece))
    folded: list[str] = []
    positions: list[int] = []
    n = 0
    while n < len(chars):
        folded.append(chars[n])
        positions.append(origin[n])
        # "ae", "oe", "ue" (spelled-out umlauts) count as the plain vowel, as "ä" does.
        if chars[n] in "aou" and n + 1 < len(chars) and chars[n + 1] == "e":
            n += 2
        else:
            n += 1
    return "".join(folded), positions
