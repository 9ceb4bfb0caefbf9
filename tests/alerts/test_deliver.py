"""Alert delivery: each bot's payload and signature as received by a local HTTP server on 127.0.0.1, email
through a local aiosmtpd server, retries after a 500, and a down endpoint that leaves the import done."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from cem_core.alerts.deliver import Retry, SendFailed, deliver, with_retries
from cem_core.alerts.messages import alert_text
from cem_core.alerts.rules import Rule, save_rule
from cem_core.alerts.run import run_alerts
from cem_core.db.models import Alert, AlertDelivery, AuditEntry
from cem_core.ingest.load import import_file
from tests.alerts_data import AS_OF, WINDOW, load_planted
from tests.fixtures.ingest_files import HEADER_ZH, write_csv
from tests.local_servers import Inbox, free_port

SECRET = "SEC-test-secret-0123"
FAST = Retry(attempts=3, first_wait_s=0.01)
ALERT = {"id": 1, "measure": "nps", "dimension": "touchpoint", "dim_key": "7", "current": -10.0, "previous": 50.0,
         "n_current": 200, "n_previous": 200, "p_value": 1.2e-9, "date_from": "2025-03-17", "date_to": "2025-04-13"}


class Bot:
    """A local HTTP server recording each POST; answers 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[str, dict]] = []
        self.fail_first = fail_first
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                bot.received.append((self.path, body))
                status = 500 if len(bot.received) <= bot.fail_first else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b'{"errcode": 0}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bot() -> Iterator[Bot]:
    b = Bot()
    yield b
    b.close()


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_ALERT_SECRETS_BOT", SECRET)


def _text():
    return alert_text(ALERT, "Front desk", "en")


def test_wecom_payload(engine, bot):
    outcome = deliver(engine, _seed_alert(engine), ({"kind": "wecom", "url": bot.url},), _text(), FAST)
    assert outcome == [("wecom", True)]
    (_, body), = bot.received
    assert body["msgtype"] == "markdown" and "-10.0" in body["markdown"]["content"]
    assert "p = 1.2e-09" in body["markdown"]["content"]


def test_dingtalk_signature(engine, bot, secrets_env):
    deliver(engine, _seed_alert(engine), ({"kind": "dingtalk", "url": bot.url, "secret": "bot"},), _text(), FAST)
    (path, body), = bot.received
    query = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected and len(ts) == 13  # milliseconds
    assert body["msgtype"] == "markdown" and body["markdown"]["title"].startswith("NPS")


def test_feishu_signature(engine, bot, secrets_env):
    deliver(engine, _seed_alert(engine), ({"kind": "feishu", "url": bot.url, "secret": "bot"},), _text(), FAST)
    (_, body), = bot.received
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and "Front desk" in body["content"]["text"]


def test_generic_webhook_carries_figures_only(engine, bot):
    deliver(engine, _seed_alert(engine), ({"kind": "webhook", "url": bot.url},), _text(), FAST)
    (_, body), = bot.received
    assert body["alert"]["current"] == -10.0 and body["alert"]["n_current"] == 200
    assert set(body["alert"]) == {*ALERT, "where"}


def test_retries_after_500_then_sent(engine):
    bot = Bot(fail_first=2)
    try:
        outcome = deliver(engine, _seed_alert(engine), ({"kind": "webhook", "url": bot.url},), _text(), FAST)
    finally:
        bot.close()
    assert outcome == [("webhook", True)] and len(bot.received) == 3
    with engine.connect() as conn:
        assert conn.execute(select(AlertDelivery.status, AlertDelivery.attempts)).one() == ("sent", 3)


def test_backoff_doubles():
    waits: list[float] = []

    def fail() -> None:
        raise SendFailed("HTTP 500")

    assert with_retries(fail, Retry(attempts=4, first_wait_s=0.5), waits.append) == (4, "HTTP 500")
    assert waits == [0.5, 1.0, 2.0]


def test_email_to_local_smtp(engine, monkeypatch):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setenv("CEM_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CEM_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("CEM_SMTP_TLS", "none")
        monkeypatch.setenv("CEM_SMTP_SENDER", "cem@example.test")
        outcome = deliver(engine, _seed_alert(engine), ({"kind": "email", "to": "exec@example.test"},), _text(), FAST)
    finally:
        controller.stop()
    assert outcome == [("email", True)]
    (msg,) = handler.messages
    assert msg["To"] == "exec@example.test" and "-10.0" in msg.get_payload()


def test_down_endpoint_fails_visibly_without_leaking_the_secret(engine, secrets_env):
    url = f"http://127.0.0.1:{free_port()}/hook?access_token=TOKEN123"
    outcome = deliver(engine, _seed_alert(engine), ({"kind": "dingtalk", "url": url, "secret": "bot"},), _text(), FAST)
    assert outcome == [("dingtalk", False)]
    with engine.connect() as conn:
        status, attempts, error = conn.execute(select(AlertDelivery.status, AlertDelivery.attempts,
                                                      AlertDelivery.error)).one()
        audit_rows = [d for (d,) in conn.execute(select(AuditEntry.detail).where(AuditEntry.action == "alert_failed"))]
    assert (status, attempts) == ("failed", 3) and error
    assert audit_rows and all(SECRET not in d and "TOKEN123" not in d for d in audit_rows)
    assert SECRET not in error and "TOKEN123" not in error


def test_planted_drop_delivered_once(engine, bot):
    load_planted(engine)
    save_rule(engine, Rule("tp", dimension="touchpoint", window_days=WINDOW,
                           channels=({"kind": "webhook", "url": bot.url},)), "admin")
    assert len(run_alerts(engine, AS_OF, "zh", FAST)) == 1
    assert run_alerts(engine, AS_OF, "zh", FAST) == []
    assert len(bot.received) == 1 and "显著下降" in bot.received[0][1]["title"]


def test_down_endpoint_does_not_break_the_import(engine, tmp_path: Path):
    save_rule(engine, Rule("all", window_days=1, min_n=30,
                           channels=({"kind": "webhook", "url": f"http://127.0.0.1:{free_port()}/x"},)), "admin")
    good = [["2024-03-05 10:00", "10", "5", "", "", "上海", "微信小程序", "5"]] * 40
    bad = [["2024-03-06 10:00", "2", "1", "", "", "上海", "微信小程序", "1"]] * 40
    first = import_file(engine, write_csv(tmp_path / "a.csv", HEADER_ZH, _unique(good, "a")), user="u")
    second = import_file(engine, write_csv(tmp_path / "b.csv", HEADER_ZH, _unique(bad, "b")), user="u")
    assert first.status == second.status == "done" and second.rows_imported == 40
    with engine.connect() as conn:
        assert conn.execute(select(AlertDelivery.status)).scalars().all() == ["failed"]


def _unique(rows: list[list[str]], tag: str) -> list[list[str]]:
    return [[*r[:3], f"{tag}{i}", *r[4:]] for i, r in enumerate(rows)]


def _seed_alert(engine) -> int:
    """One rule and one alert row for the delivery log's foreign key."""
    rule_id = save_rule(engine, Rule("seed"), "admin")
    with engine.begin() as conn:
        return conn.execute(Alert.__table__.insert().values(
            rule_id=rule_id, finding_key="seed", created_at=dt.datetime.now(), measure="nps", dimension="overall",
            dim_key=None, date_from=dt.date(2025, 3, 17), date_to=dt.date(2025, 4, 13), current=-10.0, previous=50.0,
            n_current=200, n_previous=200, p_value=1e-9)).inserted_primary_key[0]
