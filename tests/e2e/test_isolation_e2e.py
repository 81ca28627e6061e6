"""Two browser sessions training different models at once never see each other's models, histories or uploads."""

import re

from .conftest import assert_no_exception, shot, wait_idle, wait_refreshes


def param_count(page) -> int:
    text = page.get_by_text(re.compile(r"vocabulary of \d+ characters")).first.inner_text()
    return int(re.search(r"([\d,]+) parameters", text).group(1).replace(",", ""))


def names_trained(page) -> int:
    value = page.locator('[data-testid="stMetric"]').filter(has_text="Names trained on").locator('[data-testid="stMetricValue"]')
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
    names.write_text("\n".join(["pikachu", "bulbasaur", "charmander", "squirtle", "eevee", "mew", "onix", "zubat", "jigglypuff", "psyduck", "snorlax"]))
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
    a.wait_for_function("() => !document.evaluate(\"//button[contains(., 'Start')]\", document, null, 9, null).singleNodeValue.disabled")
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
