"""Caching of domain calls, keyed by everything that changes their answer.

``query(fn, *args)`` runs ``fn(engine, *args)`` once per (function, database URL, data version,
arguments). The data version changes with every import, undo or demo change, so caches never serve
stale figures; role-dependent inputs (department scope in ``Filters``, an ``unmask`` flag) are
arguments and hence part of the key, as ``st.cache_data`` is shared by all users.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cem_core.analyze.queries import data_version
from cem_core.config import database_url
from cem_core.db import get_engine, migrate, read_only_url
from cem_core.faults import classify
from cem_core.ingest.lease import settle_on_start
from cem_core.privacy.hashing import PiiKeyError, hash_key

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _migrated(url: str) -> Engine:
    engine = get_engine(url)
    migrate(engine)
    settle_on_start(engine)
    return engine


def engine_for(url: str) -> Engine:
    """The process-wide engine for ``url``, with the schema brought up to date and imports whose process
    died marked interrupted, once per process (the imports page settles again on every view).

    A SQLite database in a directory that cannot be written cannot even be opened normally (SQLite must
    create its -shm file there): then it is read as immutable (``db.read_only_url``) so pages still show
    the data, and the app's read-only notice says why nothing can be saved. Each call tries the normal
    way first, so fixing the directory is enough; no restart needed."""
    try:
        return _migrated(url)
    except SQLAlchemyError as exc:
        fault = classify(exc, url)
        if fault is None or fault.kind != "read_only_dir":
            raise
        return get_engine(read_only_url(url))


def current_url() -> str:
    return database_url()


_KEY_CHECKED: set[str] = set()  # database URLs whose PII hash key matched in this process


def engine() -> Engine:
    """The engine; the app stops with a translated message while the PII hash key is not the one the stored
    hashes were made with (checked until it passes once, so the app recovers when the key is restored)."""
    url = current_url()
    eng = engine_for(url)
    if url not in _KEY_CHECKED:
        try:
            hash_key(eng)
        except PiiKeyError as exc:
            st.error(exc.message())
            st.stop()
        _KEY_CHECKED.add(url)
    return eng


_DONE_ONCE: set[tuple[str, str]] = set()  # (database URL, function) pairs ``once`` has run in this process


def once(fn: Callable[[Engine], object]) -> None:
    """Run ``fn(engine)`` once per process and database: a view's warm-up (``journey.story.warm_up``), called
    after the page is drawn, so a first-use cost (statement compilation, pandas' and regexes' first use) is paid
    before the user's first action on it rather than during it."""
    key = (current_url(), f"{fn.__module__}.{fn.__qualname__}")
    if key not in _DONE_ONCE:
        fn(engine())
        _DONE_ONCE.add(key)


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _call(func_path: str, url: str, version: str, args: tuple, kwargs: tuple) -> object:
    module, name = func_path.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    return fn(engine_for(url), *args, **dict(kwargs))


def query(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Cached ``fn(engine, *args, **kwargs)``; every argument must be hashable/picklable."""
    url = current_url()
    version = data_version(engine_for(url))
    return _call(f"{fn.__module__}.{fn.__qualname__}", url, version, args, tuple(sorted(kwargs.items())))  # type: ignore[return-value]


def clear() -> None:
    """Drop cached results (after a write the data version changes anyway; this frees memory)."""
    _call.clear()
