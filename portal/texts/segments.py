"""How many segments a text costs.

A text made only of the GSM 03.38 alphabet is sent 7 bits a character: 160
characters fit one segment, 153 each when it is split (the rest carries the
join header). Any other character (most accents outside Western Europe,
Arabic, Chinese, Vietnamese, emoji) makes the whole text UCS-2: 70 characters
fit one segment, 67 each when split, counted in UTF-16 code units.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# These take two septets each (an escape, then the character).
GSM_EXTENDED = set("^{}\\[~]|€\f")


# Typographic characters Babel and translators use that have a plain GSM twin:
# one en dash or narrow space would make a whole English text UCS-2 and double
# its cost.
PLAIN_TWINS = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2010": "-",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ",
    "\u2026": "...",
})


def plain_for_texts(text: str) -> str:
    """The text with typographic characters replaced by their plain twins, and
    its white space folded."""
    return " ".join(text.translate(PLAIN_TWINS).split())


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int


def count_segments(text: str) -> Segments:
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, split, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, split, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, -(-units // split))
