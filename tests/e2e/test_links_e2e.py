"""Real browser: a lesson link with hidden controls shows the guide, the preset and only the allowed controls; a link
with invalid values shows the message naming them (and no traceback)."""

from __future__ import annotations

from tests.e2e.conftest import assert_no_exception, open_more_settings, shot, wait_idle


def key_count(page, key: str) -> int:
    """How many elements carry the widget key ``key`` (Streamlit's st-key-<key> class)."""
    return page.locator(f".st-key-{key}").count()


def slider_text(page, key: str) -> str:
    return page.locator(f".st-key-{key}").get_by_role("slider").first.get_attribute("aria-valuetext")


def test_a_lesson_link_with_hidden_controls_shows_the_guide_the_preset_and_only_the_allowed_controls(app_url, page):
    page.goto(f"{app_url}/dinosaurs?lesson=dino-exploding-gradients&hide=upload,sampling,architecture")
    wait_idle(page, 90_000)
    page.get_by_text("Names trained on").first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    assert_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Clipping and exploding gradients").first.wait_for()
    assert sidebar.get_by_text("Questions to ask").count() >= 1
    assert sidebar.get_by_text("Close the lesson").count() == 1
    # the preset: learning rate 0.1, samples every 500, 3,000 iterations (training controls are allowed; the last two
    # in "More settings")
    open_more_settings(page)
    assert slider_text(page, "dino_lr") == "0.1"
    assert slider_text(page, "dino_sample_every") == "500"
    assert page.locator(".st-key-dino_iters input").input_value() == "3000"
    # only the allowed controls: no corpus choice, no hidden size or seed, no sampling settings
    for key in ("dino_source", "dino_n_a", "dino_seed", "dino_temp", "dino_how_many", "dino_sample_seed"):
        assert key_count(page, key) == 0, key
    assert page.get_by_role("button", name="Sample names").count() == 1  # sampling itself stays
    assert sidebar.get_by_text("Link to this setup").count() == 1  # the toolkit is not hidden
    shot(page, "links_lesson_hidden_controls")
    # the parameters the hidden settings took are those of the lesson (in the setup's link)
    sidebar.get_by_text("Link to this setup").click()
    box = sidebar.locator('[data-testid="stExpander"]').filter(has_text="Link to this setup")
    code = box.locator('[data-testid="stCode"]').first.inner_text()
    assert "hidden=50" in code and "seed=3" in code and "lesson=dino-exploding-gradients" in code
    assert "hide=upload%2Carchitecture%2Csampling" in code
    shot(page, "links_lesson_setup_link", full_page=False)


def test_a_link_with_invalid_values_shows_a_message_naming_them(app_url, page):
    page.goto(f"{app_url}/dinosaurs?hidden=9999&lr=fast&temperature=0.5&hide=bogus&colour=red")
    wait_idle(page, 90_000)
    page.get_by_text("could not be used").first.wait_for(timeout=60_000)
    page.get_by_text("Names trained on").first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    shot(page, "links_invalid_values")
    assert_no_exception(page)
    message = page.locator('[data-testid="stAlert"]').filter(has_text="could not be used").first.inner_text()
    for part in ("hidden=9999", "lr=fast", "bogus", "colour"):
        assert part in message, (part, message)
    assert slider_text(page, "dino_n_a") == "50"  # the default
    assert slider_text(page, "dino_lr") == "0.01"
    assert slider_text(page, "dino_temp") == "0.50"  # the good value is used


def test_the_home_page_lists_the_lessons_and_one_click_opens_a_lesson(app_url, page):
    page.goto(app_url)
    wait_idle(page, 60_000)
    page.get_by_text("Ready-made lessons for a class").first.wait_for()
    wait_idle(page, 60_000)
    shot(page, "links_home_lessons")
    for title in (
        "Dinosaur names from scratch",
        "Clipping and exploding gradients",
        "SimpleRNN vs LSTM vs GRU",
        "Temperature and top-k",
        "Memorising vs learning",
    ):
        assert page.get_by_text(title).count() >= 1, title
    # the list's link (Start here links to the same lesson under another name)
    page.get_by_role("link", name="🦕 Dinosaur names from scratch", exact=True).click()
    page.get_by_text("Names trained on").first.wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    assert_no_exception(page)
    assert "lesson=dino-from-scratch" in page.url
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Questions to ask").count() >= 1
    assert key_count(page, "dino_source") == 0  # the lesson hides the corpus choice
    assert slider_text(page, "dino_n_a") == "50"
    shot(page, "links_lesson_from_home")


def test_a_reload_keeps_the_students_changes_instead_of_applying_the_link_again(app_url, page):
    page.goto(f"{app_url}/dinosaurs?hidden=20&seed=4")
    page.get_by_text("Names trained on").first.wait_for(timeout=90_000)
    wait_idle(page, 60_000)
    assert slider_text(page, "dino_n_a") == "20"
    page.locator(".st-key-dino_n_a").get_by_role("slider").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.st-key-dino_n_a [role=slider]')?.getAttribute('aria-valuetext') !== '20'"
    )
    page.wait_for_timeout(1500)
    wait_idle(page, 60_000)
    changed = slider_text(page, "dino_n_a")
    assert changed != "20"
    assert page.locator(".st-key-dino_seed input").input_value() == "4"  # the link's seed, before the reload too
    page.reload()  # the address still holds hidden=20: the recovered settings win
    page.get_by_text("Welcome back").first.wait_for(timeout=90_000)
    wait_idle(page, 60_000)
    assert slider_text(page, "dino_n_a") == changed
    assert page.locator(".st-key-dino_seed input").input_value() == "4"
    shot(page, "links_reload_keeps_changes", full_page=False)
