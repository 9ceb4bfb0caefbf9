"""The start token: the only way into a deployment that has no real administrator yet.

Why not a fixed demo password, or "demo sign-in for loopback requests": ``streamlit run app.py`` listens
on every interface, a password in the code or README is known to everyone, and behind a reverse proxy on
the same host every visitor's request arrives from 127.0.0.1 (Streamlit's own docs say
``st.context.ip_address`` must not be used for security). So, as Jupyter and Jenkins do, each server
process draws a random token when it starts and prints a sign-in link carrying it to its terminal: whoever
can read that terminal (the person who started the app, or an operator reading its log) may try the demo
or set up the first administrator; nobody else can. The token lives only in this process's memory: it is
never stored, and a restart makes a new one.
"""

from __future__ import annotations

import hmac
import secrets
import sys
import threading

QUERY_PARAM = "token"

_TOKEN = secrets.token_urlsafe(24)  # 192 random bits: guessing is hopeless, throttling unnecessary
_announce_lock = threading.Lock()
_announced: list[bool] = []  # non-empty once printed (a module-level flag mutated under the lock)


def start_token() -> str:
    """This process's token (tests and the terminal message use it; nothing else should)."""
    return _TOKEN


def matches(candidate: str | None) -> bool:
    """Whether ``candidate`` is this process's token (constant-time comparison)."""
    return bool(candidate) and hmac.compare_digest(candidate.strip().encode(), _TOKEN.encode())


def sign_in_link(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/?{QUERY_PARAM}={_TOKEN}"


def announce(base_url: str) -> bool:
    """Print the sign-in link to the server's terminal, once per process; True when printed now."""
    with _announce_lock:
        if _announced:
            return False
        _announced.append(True)
    print("\n  CEM Dashboard: no administrator is set up yet. To try the demo or create the first administrator,"
          f"\n  open this link on this machine (valid until the server stops):\n\n    {sign_in_link(base_url)}\n",
          file=sys.stdout, flush=True)
    return True
