"""Issue 11 point 2: dates as English-language exports write them, a report per failing column, and a file
with no valid row failing the command whatever ``--on-invalid`` says."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from cem_core.cli import main
from cem_core.db.models import Response
from cem_core.ingest.load import check_file, import_file
from cem_core.ingest.mapping import save_template
from cem_core.ingest.present import CHOICES, choice_label, mapping_from_table, mapping_table, report_notes
from cem_core.ingest.validate import infer_date_order, parse_dates
from tests.test_cli import run


def app_store_export(path: Path, rows: int = 250, day_first: bool = False, start: dt.date = dt.date(2024, 9, 1)
                     ) -> Path:
    """An English app-store export as it arrives: semicolon-separated, UTF-8 with a BOM, MM/DD/YYYY dates."""
    rng = random.Random(rows)
    lines = ["Date;Rating;Review;Country"]
    for i in range(rows):
        d = start + dt.timedelta(days=i % 60)
        date = f"{d:%d/%m/%Y}" if day_first else f"{d:%m/%d/%Y}"
        lines.append(f"{date};{rng.randint(0, 10)};Review number {i}, fine app;US")
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    return path


def stored_dates(engine: Engine) -> list[dt.date]:
    with engine.connect() as conn:
        return [dt.date.fromisoformat(str(d)[:10]) for d in
                conn.execute(select(Response.occurred_date).order_by(Response.id)).scalars()]


def test_parse_year_last_dates_in_either_order() -> None:
    cells = pd.Series(["09/15/2024", "9/1/24 3:45 PM", "2024-03-05", "12/01/2024 12:05 AM", "15.09.2024"])
    mdy, _ = parse_dates(cells, True, False, "mdy")
    assert mdy.tolist()[:4] == [pd.Timestamp("2024-09-15"), pd.Timestamp("2024-09-01 15:45"),
                                pd.Timestamp("2024-03-05"), pd.Timestamp("2024-12-01 00:05")]
    assert pd.isna(mdy.iloc[4])  # month 15
    dmy, _ = parse_dates(cells, True, False, "dmy")
    assert dmy.iloc[4] == pd.Timestamp("2024-09-15") and dmy.iloc[1] == pd.Timestamp("2024-01-09 15:45")
    ymd, _ = parse_dates(cells, True, False, "ymd")
    assert ymd.notna().tolist() == [False, False, True, False, False]
    assert infer_date_order(pd.Series(["01/02/2024", "13/02/2024"])) == ("dmy", 2)
    assert infer_date_order(pd.Series(["01/02/2024", "02/13/2024"])) == ("mdy", 2)
    assert infer_date_order(pd.Series(["01/02/2024", "2024-01-01"])) == (None, 1)
    assert infer_date_order(pd.Series(["2024-01-01"])) == (None, 0)


def test_english_export_with_bom_semicolons_and_month_first_dates_imports_every_row(tmp_path: Path) -> None:
    """The file of the issue, through the real command: 250 of 250 rows, dates month-first as the values show."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    path = app_store_export(tmp_path / "appstore.csv")
    done = run(url, "import", str(path), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["rows_imported"] == 250 and out["rows_skipped"] == 0, out
    assert out["dates"][0]["order"] == "mdy" and out["dates"][0]["source"] == "inferred"


def test_day_first_inferred_even_when_the_first_rows_leave_it_open(engine: Engine, tmp_path: Path) -> None:
    """A file sorted by date from the 1st: its first 200 rows have days 1-12 only; the column decides."""
    path = app_store_export(tmp_path / "uk.csv", rows=400, day_first=True)
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    body = sorted(lines[1:], key=lambda ln: dt.datetime.strptime(ln.split(";")[0], "%d/%m/%Y"))
    path.write_bytes(("\n".join([lines[0], *body])).encode())
    report = import_file(engine, path, user="t", chunk_rows=100)
    assert report.status == "done" and report.rows_imported == 400
    assert report.plans[0].date_note.source == "inferred" and report.plans[0].date_note.order == "dmy"
    assert min(stored_dates(engine)) == dt.date(2024, 9, 1) and max(stored_dates(engine)) == dt.date(2024, 10, 30)


def test_ambiguous_column_follows_the_choice_then_the_default(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "amb.csv"
    path.write_text("Date,NPS\n01/02/2024,9\n03/04/2024,7\n", encoding="utf-8")
    checked = check_file(engine, path.read_bytes(), "amb.csv")
    note = checked.plans[0].date_note
    assert (note.order, note.source) == ("mdy", "default")  # English header: month first, and it says so
    assert "month first" in note.message("en") and "--date-order" in note.message("en")
    chosen = check_file(engine, path.read_bytes(), "amb.csv", date_order="dmy")
    assert (chosen.plans[0].date_note.order, chosen.plans[0].date_note.source) == ("dmy", "chosen")
    save_template(engine, "uk survey", ["Date", "NPS"], {"Date": "occurred_at:dmy", "NPS": "nps"}, "t")
    report = import_file(engine, path, user="t")
    assert report.plans[0].date_note.source == "chosen"
    assert stored_dates(engine) == [dt.date(2024, 2, 1), dt.date(2024, 4, 3)]
    zh = tmp_path / "zh.csv"
    zh.write_text("日期,推荐度\n01/02/2024,9\n", encoding="utf-8")
    assert check_file(engine, zh.read_bytes(), "zh.csv").plans[0].date_note.order == "dmy"


def test_a_column_failing_everywhere_is_one_entry_and_the_command_fails(engine: Engine, tmp_path: Path,
                                                                        capsys) -> None:
    path = tmp_path / "weird.csv"
    rows = [f"Sept {d} 2024,{d % 11}" for d in range(1, 29)]
    path.write_text("Date,NPS\n" + "\n".join(rows), encoding="utf-8")
    code = main(["import", str(path), "--json", "--on-invalid", "skip"], engine=engine)
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["status"] == "rejected" and out["rows_imported"] == 0
    assert "none of its 28 rows is valid" in out["message"]
    assert len(out["column_issues"]) == 1
    issue = out["column_issues"][0]
    assert issue["column"] == "Date" and issue["count"] == 28 and issue["shape"] == "aaaa 9 9999"
    assert "Sept 1 2024" in issue["message"] and "--date-order" in issue["message"]
    assert out["errors"] == []  # not 28 identical row errors
    code = main(["import", str(path), "--lang", "zh"], engine=engine)
    text = capsys.readouterr().out
    assert code == 1 and "列「Date」" in text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Response)).scalar_one() == 0


