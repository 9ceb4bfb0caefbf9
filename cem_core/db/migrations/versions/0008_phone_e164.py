"""Phones matched in E.164: re-hash stored customers' phones and merge the customers that now match.

Before, ``+8613812345678`` and ``13812345678`` hashed differently, so one person imported from two
files became two customers. Imports now hash the canonical E.164 form (``phones.canonical_phone``);
this migration brings stored customers in line: every customer that has a phone hash gets the hash of
its stored phone's canonical form, and customers that now share a hash are merged the way an import
would have matched them (``ingest.resolve.Customers``): into the first customer (lowest id) with that
phone, except a customer with its own customer id, which stays a separate person (two people may share
a phone). Every response and every other row that points at a merged customer is re-pointed to the one
it merged into, so no response is lost; the survivor's blank name, email and segment are filled in from
the merged ones. Customers without a phone hash (demo data) are left as they are. No rollup counts
customers, so no rollup changes.

The hash key is the installation's (setting ``pii_hash_key``, else ``app_settings``); a database that
has none has never hashed a phone. Downgrade keeps the merge (it cannot be undone) and the new hashes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from cem_core.config import get_setting
from cem_core.privacy.hashing import key_file
from cem_core.privacy.phones import canonical_phone, default_region

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FILL = ("name", "email", "email_hash", "segment", "region")


def _hash_key(conn: sa.Connection) -> bytes | None:
    """The key the stored hashes were made with: the setting, else the key file outside the database
    (migration 0007's home for a generated key), else where releases before 0007 kept it."""
    configured = get_setting("pii_hash_key")
    if configured:
        return configured.encode()
    path = key_file(conn.engine)
    if path.exists():
        return path.read_text(encoding="ascii").strip().encode()
    stored = conn.execute(sa.text("SELECT value FROM app_settings WHERE key = 'pii_hash_key'")).scalar()
    return stored.encode() if stored else None


def _references(conn: sa.Connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to customers.id, whichever migrations added them."""
    inspector = sa.inspect(conn)
    out = []
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "customers" and fk["referred_columns"] == ["id"]:
                out.extend((table, col) for col in fk["constrained_columns"])
    return out


def upgrade() -> None:
    conn = op.get_bind()
    key = _hash_key(conn)
    if key is None:
        return
    region = default_region()
    cols = ", ".join(("id", "customer_key", "phone", "phone_hash", *_FILL))
    rows = conn.execute(sa.text(f"SELECT {cols} FROM customers WHERE phone_hash IS NOT NULL ORDER BY id")).all()
    rehash: list[dict[str, object]] = []
    groups: dict[str, list] = {}
    for row in rows:
        canonical = canonical_phone(row.phone, region) if row.phone else None
        new = hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest() if canonical else row.phone_hash
        if new != row.phone_hash:
            rehash.append({"id": row.id, "h": new})
        groups.setdefault(new, []).append(row)
    if rehash:
        conn.execute(sa.text("UPDATE customers SET phone_hash = :h WHERE id = :id"), rehash)
    moves: list[dict[str, int]] = []  # merged customer -> survivor
    fills: list[dict[str, object]] = []
    for members in groups.values():
        survivor, rest = members[0], [m for m in members[1:] if m.customer_key is None]
        if not rest:
            continue
        moves.extend({"old": m.id, "new": survivor.id} for m in rest)
        filled = {f: getattr(survivor, f) or next((getattr(m, f) for m in rest if getattr(m, f)), None)
                  for f in _FILL}
        if any(filled[f] != getattr(survivor, f) for f in _FILL):
            fills.append({"id": survivor.id, **filled})
    if not moves:
        return
    for table, column in _references(conn):
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"), moves)
    conn.execute(sa.text("DELETE FROM customers WHERE id = :old"), moves)
    if fills:
        sets = ", ".join(f"{f} = :{f}" for f in _FILL)
        conn.execute(sa.text(f"UPDATE customers SET {sets} WHERE id = :id"), fills)


def downgrade() -> None:
    pass  # merged customers cannot be split again; the E.164 hashes stay valid for matching
