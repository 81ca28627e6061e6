"""Two browser sessions training different models at once never see each other's models, histories or uploads,
and a copied address never joins two tabs to one lab, whatever order they connect and reconnect in."""

import re
from urllib.parse import parse_qs, urlsplit

from .conftest import (
    assert_no_exception,
    metric_int,
    open_more_settings,
    shot,
    slider_value,
    wait_idle,
    wait_metric_above,
    wait_refreshes,
)

NAMES = "Names trained on"
POKEMON = [
    "pikachu",
    "bulbasaur",
    "charmander",
    "squirtle",
    "eevee",
    "mew",
    "onix",
    "zubat",
    "jigglypuff",
    "psyduck",
    "snorlax",
]
START_ENABLED = (
    "() => !document.evaluate(\"//button[contains(., 'Start')]\", document, null, 9, null).singleNodeValue.disabled"
)


def param_count(page) -> int:
    text = page.get_by_text(re.compile(r"vocabulary of \d+ characters")).first.inner_text()
    return int(re.search(r"([\d,]+) parameters", text).group(1).replace(",", ""))


def names_trained(page) -> int:
    value = (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="Names trained on")
        .locator('[data-testid="stMetricValue"]')
    )
    return int(value.first.inner_text().replace(",", ""))


def test_two_sessions_are_isolated(browser, app_url, tmp_path):
    ctx_a = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx_b = browser.new_context(viewport={"width": 1400, "height": 1000})
    a, b = ctx_a.new_page(), ctx_b.new_page()
    for p in (a, b):
        p.set_default_timeout(60_000)
        p.goto(app_url + "/dinosaurs")
        p.get_by_role("button", name="▶ Start").wait_for()
        wait_idle(p)

    # A: its own uploaded name list and the smallest hidden size
    names = tmp_path / "pokemon.txt"
    names.write_text(
        "\n".join(
            [
                "pikachu",
                "bulbasaur",
                "charmander",
                "squirtle",
                "eevee",
                "mew",
                "onix",
                "zubat",
                "jigglypuff",
                "psyduck",
                "snorlax",
            ]
        )
    )
    a.get_by_text("Upload a name list").click()
    a.locator('input[type="file"]').set_input_files(str(names))
    a.get_by_text("11 names, 26 distinct characters").wait_for()
    slider = a.get_by_role("slider").first
    slider.focus()
    slider.press("Home")  # hidden size 1
    a.get_by_text("The model was restarted").wait_for()
    # these names use all 26 letters: vocabulary 27 with '\n'; n_a = 1 gives 27 + 1 + 27 + 1 + 27 parameters
    vocab_a = 27
    a.get_by_text(re.compile(r"vocabulary of 27 characters · 83 parameters")).wait_for()
    wait_idle(a)
    assert param_count(a) == 3 * vocab_a + 2
    assert param_count(b) == 5_277  # B still has the default model on the bundled names
    assert b.get_by_text("Bundled dinosaur names").is_visible()

    # both train at the same time
    a.get_by_role("button", name="▶ Start").click()
    b.get_by_role("button", name="▶ Start").click()
    wait_refreshes(a, "Names trained on", 3)
    wait_refreshes(b, "Names trained on", 3)
    shot(a, "isolation_a", full_page=False)
    shot(b, "isolation_b", full_page=False)
    a.get_by_role("button", name="■ Stop").click()
    a.wait_for_function(
        "() => !document.evaluate(\"//button[contains(., 'Start')]\", document, null, 9, null).singleNodeValue.disabled"
    )
    wait_idle(a)
    wait_refreshes(b, "Names trained on", 2)  # a slice already under way when Stop was pressed may still land meanwhile
    stopped_a = names_trained(a)
    # B keeps training while A is stopped (three more refreshes), and A's counter doesn't move with B's
    wait_refreshes(b, "Names trained on", 3)
    assert names_trained(a) == stopped_a
    assert param_count(a) == 3 * vocab_a + 2 and param_count(b) == 5_277
    for p in (a, b):
        assert_no_exception(p)
    ctx_a.close()
    ctx_b.close()


class Line:
    """One tab's connection to the server, which the test cuts and restores as a closed laptop lid or a Wi-Fi blip
    does: its WebSocket closes, and while the line is cut new ones and the page's health checks fail."""

    def __init__(self, page):
        self.up, self.sockets = True, []
        page.route_web_socket(re.compile(r".*/_stcore/stream"), self._socket)
        page.route(re.compile(r".*/_stcore/health"), lambda route: route.continue_() if self.up else route.abort())

    def _socket(self, ws):
        if self.up:
            self.sockets.append((ws, ws.connect_to_server()))
        else:
            ws.close()

    def cut(self, page):
        with page.expect_event("requestfailed", lambda r: "/_stcore/health" in r.url, timeout=60_000):
            self.up = False
            for ws, server in self.sockets:
                server.close()
                ws.close()
            self.sockets.clear()
        # the tab noticed: it is polling the server to reconnect

    def restore(self, page):
        with page.expect_websocket(timeout=60_000):
            self.up = True
        wait_idle(page)


