"""The Text lab in a real browser (full mode, best effort).

``streamlit run app.py`` on a free loopback port, Debian's Chromium driven by Playwright (the e2e tests'
setup), the Text lab with its defaults (bundled Shakespeare, LSTM 256), Start pressed:

* ``run(seconds)``: training throughput. The page's "N characters seen" caption is read twice, ``seconds``
  apart; characters per second = difference / wall time: what a student's session really gets, with the
  fragment timer, chart rendering and the browser on the same cores. ``training_share``: the share of that wall
  time spent training (the page's Training time metric), which a busy machine changes less than the speed.
* ``versus_fit(rounds, seconds)``: target 1d, the lab in the browser against a plain ``model.fit`` of the same
  model, alternated round by round (``python -m bench.browser fit``).
* ``newcomer(seconds)``: a newcomer's first minute. After a minute: the validation loss, the live sample and its
  real-word check, and how often the page refreshed. ``python -m bench.browser [seconds]`` prints it."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import log
from deploy.app_server import AppServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def _metric(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    return m.first.locator('[data-testid="stMetricValue"]').inner_text()


def _int(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text) or 0)


def _clock(text: str) -> int:
    """The Training time metric "m:ss" -> seconds."""
    m, _, sec = text.strip().partition(":")
    return int(m or 0) * 60 + int(sec or 0)


def _seen(page) -> int:
    txt = page.get_by_text(re.compile(r"characters seen")).first.inner_text()
    m = re.search(r"([\d,]+) characters seen", txt)
    return _int(m.group(1)) if m else 0


def _shown_rate(page) -> str:
    """The rate the page writes after "characters seen" ("…, 234,253 a second.")."""
    txt = page.get_by_text(re.compile(r"characters seen")).first.inner_text()
    m = re.search(r"([\d,]+) a second", txt)
    return m.group(1) if m else ""


_SEEN_JS = """() => {
    const e = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
        .find(e => / characters seen/.test(e.innerText));
    const m = e && e.innerText.match(/([\\d,]+) characters seen/);
    return m ? Number(m[1].replace(/,/g, '')) : null;
}"""


def _next_refresh(page, timeout_s: float = 60.0) -> tuple[int, float]:
    """Wait for the page's "characters seen" to change (a slice has ended and the page redrawn) and return
    (characters, perf_counter) at that moment. The browser polls every 50 ms, so the time is the refresh's to
    ~50 ms: a rate measured between two refreshes counts whole slices, with all their overheads, and is not
    skewed by where a fixed window happens to cut the 3-s slices (up to ±15% of a 20-s window)."""
    before = page.evaluate(_SEEN_JS)
    page.wait_for_function(
        f"(b) => {{ const v = ({_SEEN_JS})(); return v !== null && v !== b; }}",
        arg=before,
        polling=50,
        timeout=timeout_s * 1000,
    )
    t = time.perf_counter()
    return int(page.evaluate(_SEEN_JS)), t


@contextlib.contextmanager
def _text_lab():
    """``streamlit run app.py`` on a free port and a Chromium page on the Text lab, idle, with its defaults."""
    from playwright.sync_api import sync_playwright

    with AppServer.started() as app:
        url = app.url
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = b.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(120_000)
            page.goto(url + "/text")
            page.get_by_role("button", name="▶ Start").wait_for()
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            try:
                yield page
            finally:
                b.close()


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


def _started(page) -> float:
    """Press Start; seconds until the Step metric shows a first step."""
    page.get_by_role("button", name="▶ Start").click()
    t_click = time.perf_counter()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
             m.innerText.startsWith('Step') && parseInt(m.innerText.split('\\n').pop().replace(/[^0-9]/g, '')) > 0)"""
    )
    return time.perf_counter() - t_click


def run(seconds: float = 30.0) -> dict:
    """Characters per second the Text lab trains at in a real browser, measured over ``seconds``."""
    if (why := _unavailable()) is not None:
        return dict(error=why)
    try:
        with _text_lab() as page:
            caption = page.get_by_text(re.compile(r"parameters")).first.inner_text()
            first_point = _started(page)
            page.wait_for_timeout(3000)  # past the first slices (tracing)
            s0, c0, e0, t0 = (
                _int(_metric(page, "Step")),
                _seen(page),
                _clock(_metric(page, "Training time")),
                time.perf_counter(),
            )
            page.wait_for_timeout(seconds * 1000)
            s1, c1, e1, t1 = (
                _int(_metric(page, "Step")),
                _seen(page),
                _clock(_metric(page, "Training time")),
                time.perf_counter(),
            )
            rate_shown = _shown_rate(page)
        steps = s1 - s0
        log(f"[browser] {steps} steps, {c1 - c0:,} characters in {t1 - t0:.1f} s; page says {rate_shown} chars/s")
        return dict(
            chars_per_s=(c1 - c0) / (t1 - t0),
            steps=steps,
            chars=c1 - c0,
            seconds=round(t1 - t0, 2),
            first_point_s=round(first_point, 2),
            training_share=round((e1 - e0) / (t1 - t0), 3),  # of wall time inside train_steps (±1 s of the m:ss metric)
            page_chars_per_s_metric=rate_shown,
            caption=caption[:200],
        )
    except Exception as exc:  # noqa: BLE001 - best effort: recorded, never fatal
        return dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")


