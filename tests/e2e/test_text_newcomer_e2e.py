"""Issue #3's newcomer: Shakespeare, LSTM 256 (the defaults), Start, and within a minute the validation loss falls.

The screenshot (text_newcomer.png) shows the live sample after a minute, for a person to read.
"""

import re

from .conftest import assert_no_exception, shot, wait_idle


def metric_value(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^{re.escape(label)}$")))
    return m.first.locator('[data-testid="stMetricValue"]').inner_text()


def test_shakespeare_lstm_256_learns_within_a_minute(page, app_url):
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    page.get_by_text("Validation (last 10%)").wait_for()
    page.get_by_role("button", name="▶ Start").click()
    # the first validation point is the untrained model (about ln 65 ≈ 4.2 nats per character)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some(m => m.innerText.includes('Validation loss') && /\\d/.test(m.innerText))",
        timeout=60_000,
    )
    start = float(metric_value(page, "Validation loss"))
    page.wait_for_timeout(60_000)
    end = float(metric_value(page, "Validation loss"))
    page.get_by_text("Sample at step").first.scroll_into_view_if_needed()
    shot(page, "text_newcomer", full_page=False)
    assert page.get_by_text(re.compile(r"LSTM 256")).count() >= 1  # the run's label: the defaults are LSTM 256
    page.get_by_role("button", name="■ Stop").click()
    assert start > 3.5, start
    assert end < start - 1.0, (start, end)  # a minute of training on 2 cores takes it well below the start
    assert_no_exception(page)
