"""Executive report: the PDF's text shows the same NPS, CSAT, CES and n as ``stats --json`` in zh and en,
the CSAT and CES CIs of the rows, the NPS, CSAT and CES trends and NPS by stage and channel as vector
charts, Chinese extracts as Chinese (font embedded), the xlsx's numbers are numbers equal to the
overview's, and a department lead's report covers their departments only."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import Engine, and_, case, create_engine, func, select
from sqlalchemy import text as sql

from cem_core.analyze.overview import build_overview
from cem_core.analyze.queries import Filters
from cem_core.analyze.stats import mean_ci, proportion_ci
from cem_core.auth.roles import User
from cem_core.cli import main
from cem_core.db import make_engine, migrate, write_transaction
from cem_core.db.models import Response
from cem_core.demo.generator import load_demo
from cem_core.i18n import t
from cem_core.reference import DEPARTMENTS
from cem_core.reports.download import report_bytes
from cem_core.reports.executive import build_report
from cem_core.reports.pdf import to_pdf
from cem_core.reports.xlsx import to_xlsx
from cem_core.text.store import add_batch as add_text_batch
from tests.analysis_data import load_rows
from tests.local_servers import Inbox, free_port

WINDOW = ["--from", "2026-01-01", "--to", "2026-06-30"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A demo database of the module's own (reports write audit entries), once on each database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('rep') / 'r.db'}")
    else:
        admin = create_engine(request.getfixturevalue("pg_server"), isolation_level="AUTOCOMMIT")
        name = f"cem_test_rep_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sql(f'CREATE DATABASE "{name}"'))
        engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    load_demo(engine, rows=4000)
    yield engine
    engine.dispose()
    if request.param == "postgres":
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_shows_the_stats_figures(demo: Engine, tmp_path: Path, capsys, lang: str):
    assert main(["stats", "--json", *WINDOW], demo) == 0
    stats = json.loads(capsys.readouterr().out)
    out = tmp_path / f"r_{lang}.pdf"
    assert main(["report", "--lang", lang, "--out", str(out), *WINDOW], demo) == 0
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for figure in (f"{stats['nps']:.2f}", f"{stats['csat']:.2f}", f"{stats['ces']:.3f}", f"{stats['nps_n']:,}",
                   f"{stats['responses']:,}"):
        assert figure in text, figure
    assert t("report.title", lang) in text and "2026-01-01" in text and "2026-06-30" in text
    assert t("report.page", lang, n=len(reader.pages)) in text  # page numbers
    cis = row_cis(demo)
    assert f"[{cis['csat'][0]:.1f}, {cis['csat'][1]:.1f}]" in text
    assert f"[{cis['ces'][0]:.2f}, {cis['ces'][1]:.2f}]" in text
    trends = [t(f"report.sec.{s}", lang) for s in ("trend", "csat_trend", "ces_trend")]
    pages = [(p, p.extract_text().splitlines()) for p in reader.pages]
    for heading in trends:  # each trend heading on a page that carries one chart per trend heading
        ((on, lines),) = [(p, lines) for p, lines in pages if heading in lines]
        assert len(vector_charts(on)) >= sum(h in lines for h in trends), (heading, vector_charts(on))
    assert {"chart_nps_trend", "chart_csat_trend", "chart_ces_trend", "chart_stage", "chart_channel"} <= {
        name.rsplit(".", 1)[-1] for p in reader.pages for name in vector_charts(p)}
    assert "2026-03" in text and t("chart.nps", lang) in text  # the charts' axis labels are text, not pixels
    for section in ("kpis", "trend", "csat_trend", "ces_trend", "stage", "channel", "drivers", "concentrate",
                    "topics", "verbatims", "hot_spots", "loop", "alerts"):
        assert t(f"report.sec.{section}", lang) in text, section
    fonts = [f.get_object() for p in reader.pages for f in p["/Resources"]["/Font"].get_object().values()]
    embedded = [str(f["/BaseFont"]) for f in fonts
                if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"].get_object()]
    assert any("NotoSansCJK" in name for name in embedded), embedded  # the CJK font travels with the file
    if lang == "zh":
        assert "核心指标" in text and "客户体验执行报告" in text  # Chinese extracts as Chinese


def vector_charts(page) -> list[str]:
    """Names of the page's charts: Form XObjects of vector drawing (paths, no embedded picture)."""
    xobjects = page["/Resources"].get("/XObject")
    found = []
    for name, ref in (xobjects.get_object().items() if xobjects else ()):
        form = ref.get_object()
        if form["/Subtype"] == "/Form" and "/XObject" not in form.get("/Resources", {}):
            operators = set(form.get_data().split())
            assert b"l" in operators and operators & {b"f", b"f*"}, name  # lines and filled shapes: paths
            found.append(str(name))
    return found


