"""Readers: csv/tsv/txt, xlsx/xlsm, json/jsonl -> raw tables read lazily in chunks of rows.

Everything that can exhaust memory is bounded before it is read: the file size, the number of rows
(counted while streaming) and, for xlsx (a zip of XML), the decompressed size, which is measured by
streaming every member through the decompressor with a running counter, so a zip bomb that lies in
its headers is still stopped after ``max_unzipped`` bytes. XML parts with a DTD (entity-expansion
bombs) are refused, and the workbook part is parsed with defusedxml.

Text is decoded in a fixed order (BOM, strict UTF-8, strict GB18030, then charset detection) and never
with replacement characters, because a silently mangled GBK comment is worse than a clear refusal.
csv cells are read as strings, so leading zeros of phones and ids and formula-looking text survive.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from defusedxml import ElementTree as SafeET

from cem_core.ingest.errors import IngestError

Source = bytes | Path

CHUNK_ROWS = 100_000
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

    ``sheets=None`` means every sheet of a workbook. Raises ``IngestError`` with a translated reason.
    """
    PASSES["open"] += 1
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


def sheet_names(src: Source, file_name: str) -> list[str]:
    """Sheet names of a workbook (for the sheet picker); [] for csv and json."""
    if suffix_of(file_name) not in EXCEL_TYPES:
        return []
    from python_calamine import CalamineWorkbook

    _check_zip(src, file_name, CAPS)
    with _open(src) as fh:
        return list(CalamineWorkbook.from_filelike(fh).sheet_names)


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.1f} MB"


# ---------------------------------------------------------------- text (csv/tsv)

def detect_encoding(src: Source, file_name: str) -> str:
    """The first of utf-8-sig / utf-16 (by BOM), utf-8, gb18030 that decodes the whole file strictly."""
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
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        if _decodes(src, enc):
            return enc
    guess = _charset_guess(src)
    if guess and _decodes(src, guess):
        return guess
    raise IngestError("ingest.err.encoding", file=file_name)


