"""Send fired alerts to chat bots (WeCom, DingTalk, Feishu/Lark), a generic JSON webhook and email.

Each send is retried with exponential backoff; the outcome of every channel is one ``alert_deliveries``
row and one audit entry. Secrets (bot signing keys, SMTP password) are read from secrets.toml / the
environment by name at send time and never written anywhere: errors keep only the exception's type and
the HTTP status, because a URL or a server's reply may echo a key.

Signatures, as the bots document them:
- DingTalk: sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}"))), sent as the
  ``timestamp`` and ``sign`` query parameters.
- Feishu/Lark: sign = base64(HMAC-SHA256(key=f"{timestamp_s}\\n{secret}", msg=b"")), sent in the JSON body
  as ``timestamp`` and ``sign``.
- WeCom: no signature (the key is part of the webhook URL); body ``{"msgtype": "markdown", ...}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine

from cem_core import audit
from cem_core.alerts.messages import AlertText
from cem_core.config import secret_table
from cem_core.db import write_transaction
from cem_core.db.models import AlertDelivery

_deliveries = AlertDelivery.__table__
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Retry:
    attempts: int = 3
    first_wait_s: float = 0.5  # doubled after each failure


DEFAULT_RETRY = Retry()


class SendFailed(Exception):
    """A send that did not succeed; the message holds no secret (status code or exception type)."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def request_for(channel: dict[str, str], text: AlertText, secret: str | None, now: float) -> tuple[str, dict]:
    """URL and JSON body for one webhook channel (pure: the tests check them against the bots' rules)."""
    kind, url = channel["kind"], channel["url"]
    markdown = f"### {text.title}\n\n{text.body}"
    if kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": markdown}}
    if kind == "dingtalk":
        body = {"msgtype": "markdown", "markdown": {"title": text.title, "text": markdown}}
        if secret:
            ts = int(now * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
        return url, body
    if kind == "feishu":
        body: dict[str, object] = {"msg_type": "text", "content": {"text": f"{text.title}\n{text.body}"}}
        if secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return url, body
    return url, {"title": text.title, "text": text.body, "alert": text.figures}


def post_json(url: str, body: dict) -> None:
    """POST ``body``; a non-2xx status or a bot's non-zero errcode/code is a failure."""
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            reply = resp.read()
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code}") from None
    except OSError as exc:
        raise SendFailed(type(exc).__name__) from None
    try:
        parsed = json.loads(reply or b"{}")
    except ValueError:
        return
    code = parsed.get("errcode", parsed.get("code", 0)) if isinstance(parsed, dict) else 0
    if code not in (0, None):
        raise SendFailed(f"bot error {code}")


def send_email(to: list[str], text: AlertText, smtp: dict[str, str],
               attachment: tuple[str, bytes] | None = None) -> None:
    """Plain-text email over SMTP; ``smtp``: host, port, user, password, tls (starttls | ssl | none), sender.
    ``attachment``: (file name, bytes), e.g. the scheduled executive report."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = text.title, smtp.get("sender", "cem@localhost"), ", ".join(to)
    msg.set_content(text.body)
    if attachment is not None:
        name, data = attachment
        subtype = "pdf" if name.lower().endswith(".pdf") else "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    host, port, mode = smtp.get("host", "127.0.0.1"), int(smtp.get("port", "25")), smtp.get("tls", "starttls")
    try:
        if mode == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_S, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT_S)
        with server:
            if mode == "starttls":
                server.starttls(context=ssl.create_default_context())
            if smtp.get("user"):
                server.login(smtp["user"], smtp.get("password", ""))
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendFailed(type(exc).__name__) from None


def with_retries(send: Callable[[], None], retry: Retry, sleep: Callable[[float], None] = time.sleep
                 ) -> tuple[int, str | None]:
    """Call ``send`` until it succeeds or ``retry.attempts`` are used; (attempts, last error or None)."""
    wait, error = retry.first_wait_s, None
    for attempt in range(1, retry.attempts + 1):
        try:
            send()
            return attempt, None
        except SendFailed as exc:
            error = str(exc)
        if attempt < retry.attempts:
            sleep(wait)
            wait *= 2
    return retry.attempts, error


def deliver(engine: Engine, alert_id: int, channels: tuple[dict[str, str], ...], text: AlertText,
            retry: Retry = DEFAULT_RETRY) -> list[tuple[str, bool]]:
    """Send one alert through each channel; record every outcome. Returns (channel kind, sent) pairs."""
    secrets = secret_table("alert_secrets")
    outcomes = []
    for channel in channels:
        kind = channel["kind"]
        if kind == "email":
            to = [a.strip() for a in str(channel.get("to", "")).split(",") if a.strip()]
            attempts, error = with_retries(lambda to=to: send_email(to, text, secret_table("smtp")), retry)
        else:
            secret = secrets.get(channel["secret"]) if channel.get("secret") else None
            url, body = request_for(channel, text, secret, time.time())
            attempts, error = with_retries(lambda url=url, body=body: post_json(url, body), retry)
        status = "sent" if error is None else "failed"
        with write_transaction(engine) as conn:
            conn.execute(_deliveries.insert().values(alert_id=alert_id, channel=kind, status=status, attempts=attempts,
                                                     error=error, at=dt.datetime.now()))
            audit.record(conn, "alerts", f"alert_{status}", target=f"alert:{alert_id}",
                         detail={"channel": kind, "attempts": attempts, "error": error})
        outcomes.append((kind, error is None))
    return outcomes
