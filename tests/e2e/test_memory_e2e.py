"""A class server's memory: a model over the budget is refused in the browser, and the memory of
large models comes back when their tabs close."""

import re
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from core.models.keras_model import RNNConfig, count_params
from core.models.timelapse import MAX_BYTES
from core.server.budget import SERVER_BUDGET_MB, SESSION_SHARE, training_bytes

from .conftest import assert_no_exception, open_more_settings, shot, start_app, wait_idle

MB = 2**20
# What may stay after the tabs close besides what the reload store keeps. It was 80–175 MB, then
# ~280–350 MB once the look-inside views kept their traces in the session (a closed tab's session lives on for ~2 min);
# the traces now live on the lab (Lab.views), which the reload store's sweep drops when it puts the lab to sleep.
RESIDUAL_MB = 150
CHART_NAMES = """label => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .some(e => e.textContent.startsWith('Loss chart.') && e.textContent.includes(label))"""  # the summary names the run


def rss_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmRSS"))


def set_slider(page, label: str, keys: list[str]) -> None:
    s = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    s.focus()
    for k in keys:
        s.press(k)


def slide_to(page, label: str, value: int) -> None:
    """Move the slider ``label`` to ``value`` one key at a time (a key pressed while a rerun redraws it is lost)."""
    s = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    for _ in range(40):
        now = int(s.get_attribute("aria-valuetext"))
        if now == value:
            return
        s.focus()
        s.press("ArrowLeft" if now > value else "ArrowRight")
        wait_idle(page, timeout=180_000)
    raise AssertionError(f"{label} stays at {s.get_attribute('aria-valuetext')}, not {value}")


def open_text_lab(page, url: str) -> None:
    page.goto(url + "/text")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)


def test_a_size_over_the_budget_gets_its_message(page, app_url):
    open_text_lab(page, app_url)
    set_slider(page, "Hidden units per layer", ["End"])
    wait_idle(page, timeout=120_000)
    open_more_settings(page)  # the number of layers is a rarer setting
    set_slider(page, "Layers", ["End"])
    # the refusal of three layers (the largest size alone may already be refused: wait for the one that keeps 3 layers)
    page.get_by_role("button", name=re.compile(r"^Use LSTM \d+×3 instead$")).wait_for(timeout=120_000)
    page.get_by_text("more than one session may use on this server").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_text("more than one session may use on this server").scroll_into_view_if_needed()
    shot(page, "memory_budget_refused", full_page=False)
    assert page.get_by_text("Nothing was built").count() >= 1
    assert_no_exception(page)
    page.get_by_role("button", name="Use LSTM").click()  # the largest size that fits is built instead
    page.get_by_text("more than one session may use on this server").wait_for(state="detached", timeout=120_000)
    page.get_by_text("Started a new run").wait_for(timeout=120_000)
    wait_idle(page, timeout=120_000)
    layers = page.locator('[data-testid="stSlider"]').filter(has_text="Layers").get_by_role("slider")
    assert layers.get_attribute("aria-valuetext") == "3"  # three layers, fewer units
    assert_no_exception(page)


def test_memory_of_large_models_comes_back_when_their_tabs_close(browser):
    app = start_app("streamlit-e2e-memory.log")
    proc, url = app.proc, app.url
    try:
        keep = browser.new_context(viewport={"width": 1400, "height": 1000})
        p0 = keep.new_page()
        p0.set_default_timeout(120_000)
        open_text_lab(p0, url)  # TensorFlow loaded, the default model built
        # one step: the live sample and its memorisation meter build the server's shared index of the bundled text
        # (core.toolkit.memorise, built once per server), so the base is a warmed server, not a cold one
        p0.get_by_role("button", name="Step").click()
        p0.get_by_text("Memorisation meter").first.wait_for(timeout=120_000)
        wait_idle(p0, timeout=120_000)
        base = rss_mb(proc.pid)
        peak = base
        contexts, labels, configs = [], [], []
        for _ in range(2):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            p = ctx.new_page()
            p.set_default_timeout(180_000)
            open_text_lab(p, url)
            set_slider(
                p, "Hidden units per layer", ["End"] + ["ArrowLeft"] * 24
            )  # 640: two of them fit the default budget
            wait_idle(p, timeout=180_000)
            slide_to(p, "Hidden units per layer", 640)
            open_more_settings(p)  # the number of layers is a rarer setting
            set_slider(p, "Layers", ["ArrowRight"])  # 2
            hidden = int(
                p.locator('[data-testid="stSlider"]')
                .filter(has_text="Hidden units per layer")
                .get_by_role("slider")
                .get_attribute("aria-valuetext")
            )
            cfg = RNNConfig(hidden=hidden, layers=2)
            configs.append(cfg)
            assert training_bytes(66, cfg) < SESSION_SHARE * SERVER_BUDGET_MB * MB  # a size the budget allows
            n = count_params(66, cfg)  # the bundled Shakespeare has 66 characters
            p.get_by_text(f"{n:,} parameters").first.wait_for(timeout=180_000)
            wait_idle(p, timeout=180_000)
            label = f"LSTM {hidden}×2"  # the loss chart's summary names the run once it trained
            labels.append(label)
            for _ in range(10):  # Step until the new model has trained (a build still under way takes the first click)
                wait_idle(p, timeout=180_000)
                p.get_by_role("button", name="Step").click()
                try:
                    p.wait_for_function(CHART_NAMES, arg=label, timeout=20_000)
                    break
                except PlaywrightTimeout:
                    continue
            p.wait_for_function(CHART_NAMES, arg=label, timeout=1_000)
            wait_idle(p, timeout=180_000)
            peak = max(peak, rss_mb(proc.pid))
            contexts.append(ctx)
        with_models = rss_mb(proc.pid)
        for ctx in contexts:
            ctx.close()
        # what the reload store keeps of each lab (core/server/recovery.py): its float32 weights and at most the time-
        # lapse's
        # snapshots (core/models/timelapse.py: float32 copies, at least 2, within MAX_BYTES)
        # + the best validation weights (core.models.trainer.BestKeeper: one float32 copy)
        kept = (
            sum(
                count_params(66, c) * 4 * (2 + max(2, min(30, MAX_BYTES // (count_params(66, c) * 4)))) for c in configs
            )
            // MB
        )
        limit = base + kept + RESIDUAL_MB
        t0 = time.monotonic()
        now = rss_mb(proc.pid)
        while now > limit and time.monotonic() - t0 < 180:  # Streamlit keeps a closed tab's session 2 min
            time.sleep(2)
            now = rss_mb(proc.pid)
        took = time.monotonic() - t0
        print(
            f"\nserver RSS: {base} MB with TensorFlow loaded, {with_models} MB with {' and '.join(labels)} trained "
            f"(peak {peak}), "
            f"{now} MB {took:.0f} s after their tabs closed ({kept} MB of it their weights, best weights and "
            "time-lapse snapshots, kept for a reload)"
        )
        assert with_models > base + 300, "the large models should have taken memory to begin with"
        assert now <= limit
        assert_no_exception(p0)
        keep.close()
    finally:
        app.stop()
