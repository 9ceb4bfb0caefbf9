"""Resolve a file's dimension values and customer identities to ids, creating what is new.

Channels, stages and touchpoints match by code or by Chinese or English name (case, width and spacing
ignored), so "微信小程序", "WeChat mini-program" and "wechat_mini" land on the same channel. Values that
match nothing become new rows, listed in the import report, because silently dropping a channel the
user typed would hide their data from every channel chart. Stage and touchpoint names also match the
synonyms in ``journey.synonyms`` (built-in, and every name an admin mapped); a new stage or touchpoint
is flagged there for an admin to map on the journey page.

Customers are one person across channels: matched by customer id, else by the keyed hash of the
normalised phone, else of the email (a phone/email match is refused only when both sides carry
different customer ids: then they are two people sharing a phone). A new customer belongs to the
batch that first saw it, so undoing that batch removes it unless another batch still refers to it
(see ``undo``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from cem_core.db.bulk import bulk_insert, next_id
from cem_core.db.models import Attribute, Channel, Customer, JourneyStage, Touchpoint
from cem_core.journey.synonyms import mark_unmapped, synonyms
from cem_core.journey.synonyms import name_key as key_of
from cem_core.reference import ensure_base

LOOKUP_SLICE = 10_000
CACHE_MAX = 200_000  # identities cached across chunks (~50 MB); beyond, the cache starts again


def _code(value: str, prefix: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "_", unicodedata.normalize("NFKC", value).lower()).strip("_")
    if ascii_part and ascii_part == re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_"):
        return ascii_part[:48]
    return f"{prefix}_{hashlib.sha1(value.encode()).hexdigest()[:10]}"


class References:
    """code/name -> id maps for channels, stages, touchpoints and attributes of one import."""

    def __init__(self, conn: Connection) -> None:
        ensure_base(conn)  # the standard channels exist even in a database that never saw the demo
        self.conn = conn
        self.created: dict[str, list[str]] = {}
        self.unmatched: dict[str, list[str]] = {}
        self.channel = self._names(Channel)
        self.stage = self._names(JourneyStage)
        self.attribute = self._names(Attribute)
        remembered = synonyms(conn)  # names an admin mapped (and the template stages' everyday names)
        for k, target in remembered["stage"].items():
            self.stage.setdefault(k, target)
        tp = Touchpoint.__table__.c
        self.touchpoint: dict[tuple[int, str], int] = {}
        self.touchpoint_any: dict[str, set[tuple[int, int]]] = {}
        for tid, sid, code, zh, en in conn.execute(select(tp.id, tp.stage_id, tp.code, tp.name_zh, tp.name_en)):
            for name in (code, zh, en):
                self.touchpoint[(sid, key_of(name))] = tid
                self.touchpoint_any.setdefault(key_of(name), set()).add((tid, sid))
        stage_of = {tid: sid for (sid, _k), tid in self.touchpoint.items()}
        self.touchpoint_synonym = {k: (tid, stage_of[tid]) for k, tid in remembered["touchpoint"].items()
                                   if tid in stage_of}

    def _names(self, model) -> dict[str, int]:
        c = model.__table__.c
        out: dict[str, int] = {}
        for rid, code, zh, en in self.conn.execute(select(c.id, c.code, c.name_zh, c.name_en).order_by(c.id)):
            for name in (code, zh, en):
                out.setdefault(key_of(name), rid)
        return out

    def _create(self, what: str, model, value: str, **extra: object) -> int:
        table = model.__table__
        code = _code(value, what[:2])
        taken = set(self.conn.execute(select(table.c.code).where(table.c.code.like(f"{code}%"))).scalars())
        base, n = code, 1
        while code in taken:
            n += 1
            code = f"{base}_{n}"
        rid = int(self.conn.execute(table.insert().values(code=code, name_zh=value, name_en=value, **extra))
                  .inserted_primary_key[0])
        self.created.setdefault(what, []).append(value)
        if what in ("stage", "touchpoint"):
            mark_unmapped(self.conn, what, rid)  # listed on the journey page for an admin to map
        return rid

    def channel_id(self, value: str | None) -> int | None:
        if value is None:
            return None
        k = key_of(value)
        if k not in self.channel:
            self.channel[k] = self._create("channel", Channel, value, kind="survey")
        return self.channel[k]

    def stage_id(self, value: str | None) -> int | None:
        if value is None:
            return None
        k = key_of(value)
        if k not in self.stage:
            pos = self.conn.execute(select(func.coalesce(func.max(JourneyStage.position), -1))).scalar_one() + 1
            self.stage[k] = self._create("stage", JourneyStage, value, position=pos)
        return self.stage[k]

    def touchpoint_ids(self, value: str | None, stage_id: int | None) -> tuple[int | None, int | None]:
        """(touchpoint id, stage id); a touchpoint named without a stage is found by a unique name."""
        if value is None:
            return None, stage_id
        k = key_of(value)
        if (stage_id, k) not in self.touchpoint and k in self.touchpoint_synonym:
            return self.touchpoint_synonym[k]
        if stage_id is not None:
            if (stage_id, k) not in self.touchpoint:
                tid = self._create("touchpoint", Touchpoint, value, stage_id=stage_id)
                self.touchpoint[(stage_id, k)] = tid
                self.touchpoint_any.setdefault(k, set()).add((tid, stage_id))
            return self.touchpoint[(stage_id, k)], stage_id
        found = self.touchpoint_any.get(k, set())
        if len(found) == 1:
            tid, sid = next(iter(found))
            return tid, sid
        if value not in self.unmatched.setdefault("touchpoint", []):
            self.unmatched["touchpoint"].append(value)
        return None, None

    def attribute_id(self, name: str) -> int:
        k = key_of(name)
        if k not in self.attribute:
            self.attribute[k] = self._create("attribute", Attribute, name)
        return self.attribute[k]


def lookup(conn: Connection, table: str, columns: Sequence[str], where: str, values: Sequence[object]
           ) -> list[tuple]:
    """Rows of ``table`` whose ``where`` column is in ``values``: one ``= ANY(array)`` on Postgres, slices of
    ``IN (?, ...)`` on SQLite. Raw driver calls: SQLAlchemy's expanding IN costs more than the lookup here."""
    if not values:
        return []
    cols = ", ".join(columns)
    cur = conn.connection.driver_connection.cursor()
    out: list[tuple] = []
    try:
        if conn.dialect.name == "postgresql":
            cur.execute(f"SELECT {cols} FROM {table} WHERE {where} = ANY(%s)", (list(values),))
            out.extend(cur.fetchall())
        else:
            for lo in range(0, len(values), LOOKUP_SLICE):
                part = list(values[lo:lo + LOOKUP_SLICE])
                cur.execute(f"SELECT {cols} FROM {table} WHERE {where} IN ({','.join('?' * len(part))})", part)
                out.extend(cur.fetchall())
    finally:
        cur.close()
    return [tuple(r) for r in out]


