"""docs/load-test.md: each run (a class run with its capacity ramp, or a memory run) prepended as markdown above
the earlier ones."""

from __future__ import annotations

from pathlib import Path

from deploy.load.labs import LABS
from deploy.load.measure import SETTLE_TOL_MB

REPORT_HEAD = "# Load test\n\nProduced by `scripts/load_test.py` (see its docstring). Newest run first.\n\n"


def size_taken(x: dict) -> str:
    """A memory-run session's size in words: what it asked for, and what it took when the page refused it."""
    asked = "asked for the largest" if x["kind"] == "largest" else "default size"
    if x["accepted"]:
        return f"{asked}; refused {x['refusals']}×, took {' → '.join(x['accepted'])}"
    return f"{asked}, built as asked"


def write_memory_report(path: Path, res: dict) -> None:
    """Prepend a memory run to the report (the same file and head as the class runs)."""
    head = REPORT_HEAD
    rss = res["rss_mb"]
    n = res["defaults"] + res["large"]
    lines = [
        f"## {res['date']}: memory run, one server, {res['defaults']} Text-lab sessions at the default size + "
        f"{res['large']} asking for the largest\n",
        f"Machine: {res['machine']['cores']} cores, Python {res['machine']['python']}; load average before the run "
        f"{' / '.join(map(str, res['loadavg_before']))}, after {' / '.join(map(str, res['loadavg_after']))} (1 / 5 / "
        "15 min). "
        f"One `streamlit run app.py` on loopback with the default budget. {res['browsers']} of the default sessions "
        "was a Chromium tab "
        "(opened first, alone, to measure the server with TensorFlow loaded), the others protocol clients; the large "
        f"ones moved the hidden size, layers and embedding sliders to their maximum ({res['largest_asked']}) and, "
        "when the page refused, "
        f'pressed its "Use … instead" button, then Start. All {n} trained together for {res["seconds"]:.0f} s; then '
        "every tab "
        f"closed and the server's memory was followed until it settled. Default size: {res['default_size']}. CPU "
        "during training: "
        f"server {res['cpu']['replicas_cores']}, this test {res['cpu']['load_test_cores']}, other work "
        f"{res['cpu']['other_cores']} cores.\n",
        f"**Budget {res['budget_mb']:,} MB (one session at most {res['session_cap_mb']:,} MB): peak RSS "
        f"{res['rss_peak_mb']:,.0f} MB, "
        + ("the budget held." if res["budget_held"] else "the budget did NOT hold.")
        + "**\n",
        "| moment | server RSS (MB) |",
        "|---|---|",
        f"| fresh server | {rss['fresh']:,.0f} |",
    ]
    if "tf_loaded" in rss:
        lines.append(f"| first Text page open (TensorFlow loaded, one default model built) | {rss['tf_loaded']:,.0f} |")
    lines += [
        f"| all {n} sessions built their models and pressed Start ({res['setup_s']:.0f} s after the server started) "
        f"| {rss['all_started']:,.0f} |",
        f"| end of training, all {n} sessions | {rss['trained']:,.0f} |",
        f"| peak ({res['peak_during']}) | {res['rss_peak_mb']:,.0f} |",
        f"| every tab closed | {rss['closed']:,.0f} |",
        f"| {res['settle_s']:.0f} s later ({'settled' if res['settled'] else 'still moving'}) | {rss['final']:,.0f} |",
        "",
    ]
    if res.get("returned_s") is not None:
        lines.append(
            f"Memory was back within {SETTLE_TOL_MB:.0f} MB of its final level {res['returned_s']:.0f} s after the "
            "last tab closed."
        )
    if "tf_loaded" in rss:
        lines.append(
            f"Final RSS minus the level with TensorFlow loaded: {rss['final'] - rss['tf_loaded']:+,.0f} MB "
            "(it includes what the reload store keeps of the closed tabs: their models' weights as numpy).\n"
        )
    lines += [
        f"Sessions lost: {res['sessions_lost']}"
        + (f" ({', '.join(w or 'stalled' for w in res['lost_why'])})" if res["lost_why"] else "")
        + f"; tracebacks on screen: {res['tracebacks']}; tracebacks in the server's log: "
        f"{res['server_log_tracebacks']}.\n",
        "| session | size | parameters | steps at the end | optimizer steps/s | longest refresh gap (s) | lost |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in sorted(res["sessions"], key=lambda x: x["kind"] != "largest"):
        params = "–" if x["params"] is None else f"{x['params']:,}"
        lines.append(
            f"| {x['kind']} | {size_taken(x)} | {params} | {x['steps']:,} | {x['rate']} | {x['max_gap_s']} | "
            f"{'yes' if x['lost'] else 'no'} |"
        )
    lines.append("")
    if res["refusal_messages"]:
        lines.append("What the page said when it refused:\n")
        lines += [f"> {m}\n" for m in res["refusal_messages"]]
    if res["error_messages"]:
        lines.append(f"Other error messages sent to sessions: {res['error_messages']}\n")
    prepend_run(path, head, "\n".join(lines) + "\n")


def _pair(phases: dict, key, fmt=lambda v: f"{v}") -> list[str]:
    return [fmt(phases[r][key]) if phases[r].get(key) is not None else "–" for r in sorted(phases)]


def write_report(path: Path, res: dict) -> None:
    """Prepend this run to the report (newest first), keeping earlier runs below it."""
    head = REPORT_HEAD
    labs = {}
    for p in res["phases"]:
        labs.setdefault(p["lab"], {})[p["replicas"]] = p
    sizes = sorted({p["replicas"] for p in res["phases"] + res.get("capacity", [])})
    title_bits = [f"{next(iter(v.values()))['sessions']} {LABS[k]['title']}-lab sessions" for k, v in labs.items()]
    if res.get("capacity"):
        title_bits.append("capacity ramp")
    lines = [
        f"## {res['date']}: R = {', '.join(map(str, sizes))} replicas behind HAProxy, {' then '.join(title_bits)}\n",
        f"Machine: {res['machine']['cores']} cores, Python {res['machine']['python']}; load average before the run "
        f"{' / '.join(map(str, res['loadavg_before']))} (1 / 5 / 15 min). "
        + (
            f"Each phase measured {res['seconds']:.0f} s after a warm-up; {res['browsers']} session of each phase "
            "was a Chromium tab, "
            "the others protocol clients (see the script's docstring). "
            if res["phases"]
            else ""
        )
        + "CPU is in cores used on average during a phase: the replicas, this test's own processes (bots, Chromium, "
        "HAProxy) and "
        "everything else on the machine (other users' work).\n",
    ]
    if "dino_speedup_R2_over_R1" in res:
        s = res["dino_speedup_R2_over_R1"]
        lines.append(
            f"**Dinosaur lab, R = 2 over R = 1, total throughput: {s:.2f}×** (the aim on 2 cores: at least 1.7×).\n"
        )
    for lab, phases in labs.items():
        any_p = next(iter(phases.values()))
        unit = any_p["unit"]
        cols = [f"R = {r}" for r in sorted(phases)]
        rows = [
            (
                "sessions per replica",
                _pair(phases, "sessions_per_replica", lambda d: ", ".join(f"{k} {v}" for k, v in d.items())),
            ),
            (f"training, all sessions together ({unit}/s)", _pair(phases, "total_rate")),
            (
                f"training per session, min / median ({unit}/s)",
                [f"{phases[r]['rate_min']} / {phases[r]['rate_median']}" for r in sorted(phases)],
            ),
            (
                "refresh gap, server to tab: median / 90th pct / worst (s)",
                [
                    f"{phases[r]['gap_median_s']} / {phases[r]['gap_p90_s']} / {phases[r]['gap_max_s']}"
                    for r in sorted(phases)
                ],
            ),
            ("refreshes more than 1.05 s apart", _pair(phases, "gaps_over_1s_share", lambda v: f"{v:.0%}")),
            (
                "chart refresh on screen (Chromium tab): median / worst (s)",
                [f"{phases[r]['screen_gap_median_s']} / {phases[r]['screen_gap_max_s']}" for r in sorted(phases)],
            ),
            ("home page load, idle class (s)", _pair(phases, "home_load_idle_s")),
            (
                "home page load while training: median / worst (s)",
                [
                    f"{phases[r]['home_load_median_s']} / {phases[r]['home_load_max_s']} (of "
                    f"{len(phases[r]['home_load_s'])})"
                    for r in sorted(phases)
                ],
            ),
            (
                "memory per replica, idle → peak (MB)",
                [
                    ", ".join(
                        f"{k} {phases[r]['rss_idle_mb'][k]:.0f} → {v:.0f}" for k, v in phases[r]["rss_peak_mb"].items()
                    )
                    for r in sorted(phases)
                ],
            ),
            (
                "CPU: replicas / this test / other (cores)",
                [
                    f"{phases[r]['cpu']['replicas_cores']} / {phases[r]['cpu']['load_test_cores']} / "
                    f"{phases[r]['cpu']['other_cores']}"
                    for r in sorted(phases)
                ],
            ),
            ("sessions lost", _pair(phases, "sessions_lost")),
            ("tracebacks on screen", _pair(phases, "tracebacks")),
        ]
        lines.append(f"### {LABS[lab]['title']} lab: {any_p['sessions']} sessions training at once\n")
        lines.append("| figure | " + " | ".join(cols) + " |")
        lines.append("|---|" + "---|" * len(cols))
        lines += [f"| {name} | " + " | ".join(vals) + " |" for name, vals in rows]
        lines.append("")
        for r in sorted(phases):
            lines.append(
                f"Per-session rates, R = {r}: {phases[r]['rates']}"
                + (f"; error messages: {phases[r]['error_messages']}" if phases[r]["error_messages"] else "")
            )
        lines.append("")
    if res.get("capacity"):
        steps = res["capacity"]
        lines.append(
            f"### Capacity: training sessions per replica (R = {steps[0]['replicas']}, one replica per core), "
            f"{steps[0]['seconds']:.0f} s per step\n"
        )
        lines.append(
            "Protocol sessions only. A step keeps up when no session is lost, the median refresh gap is at most 1.05 "
            "s and "
            "9 gaps in 10 are at most 1.5 s; the ramp of a lab stops at the first step that does not.\n"
        )
        lines.append(
            "| lab | sessions per replica | refresh gap: median / 90th pct / worst (s) | per session, min / median | "
            "all together | CPU: replicas / other (cores) | lost | keeps up |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for p in steps:
            lines.append(
                f"| {LABS[p['lab']]['title']} | {p['per_replica']} | {p['gap_median_s']} / {p['gap_p90_s']} / "
                f"{p['gap_max_s']} | {p['rate_min']} / {p['rate_median']} {p['unit']}/s | "
                f"{p['total_rate']} | {p['cpu']['replicas_cores']} / {p['cpu']['other_cores']} | "
                f"{p['sessions_lost']} | {'yes' if p['keeps_up'] else 'no'} |"
            )
        lines.append("")
        for p in steps:
            if p["error_messages"]:
                lines.append(
                    f"Error messages sent to sessions, {LABS[p['lab']]['title']} lab at {p['per_replica']} per "
                    f"replica: {p['error_messages']}\n"
                )
    prepend_run(path, head, "\n".join(lines) + "\n")


def prepend_run(path: Path, head: str, run: str) -> None:
    """Write a report as `head`, then this run, then the runs already in it (newest first)."""
    old = path.read_text() if path.exists() else ""
    old = old[len(head) :] if old.startswith(head) else ""
    path.write_text(head + run + old)