def _decodes(src: Source, encoding: str) -> bool:
    PASSES["decode"] += 1
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with _open(src) as fh:
            for block in iter(lambda: fh.read(4 * BLOCK), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


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


def _csv_table(src: Source, file_name: str, caps: Caps) -> RawTable:
    encoding = detect_encoding(src, file_name)
    with _open(src) as fh:
        raw = fh.read(BLOCK)
    sample = raw.decode(encoding, errors="ignore")  # only to sniff the layout; the data is decoded strictly
    if len(raw) == BLOCK:
        sample = sample[: sample.rfind("\n") + 1] or sample
    sep = detect_delimiter(sample, file_name)
    rows = list(csv.reader(io.StringIO(sample), delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    if width == 0 or not any(any(c.strip() for c in r) for r in rows):
        raise IngestError("ingest.err.empty", file=file_name)
    head = [list(r) + [""] * (width - len(r)) for r in rows[:HEAD_ROWS]]
    per_row = max(1.0, len(raw) / max(1, len(rows)))
    est = max(len(rows), int(size_of(src) / per_row))

    def chunks(skip: int, size: int) -> Iterator[pd.DataFrame]:
        with _open(src) as fh:
            reader = pd.read_csv(fh, sep=sep, encoding=encoding, header=None, names=range(width), dtype=str,
                                 keep_default_na=False, na_filter=False, skip_blank_lines=False, skiprows=skip,
                                 chunksize=size, engine="c", quoting=csv.QUOTE_MINIMAL)
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

    return RawTable(file_name, None, head, width, est, text_cells=True, streamed=True, _chunks=chunks)


# ---------------------------------------------------------------- json / jsonl

def _json_table(src: Source, file_name: str, caps: Caps) -> RawTable:
    encoding = detect_encoding(src, file_name)
    with _open(src) as fh:
        text = fh.read().decode(encoding)
    try:
        if suffix_of(file_name) == ".json" and text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise IngestError("ingest.err.parse", file=file_name, error=str(exc)) from exc
    if isinstance(records, dict):
        records = next((v for v in records.values() if isinstance(v, list)), [records])
    if not records or not all(isinstance(r, dict) for r in records):
        raise IngestError("ingest.err.json_shape", file=file_name)
    if len(records) > caps.max_rows:
        raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
    keys = list(dict.fromkeys(k for r in records for k in r))
    rows: list[list[object]] = [list(keys)]
    rows += [[_json_cell(r.get(k)) for k in keys] for r in records]
    return _rows_table(file_name, None, rows, len(keys), keyed=True)


def _json_cell(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _rows_table(file_name: str, sheet: str | None, rows: list[list[object]], width: int, *, date1904: bool = False,
                merged: list | None = None, keyed: bool = False) -> RawTable:
    head = [list(r) + [None] * (width - len(r)) for r in rows[:HEAD_ROWS]]

    def chunks(skip: int, size: int) -> Iterator[pd.DataFrame]:
        for lo in range(skip, len(rows), size):
            hi = min(lo + size, len(rows))
            frame = pd.DataFrame(rows[lo:hi], columns=range(width), dtype=object)
            frame.index = range(lo, hi)
            yield frame

    return RawTable(file_name, sheet, head, width, len(rows), date1904, merged or [], keyed, _chunks=chunks)


# ---------------------------------------------------------------- xlsx

def _check_zip(src: Source, file_name: str, caps: Caps) -> bool:
    """Refuse zip and XML bombs without holding more than one block in memory; return the 1904 flag."""
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
                with zf.open(m) as part:
                    first = True
                    for block in iter(lambda part=part: part.read(BLOCK), b""):
                        total += len(block)
                        if total > caps.max_unzipped:
                            raise IngestError("ingest.err.bomb", file=file_name, limit=_mb(caps.max_unzipped))
                        if first and (b"<!DOCTYPE" in block[:4096] or b"<!ENTITY" in block[:4096]):
                            raise IngestError("ingest.err.xml_dtd", file=file_name, part=m.filename)
                        first = False
            if "xl/workbook.xml" not in zf.namelist():
                raise IngestError("ingest.err.not_xlsx", file=file_name)
            root = SafeET.fromstring(zf.read("xl/workbook.xml"))
    except zipfile.BadZipFile as exc:
        raise IngestError("ingest.err.not_xlsx", file=file_name) from exc
    except SafeET.ParseError as exc:
        raise IngestError("ingest.err.not_xlsx", file=file_name) from exc
    pr = next((el for el in root.iter() if el.tag.endswith("}workbookPr") or el.tag == "workbookPr"), None)
    return pr is not None and pr.get("date1904", "0").lower() in ("1", "true")


def _excel_tables(src: Source, file_name: str, caps: Caps, sheets: list[str] | None) -> list[RawTable]:
    from python_calamine import CalamineError, CalamineWorkbook

    date1904 = _check_zip(src, file_name, caps)
    tables = []
    try:
        with _open(src) as fh:
            wb = CalamineWorkbook.from_filelike(fh)
            names = list(wb.sheet_names)
            chosen = names if not sheets else [s for s in sheets if s in names]
            missing = [s for s in (sheets or []) if s not in names]
            if missing:
                raise IngestError("ingest.err.no_sheet", file=file_name, sheet=", ".join(missing))
            for name in chosen:
                sheet = wb.get_sheet_by_name(name)
                if sheet.total_height > caps.max_rows:
                    raise IngestError("ingest.err.too_many_rows", file=file_name, limit=f"{caps.max_rows:,}")
                rows = sheet.to_python(skip_empty_area=False)
                width = max((len(r) for r in rows), default=0)
                if width == 0 or not any(any(c not in ("", None) for c in r) for r in rows):
                    continue
                tables.append(_rows_table(file_name, name, rows, width, date1904=date1904,
                                          merged=list(sheet.merged_cell_ranges or [])))
    except CalamineError as exc:
        raise IngestError("ingest.err.parse", file=file_name, error=str(exc)) from exc
    if not tables:
        raise IngestError("ingest.err.empty", file=file_name)
    return tables