class Customers:
    """Identity -> customer id for one import, with new customers queued per chunk."""

    COLUMNS = ("id", "customer_key", "name", "phone", "email", "phone_hash", "email_hash", "segment", "region",
               "batch_id")

    def __init__(self, conn: Connection, key: bytes, batch_id: int) -> None:
        self.conn, self.key, self.batch_id = conn, key, batch_id
        self.by_key: dict[str, int] = {}
        self.by_phone: dict[str, tuple[int, str | None]] = {}
        self.by_email: dict[str, tuple[int, str | None]] = {}
        self.next = next_id(conn, Customer.__table__)
        self.created = 0

    def _remember(self, cid: int, key: str | None, phone_h: str | None, email_h: str | None) -> None:
        """Cache a customer's identities; the first customer to claim one keeps it."""
        if key:
            self.by_key.setdefault(key, cid)
        if phone_h:
            self.by_phone.setdefault(phone_h, (cid, key))
        if email_h:
            self.by_email.setdefault(email_h, (cid, key))

    def _preload(self, column: str, values: set[str], cache: dict, with_key: bool) -> None:
        todo = [v for v in values if v not in cache]
        for cid, ckey, value in sorted(lookup(self.conn, "customers", ("id", "customer_key", column), column, todo)):
            cache.setdefault(value, (cid, ckey) if with_key else cid)

    def resolve(self, keys: list[str | None], phones: list[str | None], emails: list[str | None],
                names: list[str | None], segments: list[str | None], regions: list[str | None],
                phone_h: list[str | None], email_h: list[str | None]) -> list[int | None]:
        if len(self.by_key) + len(self.by_phone) + len(self.by_email) > CACHE_MAX:
            # Every customer of this import is in the table: forget them and look the next chunk's up
            # again, so a file of a million customers does not hold a million identities.
            self.by_key.clear()
            self.by_phone.clear()
            self.by_email.clear()
        self._preload("customer_key", {k for k in keys if k}, self.by_key, False)
        self._preload("phone_hash", {h for h in phone_h if h}, self.by_phone, True)
        self._preload("email_hash", {h for h in email_h if h}, self.by_email, True)
        out: list[int | None] = []
        new: list[tuple] = []
        for k, ph, em, nm, sg, rg, phh, emh in zip(keys, phones, emails, names, segments, regions, phone_h, email_h,
                                                    strict=True):
            if not (k or phh or emh):
                out.append(None)
                continue
            cid = self.by_key.get(k) if k else None
            for cache, h in ((self.by_phone, phh), (self.by_email, emh)):
                if cid is None and h and h in cache and (not k or cache[h][1] in (None, k)):
                    cid = cache[h][0]
            if cid is None:
                cid = self.next
                self.next += 1
                new.append((cid, k, nm, ph, em, phh, emh, sg, rg, self.batch_id))
            self._remember(cid, k, phh, emh)
            out.append(cid)
        if new:
            bulk_insert(self.conn, Customer.__table__, self.COLUMNS, new)
            self.created += len(new)
        return out
