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
from streamlit.runtime.scriptrunner import get_script_run_ctx

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


_RUN_VERSION = "_data_version_this_run"  # session key: (url, data version) read in this rerun


def begin_run() -> None:
    """Called by the router at the top of every rerun: from then on the data version is read once per rerun
    instead of once per ``query`` (a read sums the day rollup: ~5 ms of CPU at 1M rows, and a page made 8-10
    calls). A write through the UI calls ``clear``, which forgets it; a page run without the router (a page
    test) reads it at every call, as before."""
    st.session_state[_RUN_VERSION] = None


def _version(url: str) -> str:
    memo = st.session_state.get(_RUN_VERSION, False)
    if memo is False:
        return data_version(engine_for(url))
    if memo is None or memo[0] != url:
        memo = (url, data_version(engine_for(url)))
        st.session_state[_RUN_VERSION] = memo
    return memo[1]


def query(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Cached ``fn(engine, *args, **kwargs)``; every argument must be hashable/picklable."""
    url = current_url()
    version = _version(url)
    return _call(f"{fn.__module__}.{fn.__qualname__}", url, version, args, tuple(sorted(kwargs.items())))  # type: ignore[return-value]


def clear() -> None:
    """Drop cached results (after a write the data version changes anyway; this frees memory) and the data
    version read in this rerun."""
    _call.clear()
    if get_script_run_ctx(suppress_warning=True) is not None and _RUN_VERSION in st.session_state:
        st.session_state[_RUN_VERSION] = None
