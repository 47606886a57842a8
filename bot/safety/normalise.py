"""Text normalisation shared by the crisis lexicons and the messages they are matched against.

Both sides go through the same function, so a lexicon entry written with diacritics, hamza,
Persian or Arabic letter forms, or a doubled letter matches a message typed without them.
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans(
    {
        # Arabic-script letter variants people type interchangeably
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "ئ": "ي",
        "ك": "ک",
        "ؤ": "و",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        # Pashto and Sorani letters that people on Persian or Arabic keyboards replace
        "ګ": "گ",
        "ټ": "ت",
        "ډ": "د",
        "ړ": "ر",
        "ڼ": "ن",
        "ښ": "ش",
        "ږ": "ژ",
        "ێ": "ي",
        "ۆ": "و",
        "ڕ": "ر",
        "ڵ": "ل",
        "ـ": None,  # tatweel
        "\u200c": None,  # zero-width non-joiner (Persian half-space), often left out
        "\u200d": None,
        # Eastern Arabic and Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        # Latin and Cyrillic letters typed without their marks or with look-alikes
        "ı": "i",
        "ß": "ss",
        "ё": "е",
        "ї": "і",
        "’": "'",
        "ʼ": "'",
    }
)
# Ethiopic series written interchangeably in Tigrinya (ፀ/ጸ, ሠ/ሰ, ኀ/ሐ, ኣ/አ): fold the whole series
_ETHIOPIC = str.maketrans(
    {
        **{chr(0x1340 + i): chr(0x1338 + i) for i in range(8)},  # ፀ… -> ጸ…
        **{chr(0x1220 + i): chr(0x1230 + i) for i in range(8)},  # ሠ… -> ሰ…
        **{chr(0x1280 + i): chr(0x1210 + i) for i in range(8)},  # ኀ… -> ሐ…
        "ኣ": "አ",
    }
)
_NON_WORD = re.compile(r"[^\w']+|_")
_REPEAT = re.compile(r"([^\W\d_])\1+")


def normalise(text: str) -> str:
    """Fold case, marks, letter variants, digits and repeated letters; words separated by one space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = unicodedata.normalize("NFC", text).translate(_FOLD).translate(_ETHIOPIC)
    text = _REPEAT.sub(r"\1", text)  # "heeelp", "killl" and "kill" all become "kil"
    text = _NON_WORD.sub(" ", text).replace("'", "")
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """The normalised words of ``text``."""
    return normalise(text).split()