def test_a_few_bad_dates_are_still_listed_row_by_row(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "some.csv"
    path.write_text("Date,NPS\n" + "\n".join(["2024-03-05,9"] * 20 + ["soon,8"]), encoding="utf-8")
    report = import_file(engine, path, user="t")
    assert report.status == "done" and report.rows_imported == 1 and not report.column_issues
    assert [(p.row, p.reason) for p in report.problems] == [(22, "ingest.reason.bad_date")]


def test_upload_page_offers_the_date_order_and_shows_one_note_per_column(engine: Engine, tmp_path: Path) -> None:
    """What the upload page renders (``present``): the order is a mapping choice that round-trips through the
    editor, the date note and the column issue are one escaped line each."""
    path = tmp_path / "weird.csv"
    path.write_text("Date,NPS\n" + "\n".join(f"Sept {d} 2024,{d % 11}" for d in range(1, 29)), encoding="utf-8")
    report = check_file(engine, path.read_bytes(), "weird.csv")
    dates, issues = report_notes(report, "en")
    assert dates == [] and len(issues) == 1 and "Sept 1 2024" in issues[0] and "\\*" not in issues[0]
    assert {"occurred_at:mdy", "occurred_at:dmy", "occurred_at:ymd"} <= set(CHOICES)
    uk = tmp_path / "uk.csv"
    uk.write_text("Date,NPS\n01/02/2024,9\n", encoding="utf-8")
    plans = check_file(engine, uk.read_bytes(), "uk.csv", mapping={"Date": "occurred_at:dmy"}).plans
    table = mapping_table(plans)
    assert table.loc[table["header"] == "Date", "field"].item() == "occurred_at:dmy"
    assert mapping_from_table(table)["Date"] == "occurred_at:dmy"
    assert choice_label("occurred_at:dmy", "en") == "Date/time (day first, DD/MM/YYYY)"
    dates, _ = report_notes(check_file(engine, uk.read_bytes(), "uk.csv"), "en")
    assert dates == ["Column 'Date'\\: no value shows the order of its dates \\(every part is 12 or less\\), so "
                     "they were read month first \\(MM/DD/YYYY\\)\\: the default under an English header \\(day "
                     "first under others\\)\\. If that is wrong, choose the date order in the column mapping, or "
                     "pass \\-\\-date\\-order on the command line\\."]


def test_a_chunked_import_reads_the_resolved_order_and_reports_the_column(engine: Engine, tmp_path: Path) -> None:
    """Every chunk after the first is read in the order resolved before the import, and the column issue is
    reported."""
    uk = app_store_export(tmp_path / "uk.csv", rows=300, day_first=True)
    report = import_file(engine, uk, user="t", chunk_rows=100)
    assert report.status == "done" and report.rows_imported == 300
    assert max(stored_dates(engine)) == dt.date(2024, 10, 30)
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,NPS,Comment\n" + "\n".join(f"someday {i},{i % 11},c{i}" for i in range(300)),
                   encoding="utf-8")
    rejected = import_file(engine, bad, user="t", chunk_rows=100)
    assert rejected.status == "rejected" and [c.column for c in rejected.column_issues] == ["Date"]
    assert rejected.column_issues[0].count == 300 and rejected.column_issues[0].shape == "aaaaaaa 999"
