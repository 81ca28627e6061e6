"""Classroom load test: N browser sessions all training at once against one `streamlit run app.py` server.

Starts the app on 127.0.0.1 (a free port), opens N isolated Playwright contexts in Debian's Chromium, has
each one start training in a lab, and for a bounded time measures:
- progress per session (training steps per second, read from the page's own counter),
- page response time (a fresh session loading the home page while the others train),
- the server's resident memory (peak RSS of the streamlit process, sampled every second).
Everything stays on loopback and stops by itself. Results go to docs/load-test.md and, as JSON, to
test-artifacts/load-test.json.

    .venv/bin/python scripts/load_test.py --sessions 10 --seconds 90 --lab dinosaurs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]

# What to press and which counter to read, per lab. The counter is a st.metric on the page.
LABS = {
    "dinosaurs": {"path": "/dinosaurs", "counter": "Names trained on", "unit": "names"},
    "text": {"path": "/text", "counter": "Step", "unit": "optimizer steps"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children, in KiB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the app did not start")


def read_counter(page, label: str) -> int | None:
    """The integer shown by the st.metric called `label` (None if not on screen yet)."""
    loc = page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')
    if loc.count() == 0:
        return None
    digits = re.sub(r"[^0-9]", "", loc.first.inner_text())
    return int(digits) if digits else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=90.0, help="how long all sessions train together")
    ap.add_argument("--lab", choices=sorted(LABS), default="dinosaurs")
    ap.add_argument("--report", default=str(ROOT / "docs" / "load-test.md"))
    ap.add_argument("--release-wait", type=float, default=150.0, help="seconds to wait after the sessions close")
    args = ap.parse_args()
    lab = LABS[args.lab]
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(port, art / "load-test-server.log")
    peak = {"rss": 0, "samples": []}
    stop = threading.Event()

    def sample_memory() -> None:
        while not stop.is_set():
            r = rss_kb(server.pid)
            peak["rss"] = max(peak["rss"], r)
            peak["samples"].append(r)
            stop.wait(1.0)

    mem_thread = threading.Thread(target=sample_memory, daemon=True)
    mem_thread.start()
    baseline_rss = rss_kb(server.pid)
    results: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            # one quiet page load first: the response time without load
            ctx = browser.new_context()
            p = ctx.new_page()
            t0 = time.perf_counter()
            p.goto(url)
            p.get_by_role("heading", name="RNN Playground").wait_for(timeout=60_000)
            idle_home_s = time.perf_counter() - t0
            ctx.close()

            pages = []
            for i in range(args.sessions):
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                page = ctx.new_page()
                page.set_default_timeout(120_000)
                page.goto(url + lab["path"])
                page.get_by_role("button", name="▶ Start").wait_for()
                pages.append(page)
            for page in pages:
                page.get_by_role("button", name="▶ Start").click()
            time.sleep(5)  # let every session get going
            start_counts = [read_counter(p, lab["counter"]) or 0 for p in pages]
            t_start = time.perf_counter()
            # page response while everyone trains: fresh sessions loading the home page
            loaded_home_s = []
            while time.perf_counter() - t_start < args.seconds:
                ctx = browser.new_context()
                p = ctx.new_page()
                t0 = time.perf_counter()
                p.goto(url)
                p.get_by_role("heading", name="RNN Playground").wait_for(timeout=120_000)
                loaded_home_s.append(time.perf_counter() - t0)
                ctx.close()
                time.sleep(max(0.0, min(10.0, args.seconds - (time.perf_counter() - t_start))))
            elapsed = time.perf_counter() - t_start
            end_counts = [read_counter(p, lab["counter"]) or 0 for p in pages]
            rates = [(e - s) / elapsed for s, e in zip(start_counts, end_counts)]
            errors = sum(p.locator('[data-testid="stException"]').count() for p in pages)
            pages[0].screenshot(path=str(art / "load-test-session0.png"))
            rss_all_training = rss_kb(server.pid)
            for p in pages:
                p.context.close()
            # Streamlit keeps a disconnected session ~2 minutes for a reconnect, then drops it
            time.sleep(args.release_wait)
            ctx = browser.new_context()
            p = ctx.new_page()
            p.goto(url)
            p.get_by_role("heading", name="RNN Playground").wait_for(timeout=60_000)
            ctx.close()
            time.sleep(5)
            rss_after_close = rss_kb(server.pid)
            browser.close()
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "lab": args.lab,
        "sessions": args.sessions,
        "seconds": round(elapsed, 1),
        "unit": lab["unit"],
        "rate_per_session": [round(r, 1) for r in rates],
        "rate_min": round(min(rates), 1),
        "rate_median": round(statistics.median(rates), 1),
        "all_progressing": all(r > 0 for r in rates),
        "home_load_idle_s": round(idle_home_s, 2),
        "home_load_under_load_s": [round(x, 2) for x in loaded_home_s],
        "home_load_under_load_max_s": round(max(loaded_home_s), 2),
        "server_rss_baseline_mb": round(baseline_rss / 1024, 1),
        "server_rss_peak_mb": round(peak["rss"] / 1024, 1),
        "server_rss_all_training_mb": round(rss_all_training / 1024, 1),
        "server_rss_after_sessions_closed_mb": round(rss_after_close / 1024, 1),
        "release_wait_s": args.release_wait,
        "exceptions_on_screen": errors,
    }
    (art / "load-test.json").write_text(json.dumps(results, indent=2))
    write_report(Path(args.report), results)
    print(json.dumps(results, indent=2))
    if not results["all_progressing"] or errors:
        raise SystemExit("FAILED: a session stopped making progress or showed an error")


def write_report(path: Path, r: dict) -> None:
    """Append this run to the report (newest first), keeping earlier runs below it."""
    head = "# Load test\n\nProduced by `scripts/load_test.py` (see its docstring). Newest run first.\n\n"
    run = (
        f"## {r['date']}: {r['sessions']} sessions training in the {r['lab']} lab for {r['seconds']} s\n\n"
        f"Machine: {r['machine']['cores']} cores, Python {r['machine']['python']}.\n\n"
        "| figure | value |\n|---|---|\n"
        f"| training rate per session ({r['unit']}/s), min / median | {r['rate_min']} / {r['rate_median']} |\n"
        f"| every session kept making progress | {'yes' if r['all_progressing'] else 'NO'} |\n"
        f"| home page load, idle server (s) | {r['home_load_idle_s']} |\n"
        f"| home page load while all train, worst of {len(r['home_load_under_load_s'])} (s) | {r['home_load_under_load_max_s']} |\n"
        f"| server RSS before sessions / peak (MB) | {r['server_rss_baseline_mb']} / {r['server_rss_peak_mb']} |\n"
        f"| server RSS with all training / {r['release_wait_s']:.0f} s after every session closed (MB) | "
        f"{r['server_rss_all_training_mb']} / {r['server_rss_after_sessions_closed_mb']} |\n"
        f"| tracebacks on screen | {r['exceptions_on_screen']} |\n\n"
        f"Per-session rates: {r['rate_per_session']}\n\n"
    )
    prepend_run(path, head, run)


def prepend_run(path: Path, head: str, run: str) -> None:
    """Write a report as `head`, then this run, then the runs already in it (newest first)."""
    old = path.read_text() if path.exists() else ""
    old = old[len(head):] if old.startswith(head) else ""
    path.write_text(head + run + old)


if __name__ == "__main__":
    main()
