"""The one map of personal-data columns: which column holds which kind of personal data.

Kinds: ``name``, ``phone``, ``email``, ``id`` (a customer's own identifier) and ``text`` (free text a
customer wrote, where phones and emails typed into it are personal data). The map is keyed by the import
field names, which are also the stored column names (``customers.name/phone/email/customer_key``,
``responses.comment``), plus ``customer``, the customer's name as the drill-down labels it. Every reader
of personal data (upload preview, error list and workbook, drill-down, deletion preview, exports) takes
its columns from here: ``frame_columns`` for frames built from the database, ``file_columns`` for an
uploaded file whose headers the user mapped to fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

KINDS = ("name", "phone", "email", "id", "text")

#: Field / stored column name -> kind of personal data.
PERSONAL_DATA: dict[str, str] = {
    "name": "name", "customer": "name", "phone": "phone", "email": "email", "customer_key": "id", "comment": "text",
}

#: For frames that carry no personal column by construction (aggregates): only free text is checked.
NONE: dict[str, str] = {}


def frame_columns(columns: Iterable[object], rule: Mapping[str, str] | None = None) -> dict[str, str]:
    """The personal-data columns among ``columns``: by name from ``PERSONAL_DATA`` unless ``rule`` says."""
    rule = PERSONAL_DATA if rule is None else rule
    return {c: rule[c] for c in columns if isinstance(c, str) and c in rule}


def file_columns(mapping: Mapping[str, str]) -> dict[str, str]:
    """An uploaded file's headers -> kind, from the user's mapping (header -> field). Every other column,
    ignored or not, is treated as free text: a file is the user's, anything may be typed anywhere."""
    return {header: PERSONAL_DATA.get(field, "text") for header, field in mapping.items()}
