"""Phone numbers in one canonical form, E.164 (``+8613812345678``), for hashing and matching customers.

``+86 138 1234 5678``, ``+8613812345678``, ``008613812345678``, ``13812345678`` and ``0138-1234-5678``
are one mainland number; they must give one keyed hash, or one person becomes several customers. The
parsing is Google's libphonenumber rules (the maintained ``phonenumbers`` port), not hand-written rules:
trunk and international prefixes, and the lengths and formats of every country, change over time and
are maintained there. Numbers without a country code are read in the default region, the setting
``default_phone_region`` (``CEM_PHONE_REGION``, ISO 3166 code, default ``CN``).

Speed: ``phonenumbers.parse`` costs ~20 us a value (20 s at a million rows). The common forms of a
mainland mobile number are recognised by a vectorised pattern (what libphonenumber makes of them is
checked in the tests), and the rest are parsed once per distinct value. A value that is not a possible
number anywhere keeps the old rule (digits, a leading +86/0086 as +86), so it still matches itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers

from cem_core.config import get_setting

# What people type between digit groups, as literal characters: a class with \s would make pandas fall
# back from Arrow's vectorised RE2 to Python's re cell by cell (4x slower).
_SEPARATORS = f"[- ().\t/{chr(0x3000)}]"
_MOBILE = r"1[3-9][0-9]{9}"  # a mainland mobile number: 11 digits from 13x to 19x


def default_region() -> str:
    """The region a number without a country code is read in (``CEM_PHONE_REGION``)."""
    return (get_setting("default_phone_region") or "CN").strip().upper()


def legacy_phone(text: str) -> str | None:
    """The rule before E.164: digits only, a leading +86/0086 kept as +86, leading zeros kept."""
    plus86 = bool(re.match(r"^(\+|00)86", text.replace(" ", "")))
    digits = re.sub(r"\D", "", text)
    if plus86:
        return "+86" + (digits[2:] if digits.startswith("86") else digits[4:])
    return digits or None


@lru_cache(maxsize=200_000)
def canonical_phone(raw: str, region: str) -> str | None:
    """E.164 of one number (full-width digits folded), else ``legacy_phone``; None for a blank."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or text.lower() == "nan":
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return legacy_phone(text)
    if not phonenumbers.is_possible_number(number):
        return legacy_phone(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def canonical_phones(values: pd.Series, region: str | None = None) -> pd.Series:
    """``canonical_phone`` of a column (missing stays None): the common mainland forms by pattern, the
    rest once per distinct value. The patterns give what libphonenumber gives (``tests/test_phones.py``):
    ``+86``/``0086``/``86`` + a mobile number, a bare mobile number, and a trunk ``0`` + 10-11 digits
    (a landline with its area code, or a mobile number written with the trunk zero)."""
    region = region or default_region()
    present = values.notna().to_numpy()
    text = values.where(present, "").astype(str)
    loose = ~text.str.fullmatch(r"\+?[0-9]*")  # separators to drop first (most cells have none)
    compact = text
    if loose.any():
        compact = text.copy()
        compact[loose] = text[loose].str.replace(_SEPARATORS, "", regex=True)
    out = np.full(len(values), None, dtype=object)
    done = ~present
    rules: list[tuple[str, Callable[[pd.Series], pd.Series]]] = [(r"\+86" + _MOBILE, lambda c: c)]
    if region == "CN":
        rules += [(_MOBILE, lambda c: "+86" + c), (r"0[1-9][0-9]{9,10}", lambda c: "+86" + c.str[1:]),
                  ("86" + _MOBILE, lambda c: "+" + c), ("0086" + _MOBILE, lambda c: "+" + c.str[2:])]
    for pattern, canonical in rules:
        todo = compact[~done]
        hit = todo.str.fullmatch(pattern).to_numpy(dtype=bool)
        if hit.any():
            where = np.flatnonzero(~done)[hit]
            out[where] = canonical(todo[hit]).to_numpy(dtype=object)
            done[where] = True
        if done.all():
            break
    if not done.all():
        rest = text[~done]
        found = {v: canonical_phone(v, region) for v in rest.unique()}
        out[~done] = [found[v] for v in rest]
    return pd.Series(out, index=values.index, dtype=object)
