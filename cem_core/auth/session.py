"""When a signed-in session ends: after an idle period and after an absolute lifetime.

Streamlit keeps ``st.session_state`` per browser tab; the UI stores the sign-in time and the time of
the last interaction there and asks ``expired`` on every run. Times are epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from cem_core.config import get_setting


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: float
    max_seconds: float


def _positive(name: str, default: float) -> float:
    try:
        value = float(get_setting(name))
    except ValueError:
        return default
    return value if value > 0 else default


def policy() -> SessionPolicy:
    """The configured limits (``CEM_SESSION_IDLE_MINUTES``, ``CEM_SESSION_MAX_HOURS``)."""
    return SessionPolicy(idle_seconds=_positive("session_idle_minutes", 60) * 60,
                         max_seconds=_positive("session_max_hours", 12) * 3600)


def expired(*, signed_in_at: float | None, last_seen: float | None, now: float, limits: SessionPolicy) -> bool:
    """True when the session must sign in again; a session without a sign-in time is never valid."""
    if signed_in_at is None:
        return True
    if now - signed_in_at > limits.max_seconds:
        return True
    return last_seen is not None and now - last_seen > limits.idle_seconds
