"""Errors that reach the user: a message key plus values, translated where they are shown.

The import history stores an error the same way (``stored`` / ``stored_message``), so a batch that
failed while someone worked in English reads in Chinese for the next person, and the other way round.
"""

from __future__ import annotations

import json

from cem_core.i18n import t


class IngestError(Exception):
    """A file cannot be imported; ``key`` names the translated message, ``values`` fill it in."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.values)

    def stored(self) -> str:
        """The form kept in ``import_details.error``: JSON of the key and its values (as text)."""
        return json.dumps({"key": self.key, "values": {k: str(v) for k, v in self.values.items()}},
                          ensure_ascii=False)

    def __str__(self) -> str:
        return self.message("en")


class ImportFailed(IngestError):
    """The database write failed part-way; the transaction was rolled back and the batch marked failed."""

    def __init__(self, batch_id: int, error: str) -> None:
        super().__init__("ingest.err.failed", batch=batch_id, error=error)
        self.batch_id = batch_id


def stored_message(stored: object, lang: str) -> str | None:
    """An error kept by ``IngestError.stored``, in ``lang``. Text that is not in that form (written by an
    older version, if migration 0013 could not read it) is shown as it is; no error (None, or pandas'
    NaN for a batch without details) gives None."""
    if not isinstance(stored, str) or not stored:
        return None
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return stored
    return t(data["key"], lang, **(data.get("values") or {}))
def unexpected(file_name: str, exc: BaseException) -> IngestError:
    """A failure no check foresaw, as a refusal with a reason: a bad file must never end in a traceback
    (the CLI's JSON report and the page's message are the only answers a user gets)."""
    return IngestError("ingest.err.unexpected", file=file_name, error=f"{type(exc).__name__}: {exc}"[:300])