def sid(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("sid", [""])[0]


def open_dino(page, url: str) -> None:
    page.set_default_timeout(60_000)
    page.goto(url)
    page.get_by_role("button", name="▶ Start").wait_for()
    wait_idle(page)


def step(page) -> int:
    """Press Step; returns the names trained on after it."""
    before = metric_int(page, NAMES)
    page.get_by_role("button", name="Step").click()
    wait_metric_above(page, NAMES, before)
    wait_idle(page)
    return metric_int(page, NAMES)


def test_a_copied_address_opens_a_fresh_lab_in_another_browser(browser, app_url, tmp_path):
    """A copies its address bar to B (another browser) while A's connection is down, then A comes back."""
    ctx_a = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx_b = browser.new_context(viewport={"width": 1400, "height": 1000})
    a = ctx_a.new_page()
    line = Line(a)
    open_dino(a, app_url + "/dinosaurs")
    names = tmp_path / "pokemon.txt"
    names.write_text("\n".join(POKEMON))
    a.get_by_text("Upload a name list").click()
    a.locator('input[type="file"]').set_input_files(str(names))
    a.get_by_text("11 names, 26 distinct characters").wait_for()
    slider = a.get_by_role("slider").first
    slider.focus()
    slider.press("Home")  # hidden size 1
    a.get_by_text("The model was restarted").wait_for()
    wait_idle(a)
    open_more_settings(a)  # hidden size 1 trains the default 30,000 names in a second or two: a budget that lasts
    budget = a.get_by_label("Iterations (names to train on)")
    budget.fill("500000")
    budget.press("Enter")
    wait_idle(a)
    trained_a = step(a)
    address = a.url
    assert sid(address)

    line.cut(a)
    b = ctx_b.new_page()
    open_dino(b, address)  # the copied address bar
    b.get_by_text("This link was opened in another browser").wait_for()
    shot(b, "isolation_copied_address", full_page=False)
    assert metric_int(b, NAMES) == 0, "B got A's model"
    assert b.get_by_text("11 names, 26 distinct characters").count() == 0, "B sees A's upload"
    assert slider_value(b) == "1", "B did not get the same settings"
    assert open_more_settings(b).locator(".st-key-dino_iters input").input_value() == "500000", "B's budget"
    assert sid(b.url) and sid(b.url) != sid(address)
    trained_b = step(b)

    line.restore(a)  # A reconnects: it still has its own lab, which B's training did not move
    shot(a, "isolation_reconnected", full_page=False)
    assert metric_int(a, NAMES) == trained_a
    assert a.get_by_text("11 names, 26 distinct characters").is_visible()
    assert sid(a.url) == sid(address)
    assert b.get_by_text("11 names, 26 distinct characters").count() == 0
    # both train at once; each counter moves with its own lab only
    a.get_by_role("button", name="▶ Start").click()
    b.get_by_role("button", name="▶ Start").click()
    wait_refreshes(a, NAMES, 2)
    wait_refreshes(b, NAMES, 2)
    a.get_by_role("button", name="■ Stop").click()
    a.wait_for_function(START_ENABLED)
    wait_idle(a)
    wait_refreshes(b, NAMES, 2)  # a slice already under way when Stop was pressed may still land meanwhile
    stopped_a = metric_int(a, NAMES)
    wait_refreshes(b, NAMES, 3)
    assert metric_int(a, NAMES) == stopped_a, "B's training moved A's counter"
    assert metric_int(b, NAMES) > trained_b
    for p in (a, b):
        assert_no_exception(p)
    ctx_a.close()
    ctx_b.close()


def test_tabs_of_one_browser_never_drive_one_lab(browser, app_url):
    """One browser: a second tab on a connected tab's address starts fresh; with that tab's connection down, a new
    tab takes its work over (as a reload does), and the first tab, when it reconnects, starts fresh."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    a1 = ctx.new_page()
    line = Line(a1)
    open_dino(a1, app_url + "/dinosaurs")
    trained = step(a1)
    address = a1.url

    a2 = ctx.new_page()
    open_dino(a2, address)
    a2.get_by_text("This address is already open in another tab").wait_for()
    assert metric_int(a2, NAMES) == 0 and sid(a2.url) != sid(address)
    a2.close()

    line.cut(a1)
    a3 = ctx.new_page()
    open_dino(a3, address)
    a3.get_by_text("Welcome back").wait_for()
    assert metric_int(a3, NAMES) == trained and sid(a3.url) == sid(address)

    # The first tab comes back. Streamlit gives it a new session (the old one can't be resumed: its work moved),
    # which runs when the student next does something there.
    line.restore(a1)
    a1.get_by_role("button", name="Step").click()
    a1.get_by_text("This address is already open in another tab").wait_for()
    wait_idle(a1)
    shot(a1, "isolation_same_browser_reconnected", full_page=False)
    assert metric_int(a1, NAMES) == 0, "the reconnected tab drives the lab the new tab took over"
    assert metric_int(a3, NAMES) == trained, "the reconnected tab's Step trained the new tab's lab"
    assert sid(a1.url) != sid(address)
    after = step(a3)
    assert metric_int(a1, NAMES) == 0
    step(a1)
    assert metric_int(a3, NAMES) == after
    for p in (a1, a3):
        assert_no_exception(p)
    ctx.close()
