"""The memory scenario: one app server with the default memory budget, Text-lab sessions at the default size and
some asking for the largest, all training together; then every tab closes and the server's memory is followed
until it settles. What went wrong, in words."""

from __future__ import annotations

import os
import platform
import threading
import time
from pathlib import Path

from deploy.app_server import AppServer
from deploy.load.bot import REFUSED, Bot
from deploy.load.browser import clock_offset, open_lab_page, start_tab, tab_updates
from deploy.load.labs import LABS
from deploy.load.measure import SETTLE_TOL_MB, gaps_of, rate, session_lost, settled, time_to_return
from deploy.load.proc import CpuMeter, rss_kb

SIZE_SLIDERS = {
    "Hidden units per layer": "hidden",
    "Layers": "layers",
    "Embedding size": "embed_dim",
}  # Text lab: label -> RNNConfig field
PEAK_PHASES = {  # memory-run moments (marks) -> what was happening until then
    "tf_loaded": "while the first page loaded TensorFlow",
    "all_started": "while the sessions arrived and built their models",
    "trained": "while all sessions trained",
    "closed": "while the tabs closed",
    "final": "after the tabs closed",
}


def memory_run(
    browser, *, defaults: int, large: int, browsers: int, seconds: float, settle_s: float, art: Path
) -> dict:
    """One `streamlit run app.py` with the default budget (or RNNP_SERVER_BUDGET_MB from this environment):
    `defaults` Text-lab sessions at the page's default sizes (the first one a Chromium tab when `browsers` > 0, alone
    at first, to measure the server with TensorFlow loaded), then `large` protocol sessions that move SIZE_SLIDERS to
    their maximum and take the size the page offers instead; all train together for `seconds`. Then every tab
    closes and the server's memory is followed until it settles (at most `settle_s`). RSS is sampled every 0.5 s
    throughout. Bounded in time; loopback only."""
    from core.server.budget import SESSION_SHARE, server_budget_bytes

    budget_mb = server_budget_bytes() / 2**20
    log_path = art / "load-test-memory-server.log"
    server = AppServer.start(log_path)
    proc, url = server.proc, server.url
    samples: list[tuple[float, float]] = []  # (perf_counter, server RSS in MB)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), rss_kb(proc.pid) / 1024))
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    marks: dict[str, float] = {}  # moment -> perf_counter

    def mark(name: str) -> None:
        marks[name] = time.perf_counter()
        samples.append((marks[name], rss_kb(proc.pid) / 1024))

    mark("fresh")
    load_before = [round(x, 2) for x in os.getloadavg()]
    use_tab = browsers > 0 and defaults > 0
    print(
        f"[memory] server {url}, budget {budget_mb:.0f} MB; {defaults} default sessions ({int(use_tab)} Chromium tab), "
        f"{large} asking for the largest size",
        flush=True,
    )
    bots: list[Bot] = []
    tabs = []
    kinds: list[str] = []  # per bot: "default" or "largest"
    tab_data = []
    setup_limit = time.perf_counter() + 240  # TensorFlow loads, twelve models are built (two large ones)
    try:
        if use_tab:
            page = open_lab_page(browser, url, "text", timeout_ms=240_000)
            mark("tf_loaded")
            tabs.append(start_tab(page, "text"))
        for i in range(defaults - int(use_tab) + large):
            big = i >= defaults - int(use_tab)
            b = Bot(url, "text", ask_max=tuple(SIZE_SLIDERS) if big else ())
            bots.append(b)
            kinds.append("largest" if big else "default")
            b.start()
            if not use_tab and i == 0:  # no tab: the first protocol session measures the server with TensorFlow loaded
                while not b.started.is_set() and not b.closed_early and time.perf_counter() < setup_limit:
                    time.sleep(0.2)
                mark("tf_loaded")
            time.sleep(0.2)  # one after another, as students arrive
        for b in bots:
            while not b.started.is_set() and not b.closed_early and time.perf_counter() < setup_limit:
                time.sleep(0.2)
        mark("all_started")
        time.sleep(LABS["text"]["warmup_s"])
        cpu = CpuMeter([proc.pid])
        cpu.start()
        t0 = time.perf_counter()
        time.sleep(seconds)
        t1 = time.perf_counter()
        cpu_use = cpu.stop()
        mark("trained")
        for page, _ in tabs:
            tab_data.append(
                {
                    "updates": tab_updates(page, clock_offset(page)),
                    "exceptions": page.locator('[data-testid="stException"]').count(),
                    "disconnected": page.get_by_text("Connection error").count() > 0,
                }
            )
            page.screenshot(path=str(art / "load-test-memory.png"))
    finally:
        for b in bots:
            b.stop()
        for page, _ in tabs:
            page.context.close()
        mark("closed")
        try:
            deadline = marks["closed"] + settle_s
            while proc.poll() is None and time.perf_counter() < deadline and not settled(samples, marks["closed"]):
                time.sleep(1.0)
            mark("final")
        finally:
            done.set()
            sampler.join(5)
            server.stop()

    def mb_at(name: str) -> float:
        return round(min(samples, key=lambda s: abs(s[0] - marks[name]))[1], 1)

    peak_t, peak = max(samples, key=lambda s: s[1])
    returned = time_to_return(samples, marks["closed"], mb_at("final") + SETTLE_TOL_MB)
    phase_of_peak = PEAK_PHASES[next((n for n in PEAK_PHASES if n in marks and peak_t <= marks[n]), "final")]
    sessions = []
    for b, kind in zip(bots, kinds):
        sessions.append(
            {
                "kind": kind,
                "rate": rate(b.updates, t0, t1),
                "steps": b.updates[-1][1] if b.updates else 0,
                "params": b.params,
                "refusals": len(b.refusals),
                "accepted": b.accepted,
                "max_gap_s": round(max(gaps_of(b.updates, t0, t1), default=0.0), 1),
                "errors": [e for e in b.errors if REFUSED not in e],
                "exceptions": b.exceptions,
                "lost": session_lost(b.updates, t0, t1, b.closed_early) or not b.started.is_set(),
                "why": b.closed_early or ("" if b.started.is_set() else "never started"),
            }
        )
    from core.labs.text_lab import BUNDLED, DEFAULTS, bundled_corpus
    from core.models.keras_model import RNNConfig, count_params

    vocab = bundled_corpus(next(iter(BUNDLED.values()))).vocab_size  # the page's first corpus, its default
    for d in tab_data:
        sessions.append(
            {
                "kind": "default (Chromium)",
                "rate": rate(d["updates"], t0, t1),
                "steps": d["updates"][-1][1] if d["updates"] else 0,
                "params": count_params(vocab, DEFAULTS),
                "refusals": 0,
                "accepted": [],
                "max_gap_s": round(max(gaps_of(d["updates"], t0, t1), default=0.0), 1),
                "errors": [],
                "exceptions": d["exceptions"],
                "lost": d["disconnected"] or session_lost(d["updates"], t0, t1),
                "why": "connection error" if d["disconnected"] else "",
            }
        )
    for x in sessions:
        x["rate"] = None if x["rate"] is None else round(x["rate"], 2)
    server_log = log_path.read_text(errors="replace") if log_path.exists() else ""
    asked = next((b.asked for b in bots if b.asked), {})
    largest = RNNConfig(**{SIZE_SLIDERS[k]: int(v) for k, v in asked.items()})
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "budget_mb": round(budget_mb),
        "session_cap_mb": round(SESSION_SHARE * budget_mb),
        "largest_asked": f"{largest.label().split(' · ')[0]}, embedding {largest.embed_dim}: "
        f"{count_params(vocab, largest):,} parameters"
        if asked
        else None,
        "default_size": f"{DEFAULTS.label().split(' · ')[0]}, embedding {DEFAULTS.embed_dim}: "
        f"{count_params(vocab, DEFAULTS):,} parameters",
        "defaults": defaults,
        "large": large,
        "browsers": int(use_tab),
        "seconds": round(t1 - t0, 1),
        "rss_mb": {
            n: mb_at(n) for n in ("fresh", "tf_loaded", "all_started", "trained", "closed", "final") if n in marks
        },
        "rss_peak_mb": round(peak, 1),
        "peak_during": phase_of_peak,
        "setup_s": round(marks["all_started"] - marks["fresh"], 1),
        "settle_s": round(marks["final"] - marks["closed"], 1),
        "settled": settled(samples, marks["closed"]),
        "returned_s": None
        if returned is None
        else round(returned, 1),  # close -> within SETTLE_TOL_MB of the final RSS
        "marks_s": {n: round(t - marks["fresh"], 1) for n, t in marks.items()},
        "budget_held": peak <= budget_mb,
        "cpu": cpu_use,
        "sessions": sessions,
        "sessions_lost": sum(x["lost"] for x in sessions),
        "lost_why": [x["why"] for x in sessions if x["lost"]],
        "tracebacks": sum(x["exceptions"] for x in sessions),
        "server_log_tracebacks": server_log.count("Traceback (most recent call last)"),
        "error_messages": sorted({e for x in sessions for e in x["errors"]}),
        "refusal_messages": sorted({r for b in bots for r in b.refusals}),
        "rss_timeline_mb": [(round(t - marks["fresh"], 1), round(v)) for t, v in samples[::4]],
    }
    print(
        f"[memory] budget {out['budget_mb']} MB, peak {out['rss_peak_mb']} MB "
        f"({'held' if out['budget_held'] else 'NOT held'}), "
        f"RSS {out['rss_mb']}, lost {out['sessions_lost']}, tracebacks {out['tracebacks']}",
        flush=True,
    )
    return out


def memory_problems(res: dict) -> list[str]:
    """What went wrong in a memory run, in words (empty: nothing)."""
    out = []
    if not res["budget_held"]:
        out.append(f"peak RSS {res['rss_peak_mb']:,.0f} MB over the {res['budget_mb']:,} MB budget")
    if res["sessions_lost"]:
        out.append(f"{res['sessions_lost']} session(s) lost ({', '.join(w or 'stalled' for w in res['lost_why'])})")
    if res["tracebacks"]:
        out.append(f"{res['tracebacks']} traceback(s) on screen")
    if not res["settled"]:
        out.append(f"memory still moving {res['settle_s']:.0f} s after the tabs closed")
    return out
