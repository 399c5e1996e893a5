"""The import's status line: rows/s and bad rows so far, while reading and while recording."""

from __future__ import annotations

import io

from app.importer.report import ImportReport, TerminalProgress, status_line


def a_report(**counters: int) -> ImportReport:
    report = ImportReport()
    for name, value in counters.items():
        setattr(report, name, value)
    return report


def test_reading_shows_bad_rows_and_rows_per_second() -> None:
    report = a_report(rows_read=3_000, bad=7, accounts=2, videos=5)

    assert status_line("reading", report, elapsed=2.0) == (
        "reading: 3,000 rows (7 bad), 1,500 rows/s, 2 accounts, 5 videos"
    )


def test_recording_shows_bad_rows_and_rows_per_second() -> None:
    report = a_report(rows_read=3_000, bad=7, observations=1_200, accounts=2, videos=5)
    report.entities_done = 3

    assert status_line("recording", report, elapsed=4.0) == (
        "recording: 1,200/2,993 rows (7 bad), 300 rows/s, 3/7 entities"
    )


def test_no_rate_in_a_phase_s_first_second() -> None:
    report = a_report(rows_read=10, bad=1)

    assert "/s" not in status_line("reading", report, elapsed=0.5)
    assert "(1 bad)" in status_line("recording", report, elapsed=0.5)


def test_a_million_rows_with_bad_ones_fit_an_80_column_terminal() -> None:
    report = a_report(rows_read=1_000_400, bad=400, observations=999_000, accounts=274)
    report.videos, report.entities_done = 4_245, 4_000

    for phase in ("reading", "recording"):
        line = status_line(phase, report, elapsed=700.0)
        assert len(line) <= 79, line  # TerminalProgress cuts at the width - 1
        assert "(400 bad)" in line
        assert "rows/s" in line


def test_the_terminal_line_gains_the_rate_after_a_second_of_the_phase() -> None:
    clock = iter([100.0, 100.5, 102.0])
    stream = io.StringIO()
    progress = TerminalProgress(stream, interval=0, clock=lambda: next(clock))
    report = a_report(rows_read=0, bad=0)

    progress.update("reading", report)
    report.rows_read, report.bad = 1_000, 2
    progress.update("reading", report)
    report.rows_read, report.bad = 4_000, 5
    progress.update("reading", report)

    draws = stream.getvalue().split("\r")[1:]
    assert [d.rstrip() for d in draws] == [
        "reading: 0 rows (0 bad), 0 accounts, 0 videos",
        "reading: 1,000 rows (2 bad), 0 accounts, 0 videos",
        "reading: 4,000 rows (5 bad), 2,000 rows/s, 0 accounts, 0 videos",
    ]
