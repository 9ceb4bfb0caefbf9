"""The sign-in gate: sign-in form, one-time setup, SSO, session expiry and sign-out.

``gate(engine)`` is called by ``app.py`` before navigation is built. It returns the signed-in ``User``
or shows the sign-in (or setup) screen as the only page and stops the run, so no page of the app is
reachable, by navigation or typed URL, without signing in. Every run of a password or SSO session
re-reads the user record, so disabling a user or changing their role takes effect at their next click;
a demo session ends at the next click after the first real import or real user.

Until a real administrator exists, the screen offers the setup form and, with demo data, the demo
accounts, both only to someone holding this server's start token (printed to its terminal as a link;
see ``cem_core.auth.start_token``). No password is shown on screen.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import Engine

from cem_core import audit
from cem_core.auth import session
from cem_core.auth.bootstrap import (
    create_first_admin,
    demo_roles,
    demo_signin_open,
    ensure_configured_admin,
    needs_setup,
)
from cem_core.auth.demo_accounts import is_demo_username
from cem_core.auth.roles import User
from cem_core.auth.signin import authenticate, demo_sign_in
from cem_core.auth.sso import user_from_claims
from cem_core.auth.start_token import QUERY_PARAM, announce, matches
from cem_core.auth.users import UserError, get_user
from cem_core.ui.context import T, current_user
from cem_core.ui.nav import PAGES

AUTH_KEYS = ("user", "auth_at", "auth_seen", "auth_method")
TOKEN_KEY = "start_token"  # the start token this browser session proved it holds (kept across sign-outs)


def _sso_signed_in() -> bool:
    """Whether the identity provider's cookie names someone (``st.user`` lacks the flag under AppTest)."""
    return bool(getattr(st.user, "is_logged_in", False))


def _sso_configured() -> bool:
    """SSO is offered when secrets.toml has an ``[auth]`` section (Streamlit's ``st.login`` settings)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _start_session(user: User, method: str) -> None:
    now = time.time()
    st.session_state.update(user=user, auth_at=now, auth_seen=now, auth_method=method)


def end_session(flash: str | None = None) -> None:
    for key in AUTH_KEYS:
        st.session_state.pop(key, None)
    if flash:
        st.session_state["auth_flash"] = flash


def _still_valid(engine: Engine, user: User) -> tuple[User | None, str]:
    """The session's user as the database now describes them, or None and why they may no longer stay."""
    method = st.session_state.get("auth_method")
    if method == "demo":
        return (user, "") if demo_signin_open(engine) else (None, "trust_access.demo_over")
    if method not in ("password", "sso"):
        return user, ""  # set by code (tests); nothing stored to re-check
    record = get_user(engine, username=user.username)
    if record is None:
        return None, "access.account_removed"
    if not record.can_sign_in:
        return None, "access.disabled"
    fresh = record.as_user()
    if fresh != user:
        st.session_state["user"] = fresh
    return fresh, ""


def _signed_in(engine: Engine) -> User | None:
    user = current_user()
    if user is None:
        return None
    now = time.time()
    if session.expired(signed_in_at=st.session_state.get("auth_at"), last_seen=st.session_state.get("auth_seen"),
                       now=now, limits=session.policy()):
        audit.record(engine, user.username, "session_expired", target=user.username)
        end_session("access.expired")
        return None
    fresh, why = _still_valid(engine, user)
    if fresh is None:
        end_session(why)
        return None
    st.session_state["auth_seen"] = now
    return fresh


def _user_panel(engine: Engine, user: User) -> None:
    with st.sidebar:
        role = T(f"access.role.{user.role}")
        name = T("trust_access.demo_name", role=role) if is_demo_username(user.username) else (
            user.display_name or user.username)
        st.caption(T("access.signed_in_as", name=name, role=role))
        if st.button(T("access.signout"), key="signout", icon=":material/logout:"):
            method = st.session_state.get("auth_method")
            audit.record(engine, user.username, "sign_out", target=user.username)
            end_session("access.signed_out")
            if method == "sso":
                st.logout()
            st.rerun()


def _flash() -> None:
    key = st.session_state.pop("auth_flash", None)
    if key:
        (st.success if key == "access.signed_out" else st.warning)(T(key))


