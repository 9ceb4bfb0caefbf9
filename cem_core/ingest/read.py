"""Readers: csv/tsv/txt, xlsx/xlsm, json/jsonl -> raw tables read lazily in chunks of rows.

Everything that can exhaust memory is bounded before it is read: the file size, the number of rows
(counted while streaming) and, for xlsx (a zip of XML), the decompressed size, which is measured by
streaming every member through the decompressor with a running counter, so a zip bomb that lies in
its headers is still stopped after ``max_unzipped`` bytes. XML parts with a DTD (entity-expansion
bombs) are refused, and the workbook part is parsed with defusedxml.

Text is decoded in a fixed order (BOM, strict UTF-8, then line by line: see ``encoding``): an encoding is
accepted only when it decodes the file plausibly, and lines in another encoding are marked so that
validation reports them; nothing garbled is stored. csv cells are read as strings, so leading zeros of
phones and ids and formula-looking text survive.

Shapes are bounded too: at most ``max_columns`` columns, chunks of at most ``CHUNK_CELLS`` cells, JSON at
most ``max_json_bytes`` and ``max_json_depth`` levels deep. Workbooks are parsed in a child process
(``sheets``), where a crash or a memory blow-up of the spreadsheet library becomes a refusal.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import weakref
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from defusedxml import ElementTree as SafeET

from cem_core.ingest import sheets as sheets_mod
from cem_core.ingest.encoding import Decoding, decodes, survey
from cem_core.ingest.errors import IngestError, unexpected

Source = bytes | Path

# An import holds the chunk it writes while it reads the next: 25k rows keeps that under ~100 MB (100k-row
# chunks made an import's peak grow by ~70 MB from one chunk to two, tests/ingest/test_memory_bound.py).
CHUNK_ROWS = 25_000
CHUNK_CELLS = 2_000_000  # a chunk of a very wide file gets fewer rows, so its memory stays bounded
HEAD_ROWS = 200  # rows kept for header detection, column mapping and the preview
BLOCK = 1 << 20
EXCEL_TYPES = (".xlsx", ".xlsm")
TEXT_TYPES = (".csv", ".tsv", ".txt")
JSON_TYPES = (".json", ".jsonl", ".ndjson")
ACCEPTED_TYPES = tuple(s.lstrip(".") for s in EXCEL_TYPES + TEXT_TYPES + JSON_TYPES)
#: Whole-file passes made in this process, by kind ("open", "hash", "decode", "unzip"): what a rerun of
#: the upload page must not repeat (``ingest.staging``); tests and bench/bench_upload_rerun.py read it.
PASSES: Counter[str] = Counter()


@dataclass(frozen=True)
class Caps:
    """Limits on what one file may cost; each has a translated message naming the file."""

    max_bytes: int = 512 * 1024**2
    max_rows: int = 2_000_000
    max_unzipped: int = 1024**3
    max_ratio: int = 500  # declared uncompressed / compressed size of one xlsx member
    max_columns: int = 1_000
    max_cells: int = 4_000_000  # cells of one xlsx sheet: the reader holds them all, the import ~150 B each
    max_json_bytes: int = 32 * 1024**2  # a JSON file is parsed whole (Python objects ~10x its size)
    max_json_depth: int = 64
    reader_memory: int = 1024**3  # address-space limit of the workbook-reading child process


CAPS = Caps()


@dataclass
class RawTable:
    """One csv/json file or one sheet: the first rows in memory, the rest streamed by ``chunks``.

    Rows are lists of cell values with positions 0..width-1; row ``i`` of the table is file row ``i + 1``
    (Excel's numbering), so error reports can point at the cell a user sees.
    """

    file_name: str
    sheet: str | None
    head: list[list[object]]
    width: int
    est_rows: int
    date1904: bool = False
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    keyed: bool = False  # json: the first row holds the keys, never a title row
    text_cells: bool = False  # csv: every cell is a str ('' when blank); xlsx/json: typed values
    streamed: bool = False  # csv: rows stay in the file until ``chunks`` reads them; xlsx/json: parsed whole
    chunk_rows: int = CHUNK_ROWS
    _chunks: Callable[[int, int], Iterator[pd.DataFrame]] | None = None

    def chunks(self, skip: int) -> Iterator[pd.DataFrame]:
        """Frames of at most ``chunk_rows`` rows starting at table row ``skip``; the index is the table row."""
        assert self._chunks is not None
        return self._chunks(skip, self.chunk_rows)

    @property
    def label(self) -> str:
        return f"{self.file_name} [{self.sheet}]" if self.sheet else self.file_name


def _open(src: Source) -> BinaryIO:
    return io.BytesIO(src) if isinstance(src, bytes) else open(src, "rb")


def size_of(src: Source) -> int:
    return len(src) if isinstance(src, bytes) else src.stat().st_size


def content_hash(src: Source) -> str:
    """SHA-256 of the file's bytes, streamed: the identity of "the same file again"."""
    PASSES["hash"] += 1
    digest = hashlib.sha256()
    with _open(src) as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def suffix_of(file_name: str) -> str:
    return Path(file_name).suffix.lower()


def open_tables(src: Source, file_name: str, caps: Caps = CAPS, sheets: list[str] | None = None) -> list[RawTable]:
    """Check the caps and the format, then return the file's tables (one per chosen sheet).

    ``sheets=None`` means every sheet of a workbook. Raises ``IngestError`` with a translated reason, for
    any failure: a hostile file gets an answer, never a traceback (``errors.unexpected``).
    """
    PASSES["open"] += 1
    try:
        return _open_tables(src, file_name, caps, sheets)
    except IngestError:
        raise
    except Exception as exc:
        raise unexpected(file_name, exc) from exc


def _open_tables(src: Source, file_name: str, caps: Caps, sheets: list[str] | None) -> list[RawTable]:
    size = size_of(src)
    if size > caps.max_bytes:
        raise IngestError("ingest.err.too_big", file=file_name, size=_mb(size), limit=_mb(caps.max_bytes))
    if size == 0:
        raise IngestError("ingest.err.empty", file=file_name)
    suffix = suffix_of(file_name)
    with _open(src) as fh:
        magic = fh.read(4)
    if suffix in EXCEL_TYPES:
        if magic != b"PK\x03\x04":
            raise IngestError("ingest.err.not_xlsx", file=file_name)
        return _excel_tables(src, file_name, caps, sheets)
    if magic == b"PK\x03\x04":
        raise IngestError("ingest.err.zip_as_text", file=file_name)
    if suffix in JSON_TYPES:
        return [_json_table(src, file_name, caps)]
    if suffix in TEXT_TYPES or not suffix:
        return [_csv_table(src, file_name, caps)]
    raise IngestError("ingest.err.type", file=file_name, types=", ".join(ACCEPTED_TYPES))


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB"


# ---------------------------------------------------------------- text (csv/tsv)

# The sniffing sample is at most one block, so no field in it is longer; the default (131,072) would make
# a long comment in the first rows a crash instead of a row reported as too long.
csv.field_size_limit(2 * BLOCK)
_BARE_CR = re.compile(r"\r(?!\n)")


def detect_encoding(src: Source, file_name: str) -> str:
    """The encoding the file is read with (see ``decoding``)."""
    return decoding(src, file_name).encoding


def decoding(src: Source, file_name: str) -> Decoding:
    """A BOM decides; else strict UTF-8; else a line-by-line survey (``encoding.survey``); else detection."""
    PASSES["decode"] += 1
    with _open(src) as fh:
        start = fh.read(4)
    if start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif len(start) >= 4 and start[1] == 0 and start[3] == 0:
        candidates = ["utf-16-le"]
    elif len(start) >= 4 and start[0] == 0 and start[2] == 0:
        candidates = ["utf-16-be"]
    else:
        if decodes(lambda: _open(src), "utf-8"):
            return Decoding("utf-8")
        return survey(lambda: _open(src), file_name)
    for enc in candidates:
        if decodes(lambda: _open(src), enc):
            return Decoding(enc)
    guess = _charset_guess(src)
    if guess and decodes(lambda: _open(src), guess):
        return Decoding(guess)
    raise IngestError("ingest.err.encoding", file=file_name)


def _charset_guess(src: Source) -> str | None:
    from charset_normalizer import from_bytes

    with _open(src) as fh:
        best = from_bytes(fh.read(BLOCK)).best()
    return best.encoding if best else None


def detect_delimiter(sample: str, file_name: str) -> str:
    """The candidate that splits the sample's last lines into the most, equally many, fields.

    The last lines are used because a title row above the header has no delimiters.
    """
    if suffix_of(file_name) == ".tsv":
        return "\t"
    lines = [ln for ln in sample.splitlines() if ln.strip()][-30:]
    best, best_score = ",", 0.0
    for cand in (",", ";", "\t", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=cand)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = mode * counts.count(mode) / len(counts) if mode > 1 else 0.0
        if score > best_score:
            best, best_score = cand, score
    return best


def chunk_size(rows: int, width: int) -> int:
    """``rows``, fewer for a wide table: a chunk holds at most ``CHUNK_CELLS`` cells."""
    return max(1, min(rows, CHUNK_CELLS // max(1, width)))


def _check_width(width: int, file_name: str, caps: Caps) -> None:
    if width > caps.max_columns:
        raise IngestError("ingest.err.too_many_columns", file=file_name, columns=f"{width:,}",
                          limit=f"{caps.max_columns:,}")


def _csv_table(src: Source, file_name: str, caps: Caps) -> RawTable:
    dec = decoding(src, file_name)
    if dec.transcoded is not None:  # read the marked UTF-8 copy instead; it goes when the table goes
        src, encoding = dec.transcoded, "utf-8"
    else:
        encoding = dec.encoding
    with _open(src) as fh:
        raw = fh.read(BLOCK)
    sample = raw.decode(encoding, errors="replace")  # only to sniff the layout and show the head
    if len(raw) == BLOCK:
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        sample = sample[: cut + 1] or sample
    sep = detect_delimiter(sample, file_name)
    # Lines end in LF (or CRLF) in nearly every file; then a bare CR is text inside a field (validation turns
    # it into a line break in free text) and the parser splits on LF only. A file without any LF is an old
    # Mac export whose lines end in CR: the parser's default splits on CR, LF and CRLF alike.
    lf = "\n" in sample
    terminator = "\n" if lf else None
    if lf:  # Python's csv refuses a bare CR in an unquoted field; in the head it is only shown
        sample = _BARE_CR.sub(" ", sample)
    rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    _check_width(width, file_name, caps)
    if width == 0 or not any(any(c.strip() for c in r) for r in rows):
        raise IngestError("ingest.err.empty", file=file_name)
    head = [list(r) + [""] * (width - len(r)) for r in rows[:HEAD_ROWS]]
    per_row = max(1.0, len(raw) / max(1, len(rows)))
    est = max(len(rows), int(size_of(src) / per_row))
    errors = "replace" if dec.errors == "replace" else "strict"

    def chunks(skip: int, size: int) -> Iterator[pd.DataFrame]:
        with _open(src) as fh:
            reader = pd.read_csv(fh, sep=sep, encoding=encoding, encoding_errors=errors, header=None,
                                 names=range(width), dtype=str, keep_default_na=False, na_filter=False,
                                 skip_blank_lines=False, skiprows=skip, chunksize=chunk_size(size, width),
                                 engine="c", quoting=csv.QUOTE_MINIMAL, lineterminator=terminator)
            done = skip
            try:
                for frame in reader:
                    frame.index = range(done, done + len(frame))
                    done += len(frame)
                    if done > caps.max_rows:
                        raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
                    yield frame
            except pd.errors.ParserError as exc:
                raise IngestError("ingest.err.parse", file=file_name, error=str(exc)) from exc

    table = RawTable(file_name, None, head, width, est, text_cells=True, streamed=True, _chunks=chunks)
    if dec.transcoded is not None:
        weakref.finalize(table, dec.transcoded.unlink, missing_ok=True)
    return table


# ---------------------------------------------------------------- json / jsonl

def _json_table(src: Source, file_name: str, caps: Caps) -> RawTable:
    size = size_of(src)
    if size > caps.max_json_bytes:
        raise IngestError("ingest.err.json_too_big", file=file_name, size=_mb(size), limit=_mb(caps.max_json_bytes))
    dec = decoding(src, file_name)
    if dec.odd_lines:  # JSON has no rows to report a line on: a mixed encoding refuses the whole file
        if dec.transcoded is not None:
            dec.transcoded.unlink(missing_ok=True)
        raise IngestError("ingest.err.encoding_line", file=file_name, line=dec.first_odd_line)
    with _open(src) as fh:
        text = fh.read().decode(dec.encoding)
    try:
        if suffix_of(file_name) == ".json" and text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            # JSON Lines end in "\n" only: str.splitlines would also split inside strings at U+2028/U+2029,
            # which JSON allows unescaped (common in text pasted from the web).
            records = [json.loads(line) for line in text.split("\n") if line.strip()]
    except json.JSONDecodeError as exc:
        raise IngestError("ingest.err.parse", file=file_name, error=str(exc)) from exc
    except RecursionError as exc:
        raise IngestError("ingest.err.json_depth", file=file_name, limit=caps.max_json_depth) from exc
    del text
    if isinstance(records, dict):
        records = next((v for v in records.values() if isinstance(v, list)), [records])
    if not records or not all(isinstance(r, dict) for r in records):
        raise IngestError("ingest.err.json_shape", file=file_name)
    if len(records) > caps.max_rows:
        raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
    if _too_deep(records, caps.max_json_depth):
        raise IngestError("ingest.err.json_depth", file=file_name, limit=caps.max_json_depth)
    keys = list(dict.fromkeys(k for r in records for k in r))
    _check_width(len(keys), file_name, caps)
    rows: list[list[object]] = [list(keys)]
    rows += [[_json_cell(r.get(k)) for k in keys] for r in records]
    return _rows_table(file_name, None, rows, len(keys), keyed=True)


def _too_deep(records: list[dict], limit: int) -> bool:
    """Is any value nested more than ``limit`` levels? Iterative, so depth itself cannot crash it; only
    nested values are visited (a flat record costs one ``isinstance`` per value)."""
    stack = [(v, 2) for r in records for v in r.values() if isinstance(v, dict | list)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _json_cell(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _rows_table(file_name: str, sheet: str | None, rows: list[list[object]], width: int, *, date1904: bool = False,
                merged: list | None = None, keyed: bool = False) -> RawTable:
    head = [list(r) + [None] * (width - len(r)) for r in rows[:HEAD_ROWS]]

    def chunks(skip: int, size: int) -> Iterator[pd.DataFrame]:
        size = chunk_size(size, width)
        for lo in range(skip, len(rows), size):
            hi = min(lo + size, len(rows))
            frame = pd.DataFrame(rows[lo:hi], columns=range(width), dtype=object)
            frame.index = range(lo, hi)
            yield frame

    return RawTable(file_name, sheet, head, width, len(rows), date1904, merged or [], keyed, _chunks=chunks)


# ---------------------------------------------------------------- xlsx

_WIDE_REF = re.compile(rb'r="([A-Z]{3})[0-9]')  # a cell in column AAA (703) or beyond


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


@dataclass
class _SheetCount:
    """What streaming one sheet's XML saw: rows, cells and the widest column (from its cell references).
    The declared ``<dimension>`` is not trusted: it can claim A1:XFD1048576 for two rows of data."""

    rows: int = 0
    cells: int = 0
    widest: int = 0

    def add(self, block: bytes) -> None:
        self.rows += block.count(b"<row ") + block.count(b"<row>") + block.count(b":row ")
        self.cells += block.count(b"<c ") + block.count(b"<c>") + block.count(b":c ")
        for m in _WIDE_REF.finditer(block):
            self.widest = max(self.widest, _column_number(m.group(1)))

    def check(self, file_name: str, caps: Caps) -> None:
        if self.rows > caps.max_rows:
            raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
        _check_width(self.widest, file_name, caps)
        if self.cells > caps.max_cells:
            raise IngestError("ingest.err.too_many_cells", file=file_name, limit=f"{caps.max_cells:,}")


def _check_zip(src: Source, file_name: str, caps: Caps) -> bool:
    """Refuse zip and XML bombs without holding more than one block in memory; return the 1904 flag.

    Every worksheet is counted as it streams (``_SheetCount``), so an over-long or over-wide sheet is
    refused here, at the first block past a limit, before any parser holds it."""
    PASSES["unzip"] += 1
    try:
        with _open(src) as fh, zipfile.ZipFile(fh) as zf:
            members = zf.infolist()
            declared = sum(m.file_size for m in members)
            if declared > caps.max_unzipped:
                raise IngestError("ingest.err.bomb", file=file_name, limit=_mb(caps.max_unzipped))
            for m in members:
                if m.file_size > 10 * BLOCK and m.file_size > caps.max_ratio * max(1, m.compress_size):
                    raise IngestError("ingest.err.bomb", file=file_name, limit=_mb(caps.max_unzipped))
            total = 0
            for m in members:
                sheet = _SheetCount() if m.filename.startswith("xl/worksheets/") else None
                with zf.open(m) as part:
                    first = True
                    for block in iter(lambda part=part: part.read(BLOCK), b""):
                        total += len(block)
                        if total > caps.max_unzipped:
                            raise IngestError("ingest.err.bomb", file=file_name, limit=_mb(caps.max_unzipped))
                        if first and (b"<!DOCTYPE" in block[:4096] or b"<!ENTITY" in block[:4096]):
                            raise IngestError("ingest.err.xml_dtd", file=file_name, part=m.filename)
                        first = False
                        if sheet is not None:
                            sheet.add(block)
                            sheet.check(file_name, caps)
            if "xl/workbook.xml" not in zf.namelist():
                raise IngestError("ingest.err.not_xlsx", file=file_name)
            root = SafeET.fromstring(zf.read("xl/workbook.xml"))
    except zipfile.BadZipFile as exc:
        raise IngestError("ingest.err.not_xlsx", file=file_name) from exc
    except SafeET.ParseError as exc:
        raise IngestError("ingest.err.not_xlsx", file=file_name) from exc
    pr = next((el for el in root.iter() if el.tag.endswith("}workbookPr") or el.tag == "workbookPr"), None)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def sheet_names(src: Source, file_name: str) -> list[str]:
    """Sheet names of a workbook (for the sheet picker); [] for csv and json. Any failure is an
    ``IngestError``, as in ``open_tables``."""
    if suffix_of(file_name) not in EXCEL_TYPES:
        return []
    try:
        _check_zip(src, file_name, CAPS)
        names = sheets_mod.Workbook(src, file_name, [], HEAD_ROWS, CAPS.reader_memory).names
    except IngestError:
        raise
    except Exception as exc:
        raise unexpected(file_name, exc) from exc
    return names


def _excel_tables(src: Source, file_name: str, caps: Caps, sheets: list[str] | None) -> list[RawTable]:
    date1904 = _check_zip(src, file_name, caps)
    book = sheets_mod.Workbook(src, file_name, sheets, HEAD_ROWS, caps.reader_memory)
    names, infos = book.names, book.infos
    missing = [s for s in (sheets or []) if s not in names]
    if missing:
        raise IngestError("ingest.err.no_sheet", file=file_name, sheet=", ".join(missing))
    tables = []
    for info in infos:
        if info.height > caps.max_rows:
            raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
        _check_width(info.width, file_name, caps)
        if info.width * info.height > caps.max_cells:
            raise IngestError("ingest.err.too_many_cells", file=file_name, limit=f"{caps.max_cells:,}")
        tables.append(_sheet_table(book, info, date1904))
    if not tables:
        raise IngestError("ingest.err.empty", file=file_name)
    return tables


def _sheet_table(book: sheets_mod.Workbook, info: sheets_mod.SheetInfo, date1904: bool) -> RawTable:
    """A sheet whose rows come from the reading child chunk by chunk (``sheets.Workbook.rows``)."""
    width = info.width

    def chunks(skip: int, size: int) -> Iterator[pd.DataFrame]:
        for lo, rows in book.rows(info.name, skip, chunk_size(size, width)):
            frame = pd.DataFrame(rows, columns=range(width), dtype=object)
            frame.index = range(lo, lo + len(rows))
            yield frame

    head = [list(r) + [None] * (width - len(r)) for r in info.head]
    return RawTable(book.file_name, info.name, head, width, info.height, date1904, info.merged, _chunks=chunks)
