"""Errors that reach the user: a message key plus values, translated where they are shown."""

from __future__ import annotations

from cem_core.i18n import t


class IngestError(Exception):
    """A file cannot be imported; ``key`` names the translated message, ``values`` fill it in."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **self.values)

    def __str__(self) -> str:
        return self.message("en")

    def __reduce__(self) -> tuple[object, ...]:
        # Crosses from the reading process (``producer``) intact, whatever the subclass's signature.
        return _restore, (type(self), self.key, self.values, self.__dict__)


def _restore(cls: type[IngestError], key: str, values: dict[str, object], state: dict[str, object]) -> IngestError:
    error = cls.__new__(cls)
    Exception.__init__(error, key, values)
    error.__dict__.update(state)
    return error


class ImportFailed(IngestError):
    """The database write failed part-way; the transaction was rolled back and the batch marked failed."""

    def __init__(self, batch_id: int, error: str) -> None:
        super().__init__("ingest.err.failed", batch=batch_id, error=error)
        self.batch_id = batch_id


def unexpected(file_name: str, exc: BaseException) -> IngestError:
    """A failure no check foresaw, as a refusal with a reason: a bad file must never end in a traceback
    (the CLI's JSON report and the page's message are the only answers a user gets)."""
    return IngestError("ingest.err.unexpected", file=file_name, error=f"{type(exc).__name__}: {exc}"[:300])