def versus_fit(rounds: int = 3, seconds: float = 20.0) -> dict:
    """Issue #14's 1d, side by side: the Text lab training in Chromium against a plain ``model.fit`` of the same model
    (its defaults, bundled Shakespeare) in this process, alternated round by round (the lab is stopped while ``fit``
    runs, so they never share the cores). Each round: the lab's characters per second from one refresh of the page's
    "characters seen" to the first refresh ``seconds`` later (whole slices), then ``fit`` for about as long; the ratio
    is the median of the per-round ratios. The lab
    first trains until its slices have their steady length (core.labs.text_lab.TextLab: 3 s once a run has trained a
    minute; the first minute's shorter slices are ``run``'s and ``newcomer``'s business)."""
    if (why := _unavailable()) is not None:
        return dict(error=why)
    from bench.common import bundled_corpus, settings_for
    from bench.competitors import PlainFit
    from core.labs.text_lab import TextLab
    from core.models.keras_model import RNNConfig

    try:
        fit = PlainFit(bundled_corpus(settings_for("full")), RNNConfig(), seconds)
        fit.warm_up()
        lab_rates, fit_rates = [], []
        with _text_lab() as page:
            _started(page)
            deadline = time.perf_counter() + 300
            while _clock(_metric(page, "Training time")) < TextLab.STEADY_S + 2 and time.perf_counter() < deadline:
                page.wait_for_timeout(1000)
            for r in range(rounds):
                c0, t0 = _next_refresh(page)  # from one refresh to the first after ``seconds``: whole slices
                page.wait_for_timeout(seconds * 1000)
                c1, t1 = _next_refresh(page)
                lab_rates.append((c1 - c0) / (t1 - t0))
                page.get_by_role("button", name="■ Stop", exact=True).first.click()
                page.get_by_role("button", name="▶ Start", exact=True).first.wait_for()
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
                fit_rates.append(fit.run())
                log(
                    f"[browser] round {r + 1}: lab {lab_rates[-1]:,.0f} chars/s, plain fit {fit_rates[-1]:,.0f} chars/s"
                )
                if r + 1 < rounds:
                    page.get_by_role("button", name="▶ Start", exact=True).first.click()
                    page.wait_for_timeout(2000)  # the first refresh after Start
        ratios = [a / b for a, b in zip(lab_rates, fit_rates)]
        return dict(
            ratio=float(np.median(ratios)),
            ratios=[round(x, 3) for x in ratios],
            lab_chars_per_s=[round(x) for x in lab_rates],
            fit_chars_per_s=[round(x) for x in fit_rates],
            seconds=seconds,
            config=RNNConfig().label(),
        )
    except Exception as exc:  # noqa: BLE001 - best effort: recorded, never fatal
        return dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")


def newcomer(seconds: float = 60.0, poll_s: float = 0.25) -> dict:
    """A newcomer: the Text lab's defaults (Shakespeare, LSTM 256), Start, and ``seconds`` later the
    validation loss, the live sample and its check line, as the page shows them. Also how often the page
    refreshed: the Step metric is read every ``poll_s`` seconds and the gaps between changes are reported."""
    if (why := _unavailable()) is not None:
        return dict(error=why)
    try:
        with _text_lab() as page:
            first_point = _started(page)
            t0 = time.perf_counter()
            changes, last = [], None
            while (now := time.perf_counter()) - t0 < seconds:
                step = _int(_metric(page, "Step"))
                if step != last:
                    changes.append(now)
                    last = step
                page.wait_for_timeout(poll_s * 1000)
            val = _metric(page, "Validation loss")
            steps = _int(_metric(page, "Step"))
            elapsed = _metric(page, "Training time")
            head = page.locator(
                '[data-testid="stMarkdown"]', has_text=re.compile(r"^Sample at step")
            ).first.inner_text()
            sample = page.locator(
                '[data-testid="stCode"]'
            ).first.inner_text()  # the live sample is the page's first code block
            check = page.locator(
                '[data-testid="stCaptionContainer"]', has_text=re.compile(r"real words|No complete words")
            ).first.inner_text()
            page.get_by_role("button", name="■ Stop", exact=True).first.click()
        gaps = np.diff(changes) if len(changes) > 1 else np.array([np.nan])
        out = dict(
            seconds=seconds,
            first_step_s=round(first_point, 2),
            steps=steps,
            training_time=elapsed,
            val=float(val),
            refresh_gap_median_s=round(float(np.median(gaps)), 3),
            refresh_gap_max_s=round(float(np.max(gaps)), 3),
            sample_head=head,
            sample=sample,
            check=check,
        )
        log(
            f"[newcomer] {steps} steps in {seconds:g} s (training time {elapsed}), val {val}; refresh every "
            f"{out['refresh_gap_median_s']} s (max {out['refresh_gap_max_s']} s)\n{head}\n{sample}\n{check}"
        )
        return out
    except Exception as exc:  # noqa: BLE001 - best effort: recorded, never fatal
        return dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")


if __name__ == "__main__":
    import json

    if len(sys.argv) > 1 and sys.argv[1] == "speed":  # python -m bench.browser speed [seconds]
        print(json.dumps(run(float(sys.argv[2]) if len(sys.argv) > 2 else 30.0), indent=1))
    elif len(sys.argv) > 1 and sys.argv[1] == "fit":  # python -m bench.browser fit [rounds] [seconds]
        print(
            json.dumps(
                versus_fit(
                    int(sys.argv[2]) if len(sys.argv) > 2 else 3, float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
                ),
                indent=1,
            )
        )
    else:
        print(json.dumps(newcomer(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0), indent=1))
