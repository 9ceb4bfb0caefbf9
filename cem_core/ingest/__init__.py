"""Capture: read messy feedback spreadsheets, map their columns, validate, import atomically, undo.

The modules follow the path of a file: ``read`` (bytes -> raw rows, with caps and bomb checks),
``headers`` (which row names the columns), ``mapping`` (column -> field), ``validate`` (raw text ->
typed values or a translated reason), ``load`` (one transaction per file), ``undo`` and ``history``.
The upload page and ``python -m cem_core import`` both call ``load.check_file`` / ``load.import_file``.
"""
