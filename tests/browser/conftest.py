"""The browser tests' shared record: axe-core's results per page (test_accessibility_in_chromium), printed at the
end of the run whatever its outcome, so every run's output shows them."""

from __future__ import annotations

AXE_RESULTS: list[dict] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not AXE_RESULTS:
        return
    terminalreporter.section("axe-core results per page (fails on serious or critical)")
    for record in AXE_RESULTS:
        counts = ", ".join(f"{impact} {n}" for impact, n in record["violations"].items())
        terminalreporter.write_line(
            f"{record['page']}: {record['rules_passed']} rules passed; violations (elements): {counts}"
            + (f" — {'; '.join(record['rules'])}" if record["rules"] else "")
        )
