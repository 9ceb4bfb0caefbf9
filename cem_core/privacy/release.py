"""What leaves the app: every view of personal data and every download goes through here.

Masked for users without ``unmask_pii``; for users with it, unmasked and audited. A download is
always audited (what, which format, how many rows, masked or not; never the data itself), and its
bytes come from ``cem_core.export``, which defuses spreadsheet formulas.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Engine

from cem_core import audit
from cem_core.auth.roles import User
from cem_core.export import to_bytes
from cem_core.privacy.columns import frame_columns
from cem_core.privacy.masking import mask_frame


def reveal_or_mask(engine: Engine, frame: pd.DataFrame, user: User, *, target: str,
                   columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Masked for users without ``unmask_pii``; for those with it, unmasked and audited (``view_unmasked``)."""
    unmask = user.can("unmask_pii")
    found = frame_columns(frame.columns, columns)
    if unmask and found and len(frame):
        audit.record(engine, user.username, "view_unmasked", target=target, rows=len(frame),
                     detail={"columns": sorted(found)})
    return mask_frame(frame, columns, unmask)


def export_file(engine: Engine, user: User, sheets: Mapping[str, pd.DataFrame], fmt: str, *, target: str,
                columns: Mapping[str, str] | None = None, detail: Mapping[str, object] | None = None) -> bytes:
    """One download (csv: the first sheet; xlsx: every sheet), masked per the user's role, audited.

    ``columns`` is the personal-data map of the frames (``privacy.columns``); text in every other
    column is masked as free text. Build it only when the user clicks (a download button's callable).
    """
    unmask = user.can("unmask_pii")
    masked = {name: mask_frame(frame, columns, unmask) for name, frame in sheets.items()}
    rows = sum(map(len, masked.values())) if fmt == "xlsx" else len(next(iter(masked.values())))
    audit.record(engine, user.username, "export", target=target, rows=rows,
                 detail={**(detail or {}), "format": fmt, "masked": not unmask})
    return to_bytes(masked, fmt)
