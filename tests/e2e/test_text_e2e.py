"""Real browser: the Text lab on the dinosaur names, a tiny LSTM trained for a few seconds, then sample and inspect."""

from .conftest import assert_no_exception, shot, wait_idle, wait_refreshes


def test_text_lab_trains_samples_and_inspects(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="📜 Text").first.click()
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    page.get_by_text("Dinosaur names (bundled)").click()
    wait_idle(page, timeout=60_000)
    # in the tab "The text", drawn once the model is built (the first visit also loads TensorFlow)
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached", timeout=120_000)
    # a tiny model: hidden 16 (the slider's minimum), so a few seconds of training show a falling curve
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)

    page.get_by_role("button", name="▶ Start").click()
    page.get_by_text("Sample at step").wait_for(timeout=60_000)
    wait_refreshes(page, "Step", 3)  # several ticks: the chart redraws
    page.evaluate("() => window.scrollTo(0, 0)")  # the live area is at the top
    # the loss chart has this run's raw and smoothed training loss and its validation loss (not the placeholder)
    traces = page.locator('[data-testid="stPlotlyChart"]').first.locator(".scatterlayer .trace")
    traces.nth(2).wait_for(timeout=60_000)  # plotly draws the chart a moment after the page has settled
    shot(page, "text_training")
    assert traces.count() >= 3
    assert page.get_by_text("No training yet").count() == 0
    assert_no_exception(page)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)

    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_role("heading", name="Inspector").wait_for()
    page.get_by_text("Its probability").first.wait_for()
    page.get_by_text("characters in").first.wait_for()
    page.locator('[data-testid="stPlotlyChart"] .barlayer').first.wait_for()
    page.get_by_role("heading", name="Inspector").scroll_into_view_if_needed()
    shot(page, "text_sampled_inspector")
    assert_no_exception(page)
