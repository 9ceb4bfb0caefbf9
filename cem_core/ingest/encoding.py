"""Which text encoding a file is in, judged line by line so that a few odd lines cannot garble the rest.

Order: a BOM (UTF-8 / UTF-16) decides; else the whole file decoding as strict UTF-8 decides; else every
line that is not plain ASCII is tried as UTF-8. GB18030 decodes almost any byte string, so "it decoded"
proves nothing: a UTF-8 file with one stray byte, or a file with a few UTF-8 lines pasted into GBK ones,
would come out as mojibake (``鏈嶅姟寰堝ソ``) with no row reported. Instead the majority of the non-ASCII
lines names the encoding, and the minority lines are *marked*: their non-ASCII characters become U+FFFD,
so validation reports exactly those cells (``ingest.reason.encoding``) and nothing garbled is stored.

- mostly UTF-8: decoded as UTF-8 with ``errors="replace"`` (the bad bytes become U+FFFD);
- mostly GB18030 with some lines that are valid UTF-8: transcoded line by line into a temporary UTF-8
  file (``Decoding.transcoded``), those lines with their non-ASCII characters replaced by U+FFFD;
- neither (a line that is invalid in both): charset detection, else a refusal naming the first bad line.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cem_core.ingest.errors import IngestError

BLOCK = 1 << 22
Opener = Callable[[], BinaryIO]  # opens the file afresh (it is read more than once)
MARK = "\ufffd"  # what an undecodable or foreign character becomes; validation reports cells holding it


@dataclass(frozen=True)
class Decoding:
    """How to decode a text file: ``errors`` is "strict" for a clean file, "replace" for a marked one;
    ``transcoded`` is a temporary UTF-8 copy to read instead of the file (the caller deletes it)."""

    encoding: str
    errors: str = "strict"
    odd_lines: int = 0
    first_odd_line: int | None = None
    transcoded: Path | None = None


def decodes(open_src: Opener, encoding: str) -> bool:
    """Does the whole file decode strictly? Streamed in blocks (an incremental decoder keeps state)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open_src() as fh:
            for block in iter(lambda: fh.read(BLOCK), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _lines(fh: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its end) for every line; CR, LF and CRLF all end a line."""
    number, rest = 0, b""
    for block in iter(lambda: fh.read(BLOCK), b""):
        parts = (rest + block).splitlines()
        rest = parts.pop() if parts and not (block.endswith(b"\n") or block.endswith(b"\r")) else b""
        for line in parts:
            number += 1
            yield number, line
    if rest:
        yield number + 1, rest


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _gb18030(line: bytes) -> bool:
    try:
        line.decode("gb18030")
        return True
    except UnicodeDecodeError:
        return False


def survey(open_src: Opener, file_name: str) -> Decoding:
    """Decide the decoding of a file that is not strict UTF-8 and has no BOM (see the module docstring)."""
    utf8_lines = other_lines = 0
    first_utf8 = first_other = first_neither = None
    with open_src() as fh:
        for number, line in _lines(fh):
            if line.isascii():
                continue
            if _utf8(line):
                utf8_lines += 1
                first_utf8 = first_utf8 or number
            else:
                other_lines += 1
                first_other = first_other or number
                if first_neither is None and not _gb18030(line):
                    first_neither = number
    if utf8_lines >= other_lines:
        return Decoding("utf-8", "replace", other_lines, first_other)
    if first_neither is not None:
        raise IngestError("ingest.err.encoding_line", file=file_name, line=first_neither)
    if utf8_lines == 0:
        return Decoding("gb18030")
    return Decoding("gb18030", "strict", utf8_lines, first_utf8, _transcode(open_src))


def _transcode(open_src: Opener) -> Path:
    """A UTF-8 copy of a GB18030 file whose valid-UTF-8 lines are marked (non-ASCII -> U+FFFD)."""
    fd, name = tempfile.mkstemp(prefix="cem-transcoded-", suffix=".csv")
    with os.fdopen(fd, "wb") as out, open_src() as fh:
        for _number, line in _lines(fh):
            if line.isascii():
                text = line.decode("ascii")
            elif _utf8(line):
                text = "".join(ch if ch.isascii() else MARK for ch in line.decode("utf-8"))
            else:
                text = line.decode("gb18030")
            out.write(text.encode("utf-8") + b"\n")
    return Path(name)
