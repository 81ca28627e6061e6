"""Real browser: "Start from the trained model" in the Dinosaur and Text labs shows good results on the first click
(trained starting points), and Start continues from the loaded step."""

import re

from .conftest import assert_no_exception, metric_int, shot, wait_idle, wait_refreshes

LABEL = "⭐ Start from the trained model"


def metric_text(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return m.first.locator('[data-testid="stMetricValue"]').inner_text()


def open_lab(page, app_url, link: str) -> None:
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name=link).first.click()
    page.get_by_role("heading", name=link).wait_for(timeout=60_000)
    wait_idle(page, timeout=120_000)


def test_dinosaur_lab_starts_from_the_trained_model(page, app_url):
    open_lab(page, app_url, "🦕 Dinosaur names")
    page.get_by_role("button", name=LABEL).click()
    page.get_by_text("Loaded the trained starting point").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    loaded = metric_int(page, "Names trained on")
    assert loaded >= 100_000
    page.get_by_text(f"Samples at iteration {loaded:,}").wait_for()
    info = page.get_by_text("Loaded the trained starting point").inner_text()
    share = int(re.search(r"(\d+)% of its names end like a real genus", info).group(1))
    assert share > 50  # "mostly ending like real genera", measured on 200 names
    page.evaluate("() => window.scrollTo(0, 0)")  # the live area is at the top
    shot(page, "starting_point_dino_loaded", full_page=False)
    assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() >= 2
    assert_no_exception(page)

    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 2)
    assert metric_int(page, "Names trained on") > loaded  # it continues from the loaded step
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    shot(page, "starting_point_dino_continued", full_page=False)
    assert_no_exception(page)


def test_text_lab_starts_from_the_trained_model(page, app_url):
    open_lab(page, app_url, "📜 Text")
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached", timeout=120_000)
    page.get_by_role("button", name=LABEL).click()
    page.get_by_text("Loaded the trained starting point").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    loaded = metric_int(page, "Step")
    assert loaded > 0
    val = float(metric_text(page, "Validation loss"))
    assert val <= 1.6  # Shakespeare at 1.6 nats per character or better, on the first click
    page.get_by_text(f"Sample at step {loaded:,}").wait_for()
    page.evaluate("() => window.scrollTo(0, 0)")  # the live area is at the top
    traces = page.locator('[data-testid="stPlotlyChart"]').first.locator(".scatterlayer .trace")
    traces.nth(2).wait_for(timeout=60_000)  # plotly draws the chart a moment after the page has settled
    shot(page, "starting_point_text_loaded", full_page=False)
    assert traces.count() >= 3
    assert_no_exception(page)

    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Step", 2, timeout=120_000)
    assert metric_int(page, "Step") > loaded
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page, timeout=60_000)
    shot(page, "starting_point_text_continued", full_page=False)
    assert_no_exception(page)


def test_music_lab_starts_from_the_trained_model_and_composes(page, app_url):
    open_lab(page, app_url, "🎵 Music")
    page.get_by_role("button", name=LABEL).wait_for(timeout=120_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=120_000)
    page.get_by_role("button", name=LABEL).click()
    page.get_by_text("Loaded the trained starting point").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    assert metric_int(page, "Steps") >= 1000
    page.get_by_role("button", name="🎼 Compose").click()
    page.get_by_text("Did it learn music? The scorecard").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    page.get_by_text("Did it learn music? The scorecard").scroll_into_view_if_needed()
    shot(page, "starting_point_music_scorecard", full_page=False)
    assert_no_exception(page)
