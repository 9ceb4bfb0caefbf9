"""An uploaded file, read once while the user looks at it, and forgotten when its import ends.

The upload page reruns on every widget change (a mapping edit, a sheet choice, a template name). Opening
a file costs whole passes over its bytes: the SHA-256 content hash, the strict decoding of a csv or json
file, the decompression and parsing of a workbook (``read.PASSES`` counts them). ``stage`` makes the hash
and the sheet list once per upload and ``StagedFile.tables`` opens the chosen sheets once; every later
rerun, the check and the import reuse them (``check_file`` / ``import_file`` take ``tables`` and
``file_hash``). Only the last sheet choice is kept, so a workbook is held parsed once at most.

What stays in the page's session is bounded by the file's life in the uploader: the page drops a
``StagedFile`` (and with it every reader over the file's bytes) when the import finishes or the file
leaves the uploader, and keeps only ``finished(report)``: counts and messages, no rows, no values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from cem_core.ingest.load import ImportReport
from cem_core.ingest.read import CAPS, RawTable, content_hash, open_tables, sheet_names, size_of


@dataclass
class StagedFile:
    """One upload: its identity and its opened tables for the current sheet choice."""

    upload_id: str  # the uploader's id of this upload (changes when the same file is uploaded again)
    name: str
    size: int
    content_hash: str
    sheets: list[str]  # a workbook's sheet names; [] for csv and json
    _opened: tuple[tuple[str, ...] | None, list[RawTable]] | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """Short, stable widget-key stem for this file."""
        return self.content_hash[:12]

    def tables(self, data: bytes, sheets: list[str] | None) -> list[RawTable]:
        """The file's tables for ``sheets`` (None: every sheet), opened once per choice."""
        choice = tuple(sheets) if sheets else None
        if self._opened is None or self._opened[0] != choice:
            self._opened = (choice, open_tables(data, self.name, CAPS, sheets))
        return self._opened[1]


def stage(upload_id: str, data: bytes, name: str) -> StagedFile:
    """Hash the file and list its sheets: the only whole-file passes before a table is opened.
    Raises ``IngestError`` for a workbook that is not one (or a zip bomb)."""
    return StagedFile(upload_id, name, size_of(data), content_hash(data), sheet_names(data, name))


def finished(report: ImportReport) -> ImportReport:
    """What the page may keep of a finished import: counts and messages, no rows, values or readers."""
    return dataclasses.replace(report, plans=[], problems=[], error_rows=[])
