"""Classroom load test across replicas: the same workload on a class of R = 1 and R = 2 Streamlit processes.

Starts both classes with deploy/serve_class.py (each: R replicas behind its own HAProxy, all on 127.0.0.1,
free ports) and runs, on each in turn, the same workload:
1. `--dino-sessions` sessions (10) training the Dinosaur lab at its defaults, measured for `--seconds`;
2. then `--text-sessions` sessions (4) training the Text lab at its defaults, measured for `--seconds`.
The phases run in the order Dinosaur R=1, Dinosaur R=2, Text R=1, Text R=2, so each comparison is close in time
on a machine whose other load changes.

How a session is driven. In a class the students' browsers run on their own machines; here they would share
the server's cores (ten headless Chromium tabs redrawing their charts take about a core of their own). So
`--browsers` sessions of each phase (default 1) are real Chromium tabs, and the others are protocol clients
(`Bot`): each opens the app's WebSocket through HAProxy exactly as the page does (first a GET for the
stickiness cookie), asks for the lab's page, presses Start, and from then on asks for the live fragment's
reruns on the timer the server sets (the `auto_rerun` message), as the browser's timer does. The server does
all its work for them (training slices, building and sending the charts); they just don't draw. Figures:
- training throughput: the lab's own counter ("Names trained on", "Step") as the server sends it, per session
  and in total;
- refresh gap: seconds between two training refreshes of a session (server to tab), and for the Chromium
  tab also as drawn on screen (a MutationObserver on the counter);
- home page load: a fresh Chromium context loading the home page through HAProxy while the phase trains;
- memory per replica (peak RSS), CPU used by the replicas, by this test (browsers, bots) and by everything
  else on the machine (from /proc/stat), so a noisy run can be told from a fair one;
- sessions lost (disconnected or no progress in the last 10 s) and tracebacks on screen (exception elements
  sent to any session): both must be 0.
With --capacity, the largest class then runs a ramp per lab (Dinosaur, Text, Music; protocol sessions only):
2, 4, 6, ... sessions per replica, until a step no longer keeps up (`keeps_up`: every session keeps training,
the median refresh gap is at most 1.05 s and 9 in 10 are at most 1.5 s). With one replica per core, that is
the number of training sessions per core that docs/classroom.md's capacity table gives.
With --memory, instead, the memory run: one plain `streamlit run app.py` with the default memory budget
(core/server/budget.py; RNNP_SERVER_BUDGET_MB in this environment changes it), `--memory-defaults` (10) Text-lab
sessions at
the page's default sizes (the first a Chromium tab, alone at first: the server with TensorFlow loaded) and
`--memory-large` (2) protocol sessions that move the hidden size, layers and embedding sliders to their maximum;
the page refuses what does not fit and offers the largest size that does, which they take ("Use … instead", as a
student would), then Start. All train together for `--memory-seconds`; then every tab closes and the server's
resident memory is followed until it settles (the reload store hibernates closed tabs' models within ~5 s).
Reports peak and final RSS against the budget, sessions lost and tracebacks; fails when the budget did not hold.
Everything stays on loopback and stops by itself (each phase has a time limit). Results go to
docs/load-test.md (newest first) and test-artifacts/load-test.json (load-test-memory.json for the memory run).

    .venv/bin/python scripts/load_test.py                     # 10 Dinosaur + 4 Text sessions, R = 1 and 2, 60 s each
    .venv/bin/python scripts/load_test.py --seconds 20 --dino-sessions 4 --text-sessions 2 --no-report   # a quick try
    .venv/bin/python scripts/load_test.py --replicas 2 --dino-sessions 0 --text-sessions 0 --capacity     # the ramp
    only
    .venv/bin/python scripts/load_test.py --memory                             # the memory run (about 4-6 minutes)
    .venv/bin/python scripts/load_test.py --memory --memory-defaults 2 --memory-large 1 --memory-seconds 20 --no-report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: deploy/ and core/ (the budget, default sizes; no TensorFlow)
from deploy.app_server import free_port  # noqa: E402
from deploy.load import (  # noqa: E402
    CHROMIUM_ARGS,
    capacity_ramp,
    home_load,
    memory_problems,
    memory_run,
    run_phase,
    write_memory_report,
    write_report,
)
from deploy.serve_class import ClassConfig, ClassServer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--replicas", default="1,2", help="the class sizes to compare, comma-separated (default %(default)s)"
    )
    ap.add_argument(
        "--dino-sessions", type=int, default=10, help="sessions training the Dinosaur lab at once (default %(default)s)"
    )
    ap.add_argument(
        "--text-sessions",
        type=int,
        default=4,
        help="sessions training the Text lab at once (default %(default)s; 0: skip)",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="measured time of each phase (default %(default)s)")
    ap.add_argument(
        "--browsers",
        type=int,
        default=1,
        help="sessions of each phase that are real Chromium tabs (default %(default)s)",
    )
    ap.add_argument(
        "--capacity",
        action="store_true",
        help="then, on the largest class, raise the sessions per replica step by step until a lab's chart no longer "
        "refreshes once a second",
    )
    ap.add_argument(
        "--ramp-seconds", type=float, default=25.0, help="measured time of each capacity step (default %(default)s)"
    )
    ap.add_argument(
        "--capacity-labs", default="dinosaurs,text,music", help="labs of the capacity ramp (default %(default)s)"
    )
    ap.add_argument(
        "--ramp-from",
        default="",
        metavar="LAB=N,...",
        help="start a lab's ramp at N sessions per replica (e.g. text=4)",
    )
    ap.add_argument(
        "--memory",
        action="store_true",
        help="instead: the memory run (one `streamlit run app.py`, Text-lab sessions at the default and the largest "
        "sizes)",
    )
    ap.add_argument(
        "--memory-defaults",
        type=int,
        default=10,
        help="memory run: sessions at the Text lab's default sizes (default %(default)s)",
    )
    ap.add_argument(
        "--memory-large",
        type=int,
        default=2,
        help="memory run: sessions asking for the largest size (default %(default)s)",
    )
    ap.add_argument(
        "--memory-seconds",
        type=float,
        default=75.0,
        help="memory run: time all sessions train together (default %(default)s)",
    )
    ap.add_argument(
        "--settle-seconds",
        type=float,
        default=120.0,
        help="memory run: longest wait for the server's memory to settle after the tabs close (default %(default)s)",
    )
    ap.add_argument("--report", default=str(ROOT / "docs" / "load-test.md"))
    ap.add_argument("--no-report", action="store_true", help="print and write the JSON only")
    args = ap.parse_args()
    if args.memory:
        return main_memory(args)
    sizes = [int(x) for x in args.replicas.split(",") if x.strip()]
    start = {k: int(v) for k, v in (kv.split("=") for kv in args.ramp_from.split(",") if kv.strip())}
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = [round(x, 2) for x in os.getloadavg()]
    servers = {}
    results: dict = {"phases": []}
    try:
        for r in sizes:
            cfg = ClassConfig(
                replicas=r,
                port=free_port(),
                address="127.0.0.1",
                first_replica_port=0,
                state_dir=art / f"load-test-class-R{r}",
            )
            servers[r] = ClassServer(cfg, quiet=True).start()
            print(f"class R={r}: {servers[r].url}", flush=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            idle_home = {r: round(home_load(browser, servers[r].url), 2) for r in sizes}
            for lab, n in (("dinosaurs", args.dino_sessions), ("text", args.text_sessions)):
                if n <= 0:
                    continue
                for r in sizes:
                    phase = run_phase(
                        servers[r], browser, lab, n, min(args.browsers, n), args.seconds, art, f"{lab}-R{r}"
                    )
                    phase["home_load_idle_s"] = idle_home[r]
                    results["phases"].append(phase)
            if args.capacity:
                results["capacity"] = capacity_ramp(
                    servers[max(sizes)], browser, args.ramp_seconds, art, args.capacity_labs.split(","), start
                )
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    results.update(
        {
            "date": started,
            "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
            "loadavg_before": load_before,
            "seconds": args.seconds,
            "browsers": args.browsers,
        }
    )
    dino = {p["replicas"]: p for p in results["phases"] if p["lab"] == "dinosaurs"}
    if 1 in dino and 2 in dino and dino[1]["total_rate"]:
        results["dino_speedup_R2_over_R1"] = round(dino[2]["total_rate"] / dino[1]["total_rate"], 2)
    (art / "load-test.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "phases"}, indent=2))
    if not args.no_report:
        write_report(Path(args.report), results)
    bad = [p for p in results["phases"] if p["sessions_lost"] or p["tracebacks"]]
    if bad:
        raise SystemExit(
            "FAILED: a session was lost or a traceback reached a page: "
            + ", ".join(f"{p['lab']} R={p['replicas']}" for p in bad)
        )


def main_memory(args) -> None:
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            res = memory_run(
                browser,
                defaults=args.memory_defaults,
                large=args.memory_large,
                browsers=args.browsers,
                seconds=args.memory_seconds,
                settle_s=args.settle_seconds,
                art=art,
            )
        finally:
            browser.close()
    (art / "load-test-memory.json").write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if k not in ("sessions", "rss_timeline_mb")}, indent=2))
    if not args.no_report:
        write_memory_report(Path(args.report), res)
    problems = memory_problems(res)
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


if __name__ == "__main__":
    main()
