"""The class scenario: a phase (N sessions train one lab on a class of replicas behind HAProxy, measured after a
warm-up) and the capacity ramp (more protocol sessions per replica at each step until one no longer keeps up)."""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

from deploy.load.bot import Bot
from deploy.load.browser import clock_offset, home_load, open_tab, tab_updates
from deploy.load.labs import LABS
from deploy.load.measure import STALL_S, gaps_of, keeps_up, pct, rate
from deploy.load.proc import CpuMeter, rss_kb
from deploy.serve_class import ClassServer


def run_phase(
    server: ClassServer,
    browser,
    lab: str,
    sessions: int,
    browsers: int,
    seconds: float,
    art: Path,
    tag: str,
    home_every: float | None = 10.0,
) -> dict:
    """`sessions` sessions train `lab` on `server`; measures for `seconds` after a warm-up (a fresh home page load
    every `home_every` seconds; None: none). Bounded in time."""
    url = server.url
    replica_pids = {c.name: c.proc.pid for c in server.replicas}
    n_bots = max(0, sessions - browsers)
    print(
        f"[{tag}] {sessions} sessions ({n_bots} protocol clients, {sessions - n_bots} Chromium tabs) on "
        f"{len(replica_pids)} replica(s)",
        flush=True,
    )
    rss_peak = {rid: 0 for rid in replica_pids}
    rss_idle = {rid: rss_kb(pid) for rid, pid in replica_pids.items()}
    sampling = threading.Event()

    def sample_memory() -> None:
        while not sampling.is_set():
            for rid, pid in replica_pids.items():
                rss_peak[rid] = max(rss_peak[rid], rss_kb(pid))
            sampling.wait(1.0)

    mem = threading.Thread(target=sample_memory, daemon=True)
    mem.start()
    bots = [Bot(url, lab) for _ in range(n_bots)]
    tabs = []
    setup_limit = time.perf_counter() + 300  # the Text lab's first session loads TensorFlow in every replica
    try:
        for b in bots:
            b.start()
            time.sleep(0.2)  # one after another, as students arrive (and so HAProxy's leastconn sees the others)
        for _ in range(sessions - n_bots):
            tabs.append(open_tab(browser, url, lab, timeout_ms=300_000))
        for b in bots:
            while not (b.started.is_set() and b.updates and b.updates[-1][1] > 0):
                if b.closed_early or time.perf_counter() > setup_limit:
                    break
                time.sleep(0.2)
        time.sleep(LABS[lab]["warmup_s"])
        cpu = CpuMeter(list(replica_pids.values()))
        cpu.start()
        t0 = time.perf_counter()
        homes = []
        while time.perf_counter() - t0 < seconds:
            if home_every is not None:
                homes.append(home_load(browser, url))
            time.sleep(max(0.0, min(home_every or seconds, seconds - (time.perf_counter() - t0))))
        t1 = time.perf_counter()
        cpu_use = cpu.stop()
        tab_data = []
        for page, rid in tabs:
            offset = clock_offset(page)
            tab_data.append(
                {
                    "replica": rid,
                    "updates": tab_updates(page, offset),
                    "exceptions": page.locator('[data-testid="stException"]').count(),
                    "disconnected": page.get_by_text("Connection error").count() > 0,
                }
            )
        if tabs:
            tabs[0][0].screenshot(path=str(art / f"load-test-{tag}.png"))
    finally:
        for b in bots:
            b.stop()
        for page, _ in tabs:
            page.context.close()
        sampling.set()
        mem.join(5)

    per_session = []
    for b in bots:
        r = rate(b.updates, t0, t1)
        last = b.updates[-1][0] if b.updates else 0.0
        per_session.append(
            {
                "kind": "protocol",
                "replica": b.replica,
                "rate": r,
                "gaps": gaps_of(b.updates, t0, t1),
                "exceptions": b.exceptions,
                "errors": b.errors,
                "lost": bool(b.closed_early) or r is None or r <= 0 or t1 - last > STALL_S,
                "why": b.closed_early,
            }
        )
    for d in tab_data:
        r = rate(d["updates"], t0, t1)
        last = d["updates"][-1][0] if d["updates"] else 0.0
        per_session.append(
            {
                "kind": "chromium",
                "replica": d["replica"],
                "rate": r,
                "gaps": gaps_of(d["updates"], t0, t1),
                "exceptions": d["exceptions"],
                "errors": [],
                "lost": d["disconnected"] or r is None or r <= 0 or t1 - last > STALL_S,
                "why": "connection error" if d["disconnected"] else "",
            }
        )
    rates = [s["rate"] or 0.0 for s in per_session]
    server_gaps = [g for s in per_session if s["kind"] == "protocol" for g in s["gaps"]]
    screen_gaps = [g for s in per_session if s["kind"] == "chromium" for g in s["gaps"]]
    split: dict[str, int] = {}
    for s in per_session:
        split[s["replica"]] = split.get(s["replica"], 0) + 1
    out = {
        "lab": lab,
        "unit": LABS[lab]["unit"],
        "replicas": len(replica_pids),
        "sessions": sessions,
        "browsers": len(tab_data),
        "seconds": round(t1 - t0, 1),
        "sessions_per_replica": dict(sorted(split.items())),
        "total_rate": round(sum(rates), 1),
        "rate_min": round(min(rates), 1),
        "rate_median": round(statistics.median(rates), 1),
        "rates": [round(r, 1) for r in rates],
        "gap_median_s": round(statistics.median(server_gaps), 2) if server_gaps else None,
        "gap_p90_s": round(pct(server_gaps, 0.9), 2) if server_gaps else None,
        "gap_max_s": round(max(server_gaps), 2) if server_gaps else None,
        "gaps_over_1s_share": round(sum(g > 1.05 for g in server_gaps) / len(server_gaps), 3) if server_gaps else None,
        "screen_gap_median_s": round(statistics.median(screen_gaps), 2) if screen_gaps else None,
        "screen_gap_max_s": round(max(screen_gaps), 2) if screen_gaps else None,
        "home_load_s": [round(h, 2) for h in homes],
        "home_load_median_s": round(statistics.median(homes), 2) if homes else None,
        "home_load_max_s": round(max(homes), 2) if homes else None,
        "rss_idle_mb": {k: round(v / 1024, 1) for k, v in rss_idle.items()},
        "rss_peak_mb": {k: round(v / 1024, 1) for k, v in rss_peak.items()},
        "cpu": cpu_use,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "sessions_lost": sum(s["lost"] for s in per_session),
        "lost_why": [s["why"] for s in per_session if s["lost"]],
        "tracebacks": sum(s["exceptions"] for s in per_session),
        "error_messages": sorted({e for s in per_session for e in s["errors"]}),
    }
    print(
        f"[{tag}] total {out['total_rate']} {out['unit']}/s, per session min {out['rate_min']} median "
        f"{out['rate_median']}, "
        f"gap median {out['gap_median_s']} max {out['gap_max_s']} s, cpu {cpu_use}, lost {out['sessions_lost']}",
        flush=True,
    )
    return out


# Sessions per replica tried by the capacity ramp, per lab (it stops at the first level that does not keep up).
RAMP = {"dinosaurs": [2, 4, 6, 8, 10, 12, 15], "text": [1, 2, 3, 4, 5, 6], "music": [1, 2, 3, 4, 5, 6]}


def capacity_ramp(
    server: ClassServer, browser, seconds: float, art: Path, labs: list[str], start: dict[str, int]
) -> list[dict]:
    """Per lab: protocol sessions only, more per replica at each step (from `start[lab]`), until the criterion
    (keeps_up) fails."""
    r = len(server.replicas)
    steps = []
    for lab in labs:
        for per in [x for x in RAMP[lab] if x >= start.get(lab, 0)]:
            phase = run_phase(server, browser, lab, per * r, 0, seconds, art, f"capacity-{lab}-{per}", home_every=None)
            phase["per_replica"] = per
            phase["keeps_up"] = keeps_up(phase)
            steps.append(phase)
            if not phase["keeps_up"]:
                break
    return steps
