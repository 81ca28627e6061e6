"""Work is not lost: leaving a lab while it trains, reloading the tab, and a priming text longer
than the sampler reads. Each of these only showed in a real browser (Start right after a slider moved is
tests/pages/test_session_persistence.py's: AppTest can put both in one run, which is the race)."""

from .conftest import assert_no_exception, metric_int, shot, slider_value, wait_idle, wait_metric_above, wait_refreshes

NAMES = "Names trained on"


def sidebar_link(page, name: str):
    return page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name)


def test_leaving_a_lab_while_it_trains_keeps_its_settings_and_model(page, app_url):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for()
    wait_idle(page)
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("Home")  # hidden size 1
    page.get_by_text("the model was restarted").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    trained = wait_refreshes(page, NAMES, 5)  # about 5 s of training (the lab refreshes once a second)
    # away while it trains, and back
    sidebar_link(page, "Home").click()
    page.get_by_role("heading", name="RNN Playground").wait_for()
    sidebar_link(page, "Dinosaur names").click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    shot(page, "work_kept_after_tour", full_page=False)
    assert slider_value(page) == "1", "the hidden size went back to its default"
    assert page.get_by_text("the model was restarted").count() == 0
    assert metric_int(page, NAMES) >= trained, "the trained model was replaced"
    assert_no_exception(page)


def test_reload_brings_the_trained_model_back(page, app_url):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for()
    wait_idle(page)
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")  # hidden size below the default (a key press can be lost: read it back)
    page.get_by_text("the model was restarted").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Step").click()
    trained = wait_metric_above(page, NAMES, 0)
    wait_idle(page)
    assert "sid=" in page.url
    hidden = slider_value(page)  # read just before the reload: a late key press has landed by now
    assert hidden != "50"
    page.reload()
    page.get_by_text("Welcome back").wait_for()
    wait_idle(page)
    shot(page, "work_kept_after_reload", full_page=False)
    assert metric_int(page, NAMES) == trained
    assert slider_value(page) == hidden
    assert (
        page.get_by_text("Reloading this tab keeps your work").count() >= 1
    )  # the page says what is kept, and how long
    assert_no_exception(page)


def test_a_long_priming_text_is_cut_with_a_message(page, app_url):
    page.goto(app_url + "/text")
    page.get_by_role("button", name="Generate").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    box = page.get_by_label("Priming text", exact=False)
    box.fill("ROMEO: " + "a" * 9_993)
    box.press("Enter")
    page.get_by_text("only the first 500 are used").wait_for()
    page.get_by_role("button", name="Generate").click()
    page.get_by_text("The priming text is shown first").wait_for(timeout=60_000)
    shot(page, "long_prime_cut", full_page=False)
    assert_no_exception(page)
