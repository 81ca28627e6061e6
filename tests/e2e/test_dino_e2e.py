"""Real browser: open the home page and the Dinosaur lab, train, see the loss chart and names, inspect."""

from .conftest import assert_no_exception, shot, wait_idle, wait_refreshes


def test_home_then_dino_lab_trains_and_samples(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("heading", name="RNN Playground").wait_for()
    shot(page, "home")
    assert_no_exception(page)

    page.get_by_role("link", name="🦕 Dinosaur names").first.click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    # the live fragment trains in slices; the iteration counter and the chart grow while we wait
    page.get_by_text("Samples at iteration").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot .scatterlayer .trace").first.wait_for()
    wait_refreshes(page, "Names trained on", 2)
    shot(page, "dino_training", full_page=False)
    # the loss chart has both curves, and the iteration counter keeps moving while training runs
    assert page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').count() >= 2
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)

    page.get_by_role("button", name="Sample names").click()
    page.get_by_text("are new (not in the training list)").wait_for()
    page.get_by_role("heading", name="Inspector").wait_for()
    page.get_by_text("Its probability").first.wait_for()
    page.locator('[data-testid="stPlotlyChart"] .barlayer').first.wait_for()
    shot(page, "dino_sampled_inspector")
    assert_no_exception(page)
