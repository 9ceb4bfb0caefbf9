"""An uploaded file, read once while the user looks at it, and forgotten when its import ends.

The upload page reruns on every widget change (a mapping edit, a sheet choice, a template name). Opening
a file costs whole passes over its bytes: the SHA-256 content hash, the strict decoding of a csv or json
file, the decompression and parsing of a workbook (``read.PASSES`` counts them). ``stage`` makes the hash
and the sheet list once per upload and ``StagedFile.tables`` opens the chosen sheets once; every later
rerun reuses them for the preview and the mapping editor.

The check and the import reuse them too (``check_file`` / ``import_file`` take ``tables`` and
``file_hash``) when the tables stream their rows from the bytes (csv): a reader over bytes Streamlit's
uploader holds anyway costs nothing to keep. A workbook or a json file is parsed whole when opened;
keeping every parsed row between reruns would hold several times the file's size per session, so only
its first rows are kept, and the check and the import each parse it once more (``readable`` is None).

What stays in the page's session is bounded by the file's life in the uploader: the page drops a
``StagedFile`` when the import finishes or the file leaves the uploader (or the user leaves the page),
and keeps only ``finished(report)``: counts and messages, no rows, no values, no readers.
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
        """The file's tables for ``sheets`` (None: every sheet), opened once per choice; a parsed-whole
        table keeps only its first rows (enough for the header, the mapping and the preview)."""
        choice = tuple(sheets) if sheets else None
        if self._opened is None or self._opened[0] != choice:
            opened = open_tables(data, self.name, CAPS, sheets)
            self._opened = (choice, [t if t.streamed else dataclasses.replace(t, _chunks=None) for t in opened])
        return self._opened[1]

    def readable(self, data: bytes, sheets: list[str] | None) -> list[RawTable] | None:
        """Tables the check and the import can read rows from without opening the file again, or None."""
        tables = self.tables(data, sheets)
        return tables if all(t.streamed for t in tables) else None


def stage(upload_id: str, data: bytes, name: str) -> StagedFile:
    """Hash the file and list its sheets: the only whole-file passes before a table is opened.
    Raises ``IngestError`` for a workbook that is not one (or a zip bomb)."""
    return StagedFile(upload_id, name, size_of(data), content_hash(data), sheet_names(data, name))


def finished(report: ImportReport) -> ImportReport:
    """What the page may keep of a finished import: counts and messages, no rows, values or readers."""
    return dataclasses.replace(report, plans=[], problems=[], error_rows=[])
