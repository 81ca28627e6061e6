"""Soak run: one browser session trains with the live chart for a long time; memory and the chart must stay flat.

Starts `streamlit run app.py` on 127.0.0.1, opens a lab in Debian's Chromium, presses Start and, every
`--every` seconds for `--minutes` minutes, records:
- the server's resident memory (RSS of the streamlit process),
- the number of points the loss chart holds (histories are decimated, so this must stay bounded),
- how long the page takes to show a new training counter value (the chart's refresh latency),
- the browser tab's JS heap size.
Results: docs/soak.md (a table, newest run first) and test-artifacts/soak.json. Bounded in time; loopback only.

    .venv/bin/python scripts/soak.py --minutes 20 --lab dinosaurs
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: deploy/
from deploy.app_server import AppServer  # noqa: E402
from deploy.load import CHROMIUM_ARGS, LABS, address, prepend_run, read_counter, rss_kb  # noqa: E402

CHART_POINTS_JS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  if (!plots.length || !plots[0].data) return null;
  return plots[0].data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
}"""


def refresh_latency(page, label: str, timeout_s: float = 30.0) -> float | None:
    """Seconds until the training counter shows a new value."""
    start_value = read_counter(page, label)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        v = read_counter(page, label)
        if v is not None and v != start_value:
            return time.perf_counter() - t0
        page.wait_for_timeout(50)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    ap.add_argument("--lab", choices=sorted(LABS), default="dinosaurs")
    ap.add_argument("--report", default=str(ROOT / "docs" / "soak.md"))
    args = ap.parse_args()
    lab = LABS[args.lab]
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    app = AppServer.start(art / "soak-server.log")
    server = app.proc
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(120_000)
            page.goto(app.url + address(args.lab))
            page.get_by_role("button", name="▶ Start").wait_for()
            if args.lab == "dinosaurs":
                # a budget that outlasts the soak, so training never finishes by itself
                box = page.get_by_label("Iterations (names to train on)")
                box.fill("500000")
                box.press("Enter")
                page.wait_for_timeout(1500)
            page.get_by_role("button", name="▶ Start").click()
            t_start = time.perf_counter()
            while True:
                elapsed = time.perf_counter() - t_start
                heap = page.evaluate("() => (performance.memory ? performance.memory.usedJSHeapSize : 0)")
                rows.append(
                    {
                        "t_s": round(elapsed),
                        "rss_mb": round(rss_kb(server.pid) / 1024, 1),
                        "counter": read_counter(page, lab["counter"]),
                        "chart_points": page.evaluate(CHART_POINTS_JS),
                        "refresh_s": (lambda x: None if x is None else round(x, 2))(
                            refresh_latency(page, lab["counter"])
                        ),
                        "js_heap_mb": round(heap / 2**20, 1),
                    }
                )
                print(rows[-1], flush=True)
                if elapsed >= args.minutes * 60:
                    break
                page.wait_for_timeout(int(args.every * 1000))
            errors = page.locator('[data-testid="stException"]').count()
            page.screenshot(path=str(art / "soak-end.png"))
            browser.close()
    finally:
        app.stop()
    third = max(1, len(rows) // 3)
    early, late = rows[:third], rows[-third:]
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "lab": args.lab,
        "minutes": args.minutes,
        "rss_first_mb": rows[0]["rss_mb"],
        "rss_early_median_mb": statistics.median(r["rss_mb"] for r in early),
        "rss_late_median_mb": statistics.median(r["rss_mb"] for r in late),
        "rss_max_mb": max(r["rss_mb"] for r in rows),
        "chart_points_max": max((r["chart_points"] or 0) for r in rows),
        "refresh_early_median_s": statistics.median(
            [r["refresh_s"] for r in early if r["refresh_s"] is not None] or [float("nan")]
        ),
        "refresh_late_median_s": statistics.median(
            [r["refresh_s"] for r in late if r["refresh_s"] is not None] or [float("nan")]
        ),
        "final_counter": rows[-1]["counter"],
        "exceptions_on_screen": errors,
        "rows": rows,
    }
    (art / "soak.json").write_text(json.dumps(summary, indent=2))
    write_report(Path(args.report), summary)
    print({k: v for k, v in summary.items() if k != "rows"})


def write_report(path: Path, s: dict) -> None:
    head = "# Soak run\n\nProduced by `scripts/soak.py` (see its docstring). Newest run first.\n\n"
    table = (
        "| t (s) | server RSS (MB) | counter | chart points | refresh (s) | tab JS heap (MB) "
        "|\n|---|---|---|---|---|---|\n"
    )
    table += "".join(
        f"| {r['t_s']} | {r['rss_mb']} | {r['counter']} | {r['chart_points']} | {r['refresh_s']} | {r['js_heap_mb']} "
        "|\n"
        for r in s["rows"]
    )
    run = (
        f"## {s['date']}: {s['minutes']} min in the {s['lab']} lab\n\n"
        f"- server RSS: first {s['rss_first_mb']} MB, median of the first third {s['rss_early_median_mb']} MB, "
        f"of the last third {s['rss_late_median_mb']} MB, max {s['rss_max_mb']} MB\n"
        f"- chart points (all series): at most {s['chart_points_max']}\n"
        f"- time to show a new counter value: median {s['refresh_early_median_s']:.2f} s early, "
        f"{s['refresh_late_median_s']:.2f} s late\n"
        f"- tracebacks on screen: {s['exceptions_on_screen']}; trained to {s['final_counter']:,}\n\n"
        f"{table}\n"
    )
    prepend_run(path, head, run)


if __name__ == "__main__":
    main()
