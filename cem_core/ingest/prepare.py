"""A validated chunk -> driver-ready lists: everything about a chunk that needs no database.

Pure functions of the chunk and the installation's PII key, kept apart from what needs the database
(ids to resolve, rows to insert) so each side reads on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cem_core.ingest import mapping as mapping_mod
from cem_core.ingest.row_key import content_digests
from cem_core.privacy.hashing import keyed_hashes


@dataclass
class Prepared:
    """A validated chunk as plain lists, ready for the driver."""

    n: int
    lists: dict[str, list[object]]  # field -> values, None for missing
    at_s: list[str]
    day: list[str]
    attrs: list[str]
    phone_h: list[str | None]
    email_h: list[str | None]
    content: list[str]  # the content digest of each row (``row_key``, step 1)
    text: int | None = None  # the ticket of the rows' comments in the import's ``text.backlog.Backlog``


def nullable(values: pd.Series) -> list[object]:
    """A column as Python values with None for every kind of missing (NaN, NA, NaT) - what drivers accept."""
    return values.to_numpy(dtype=object, na_value=None).tolist()


def prepare(d: pd.DataFrame, pii_key: bytes) -> Prepared:
    """The valid rows of a chunk as lists, timestamps as text, identities hashed, content digested."""
    n = len(d)
    lists = {f: nullable(d[f]) for f in d.columns if f != "occurred_at"}
    at = d["occurred_at"]
    at_s = at.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
    attrs = sorted(c for c in d.columns if c.startswith(mapping_mod.ATTRIBUTE))
    return Prepared(n, lists, at_s, at.dt.strftime("%Y-%m-%d").tolist(),
                    attrs, keyed_hashes(pii_key, lists.get("phone_key", [None] * n)),
                    keyed_hashes(pii_key, lists.get("email", [None] * n)),
                    content_digests(d, at_s))
