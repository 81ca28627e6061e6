"""A direct link to a lab, as the very first request after the server starts, still gets the app's navigation."""

import pytest

from .conftest import assert_no_exception, shot, wait_idle


@pytest.mark.parametrize("path,heading", [("/dinosaurs", "🦕 Dinosaur names")])
def test_direct_link_first_after_start(browser, fresh_app_url, path, heading):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    page.goto(fresh_app_url + path)
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    wait_idle(page)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    shot(page, "direct_link_first", full_page=False)
    # our page titles, not the file names of the legacy pages/ navigation
    assert "Dinosaur names" in nav and "Home" in nav, nav
    assert "app" not in nav.split()
    assert_no_exception(page)
    ctx.close()