def row_cis(engine: Engine) -> dict[str, tuple[float, float] | None]:
    """CSAT's and CES's 95 % CIs over WINDOW straight from the rows (not through the rollup)."""
    c = Response.__table__.c
    window = and_(c.occurred_date >= dt.date(2026, 1, 1), c.occurred_date <= dt.date(2026, 6, 30))
    with engine.connect() as conn:
        n_csat, top2, n_ces, total, squares = conn.execute(select(
            func.count(c.csat), func.sum(case((c.csat >= 4, 1), else_=0)), func.count(c.ces), func.sum(c.ces),
            func.sum(c.ces * c.ces)).where(window)).one()
    return {"csat": proportion_ci(int(top2), n_csat), "ces": mean_ci(n_ces, float(total), float(squares))}


def test_xlsx_numbers_equal_the_overview(demo: Engine):
    f = Filters(channels=("sms_survey",))
    report = build_report(demo, f, "en")
    ov = build_overview(demo, f, "en")
    assert report is not None and ov is not None
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    kpis = {row[0]: row[1:] for row in book[t("report.sec.kpis", "en")].iter_rows(min_row=2, values_only=True)}
    figures = ov.current.as_dict()
    assert kpis["Responses"][0] == figures["responses"]
    assert kpis["NPS"][0] == figures["nps"] and kpis["CSAT"][0] == figures["csat"] and kpis["CES"][0] == figures["ces"]
    assert kpis["NPS"][-1] == figures["nps_n"]
    assert all(isinstance(v, int | float) for v in (*kpis["NPS"][:2], kpis["CSAT"][0], kpis["CES"][0]))
    stage = list(book[t("report.sec.stage", "en")].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in stage] == ov.by_stage["name"].tolist() and [r[4] for r in stage] == ov.by_stage["n"].tolist()
    assert [r[1] for r in stage] == pytest.approx(ov.by_stage["nps"].tolist(), rel=1e-12)  # xlsx keeps 15 digits
    for measure, frame in (("csat", ov.csat_trend), ("ces", ov.ces_trend)):
        months = list(book[t(f"report.sec.{measure}_trend", "en")].iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in months] == frame["period"].dt.strftime("%Y-%m").tolist()
        assert [r[1] for r in months] == pytest.approx(frame["value"].tolist(), rel=1e-12)
        assert [r[4] for r in months] == frame["n"].tolist()


def test_department_lead_gets_their_departments_only(demo: Engine):
    code = DEPARTMENTS[0][0]
    lead = User("lead", "dept_lead", departments=(code,))
    scoped = build_report(demo, Filters(), "en", lead)
    whole = build_report(demo, Filters(), "en")
    expected = build_overview(demo, Filters(departments=(code,)), "en")
    assert scoped is not None and whole is not None and expected is not None
    assert scoped.headline == expected.current.as_dict()
    assert scoped.headline["responses"] < whole.headline["responses"]
    assert report_bytes(demo, lead, Filters(), "en", "pdf").startswith(b"%PDF")


def test_verbatims_are_masked(sqlite_engine: Engine):
    rows = [{"nps": 2, "day": dt.date(2025, 1, 1 + i % 20),
             "comment": f"服务态度很差，等待时间太长，电话 1380013{i:04d}"} for i in range(40)]
    batch = load_rows(sqlite_engine, rows)
    with write_transaction(sqlite_engine) as conn:
        add_text_batch(conn, batch)
    report = build_report(sqlite_engine, Filters(), "zh")
    assert report is not None and not report.verbatims.empty
    assert not report.verbatims["comment"].str.contains("1380013").any()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(report))).pages)
    assert t("report.sec.verbatims", "zh") in text and "1380013" not in text


def test_scheduled_report_by_email(demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        for key, value in {"HOST": "127.0.0.1", "PORT": str(controller.port), "TLS": "none"}.items():
            monkeypatch.setenv(f"CEM_SMTP_{key}", value)
        out = tmp_path / "week.pdf"
        assert main(["report", "--lang", "zh", "--out", str(out), "--email", "ceo@example.test", *WINDOW], demo) == 0
    finally:
        controller.stop()
    (msg,) = handler.messages
    assert msg["To"] == "ceo@example.test" and "客户体验执行报告" in str(make_header(decode_header(msg["Subject"])))
    (part,) = [p for p in msg.walk() if p.get_filename() == "week.pdf"]
    assert part.get_payload(decode=True) == out.read_bytes()
