"""The Text lab's training throughput in a real browser (full mode, best effort).

``streamlit run app.py`` on a free loopback port, Debian's Chromium driven by Playwright (the e2e tests'
setup): open the Text lab with its defaults (bundled Shakespeare, LSTM 256), press Start, read the page's
"N characters seen" caption twice, ``seconds`` apart. Characters per second = difference / wall time: what a
student's session really gets, with the fragment timer, chart rendering and the browser on the same cores.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT, log

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metric(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^{re.escape(label)}$")))
    return m.first.locator('[data-testid="stMetricValue"]').inner_text()


def _int(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text) or 0)


def _seen(page) -> int:
    txt = page.get_by_text(re.compile(r"characters seen")).first.inner_text()
    m = re.search(r"([\d,]+) characters seen", txt)
    return _int(m.group(1)) if m else 0


def run(seconds: float = 30.0) -> dict:
    if not Path(CHROMIUM).exists():
        return dict(error=f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return dict(error="playwright is not installed (requirements-dev.txt)")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    return dict(error="streamlit did not start")
                time.sleep(0.3)
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = b.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(120_000)
            page.goto(url + "/text")
            page.get_by_role("button", name="▶ Start").wait_for()
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            caption = page.get_by_text(re.compile(r"parameters")).first.inner_text()
            page.get_by_role("button", name="▶ Start").click()
            t_click = time.perf_counter()
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
                     m.innerText.startsWith('Step') && parseInt(m.innerText.split('\\n').pop().replace(/[^0-9]/g, '')) > 0)"""
            )
            first_point = time.perf_counter() - t_click
            page.wait_for_timeout(3000)  # past the first slices (tracing)
            s0, c0, t0 = _int(_metric(page, "Step")), _seen(page), time.perf_counter()
            page.wait_for_timeout(seconds * 1000)
            s1, c1, t1 = _int(_metric(page, "Step")), _seen(page), time.perf_counter()
            rate_shown = _metric(page, "Characters/s")
            b.close()
        steps = s1 - s0
        log(f"[browser] {steps} steps, {c1 - c0:,} characters in {t1 - t0:.1f} s; page says {rate_shown} chars/s")
        return dict(chars_per_s=(c1 - c0) / (t1 - t0), steps=steps, chars=c1 - c0, seconds=round(t1 - t0, 2), first_point_s=round(first_point, 2),
                    page_chars_per_s_metric=rate_shown, caption=caption[:200])
    except Exception as exc:  # noqa: BLE001 - best effort: recorded, never fatal
        return dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