def _signin_form(engine: Engine) -> None:
    with st.form("signin", clear_on_submit=True):
        username = st.text_input(T("access.username"), key="signin_user", autocomplete="username")
        password = st.text_input(T("access.password"), type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(T("access.signin_button"), type="primary")
    if not submitted:
        return
    result = authenticate(engine, username=username, password=password)
    if result.user is None:  # the form clears itself on submit
        kwargs = {"seconds": result.wait_seconds} if result.wait_seconds else {}
        st.error(T(result.reason or "access.bad_credentials", **kwargs))
        return
    st.session_state.pop("signin_password", None)  # the form is not drawn again: drop the clear password now
    _start_session(result.user, "password")
    st.rerun()


def _take_link_token() -> None:
    """The terminal's link carries the start token: remember that this session holds it, and take it out
    of the address bar (so it is not bookmarked or shared by accident)."""
    token = st.query_params.get(QUERY_PARAM)
    if token is None:
        return
    del st.query_params[QUERY_PARAM]
    if matches(token):
        st.session_state[TOKEN_KEY] = token


def _announce_link() -> None:
    port = st.get_option("server.port")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    announce(f"http://localhost:{port}/{base}")


def _token_form() -> None:
    """Paste the start token instead of opening the link."""
    st.caption(T("trust_access.token_how"))
    with st.form("start_token_form", clear_on_submit=True):
        token = st.text_input(T("trust_access.token"), type="password", key="start_token_input")
        submitted = st.form_submit_button(T("trust_access.token_button"))
    if not submitted:
        return
    if not matches(token):
        st.error(T("trust_access.bad_token"))
        return
    st.session_state[TOKEN_KEY] = token.strip()
    st.rerun()


def _demo_box(engine: Engine) -> None:
    with st.container(border=True):
        st.markdown(f"**{T('trust_access.demo_title')}**")
        token = st.session_state.get(TOKEN_KEY)
        if not matches(token):
            _token_form()
            return
        st.caption(T("trust_access.demo_pick"))
        for role in demo_roles(engine):
            if st.button(T("trust_access.demo_as", role=T(f"access.role.{role}")), key=f"demo_as_{role}"):
                result = demo_sign_in(engine, token=token, role=role)
                if result.user is None:
                    st.error(T(result.reason or "trust_access.demo_refused"))
                    return
                _start_session(result.user, "demo")
                st.rerun()


def _signin_screen(engine: Engine) -> None:
    st.title(T("access.signin_title"))
    _flash()
    if _sso_configured():
        if _sso_signed_in():
            st.warning(T("access.sso_no_access"))
            if st.button(T("access.signout"), key="sso_signout"):
                st.logout()
        else:
            st.button(T("access.sso_button"), key="sso_login", on_click=st.login, type="primary",
                      icon=":material/key:")
        st.caption(T("access.sso_or"))
    left, right = st.columns([2, 3])
    with left:
        _signin_form(engine)
    if demo_signin_open(engine):
        with right:
            _demo_box(engine)


def _setup_screen(engine: Engine) -> None:
    st.title(T("access.setup_title"))
    _flash()
    left, right = st.columns([2, 3])
    with left:
        _setup_form(engine)
    if demo_signin_open(engine):
        with right:
            _demo_box(engine)


def _setup_form(engine: Engine) -> None:
    st.info(T("access.setup_intro"))
    held = st.session_state.get(TOKEN_KEY)
    with st.form("setup"):
        token = held if matches(held) else st.text_input(T("trust_access.token"), type="password",
                                                          key="setup_token", help=T("trust_access.token_how"))
        username = st.text_input(T("access.username"), key="setup_user")
        display = st.text_input(T("access.display_name"), key="setup_display")
        password = st.text_input(T("access.password"), type="password", key="setup_password")
        repeat = st.text_input(T("access.password_repeat"), type="password", key="setup_repeat")
        submitted = st.form_submit_button(T("access.setup_button"), type="primary")
    if not submitted:
        return
    if password != repeat:
        st.error(T("access.pw_mismatch"))
        return
    try:
        create_first_admin(engine, username=username, password=password, token=token, display_name=display)
    except UserError as err:
        st.error(T(err.key, **err.kwargs))
        return
    for key in ("setup_password", "setup_repeat", "setup_token"):
        st.session_state.pop(key, None)
    result = authenticate(engine, username=username, password=password)
    if result.user is not None:
        _start_session(result.user, "password")
    st.rerun()


def _sso_user(engine: Engine) -> User | None:
    if not _sso_configured() or not _sso_signed_in() or st.session_state.get("sso_refused"):
        return None
    user = user_from_claims(engine, st.user.to_dict())
    st.session_state["sso_refused"] = user is None  # ask (and audit) once per session, not on every rerun
    if user is not None:
        _start_session(user, "sso")
    return user


def gate(engine: Engine) -> User:
    """The signed-in user; otherwise draw the sign-in or setup screen as the only page and stop."""
    user = _signed_in(engine) or _sso_user(engine)
    if user is not None:
        _user_panel(engine, user)
        return user
    _take_link_token()
    ensure_configured_admin(engine)
    setup = needs_setup(engine)
    if setup or demo_signin_open(engine):
        _announce_link()
    screen = (lambda: _setup_screen(engine)) if setup else (lambda: _signin_screen(engine))
    # Every page's address shows the sign-in screen too, so a deep link keeps its address and, once
    # signed in, the router opens that page rather than the start page.
    title = T("access.signin_title")
    pages = [st.Page(screen, title=title, icon=":material/login:", url_path="signin", default=True)]
    pages += [st.Page(screen, title=title, icon=":material/login:", url_path=p.url_path) for p in PAGES]
    st.navigation(pages, position="hidden").run()
    st.stop()
    raise AssertionError("unreachable")  # st.stop ends the run
