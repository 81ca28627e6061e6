"""``python -m bench [--quick | --smoke] [--out-dir DIR] [--only SECTIONS]``: run the benchmarks, write the
JSON and the markdown report. See bench/__init__.py."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

# the repository root on sys.path, so `python -m bench` works from the root without installing anything
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench import common  # noqa: E402
from bench.common import DOCS_MD, RESULTS, log  # noqa: E402

SECTIONS = (
    "numpy_rnn",
    "app_start",
    "throughput",
    "sampling",
    "quality",
    "music_audio",
    "music_best",
    "reproducible",
    "clicks",
)  # numpy first: before TensorFlow is loaded here


def _run_section(name: str, s) -> dict:
    if name == "app_start":
        from bench import app_start

        return app_start.run(s)
    if name in ("throughput", "sampling", "quality", "music_best"):
        common.quiet_tensorflow()
    if name == "throughput":
        from bench import throughput

        return throughput.run(s)
    if name == "sampling":
        from bench import latency

        return latency.run(s)
    if name == "quality":
        from bench import quality

        return quality.run(s)
    if name == "numpy_rnn":
        from bench import dino

        return dino.run(s)
    if name == "music_audio":
        from bench import music_audio

        return music_audio.run(s)
    if name == "music_best":
        from bench import music_best

        return music_best.run(s)
    if name == "clicks":
        from bench import clicks

        return clicks.clicks(s)
    if name == "reproducible":
        from bench import reproducible

        return reproducible.run(s.repro_steps, s.repro_repeats)
    raise ValueError(name)


KEYS = dict(  # section -> top-level JSON key
    app_start="app_start",
    throughput="text_train_chars_per_s",
    sampling="sampling_ms_per_char",
    quality="val_nats_per_char",
    numpy_rnn="numpy_rnn",
    music_audio="music_audio_s",
    music_best="music_best_weights",
    reproducible="reproducible",
    clicks="click_latency_s",
)


def _plain(o):
    """numpy scalars -> Python (json.dumps default)."""
    import numpy as np

    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="short budgets, 3 repeats: under 3 minutes on 2 cores")
    g.add_argument("--smoke", action="store_true", help="seconds: checks the harness runs (figures meaningless)")
    ap.add_argument(
        "--out-dir", type=Path, help="write latest.json and benchmarks.md here instead of bench/results/ and docs/"
    )
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(SECTIONS)}")
    ap.add_argument(
        "--report-only", type=Path, metavar="JSON", help="rewrite the markdown from a saved JSON, run nothing"
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="with --only: put the sections' new results into the last full run's JSON (bench/results/full.json) "
        "and rewrite the report from it; the report says which sections were rerun and when",
    )
    args = ap.parse_args(argv)

    from bench import report

    if args.report_only:
        results = json.loads(args.report_only.read_text())
        md_path = (args.out_dir / "benchmarks.md") if args.out_dir else DOCS_MD
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(report.markdown(results), encoding="utf-8")
        log(f"wrote {md_path}")
        return 0

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    s = common.settings_for(mode)
    sections = [x.strip() for x in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")

    t_start = time.perf_counter()
    results: dict = dict(
        meta=dict(
            mode=mode,
            date=common.today(),
            machine=common.machine(),
            settings=common.settings_dict(s),
            sections=sections,
            command="python -m bench" + {"full": "", "quick": " --quick", "smoke": " --smoke"}[mode],
        ),
    )
    failed = []
    for name in sections:
        t0 = time.perf_counter()
        try:
            res = _run_section(name, s)
        except Exception as exc:  # noqa: BLE001 - record it, keep going, exit non-zero at the end
            traceback.print_exc()
            res = dict(error=f"{type(exc).__name__}: {exc}")
            failed.append(name)
        res["section_wall_s"] = round(time.perf_counter() - t0, 1)
        results[KEYS[name]] = res
        log(f"== {name}: {res['section_wall_s']} s")
    if "app_start" in results:
        results["home_page_imports_tensorflow"] = results["app_start"].get("home_page_imports_tensorflow")
    results["meta"]["versions"] = common.versions()
    results["meta"]["load_average_at_end"] = common.load_average()
    results["meta"]["wall_s"] = round(time.perf_counter() - t_start, 1)
    results["targets"] = report.targets(results)

    if args.merge:
        if not args.only or mode != "full":
            ap.error("--merge needs --only and the full mode")
        full = json.loads((RESULTS / "full.json").read_text())
        for name in sections:
            full[KEYS[name]] = results[KEYS[name]]
            full["meta"].setdefault("rerun", {})[name] = dict(
                date=results["meta"]["date"],
                command=f"python -m bench --only {name} --merge",
                load_average=results["meta"]["machine"].get("load_average_at_start"),
            )
        full["targets"] = report.targets(full)
        results = full
    if args.out_dir:
        json_path, md_path = args.out_dir / "latest.json", args.out_dir / "benchmarks.md"
    else:
        json_path, md_path = RESULTS / "latest.json", DOCS_MD
    json_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1, default=_plain)
    json_path.write_text(text + "\n", encoding="utf-8")
    if not args.out_dir and not (args.merge or args.only):  # the last complete run of each mode survives
        (RESULTS / f"{mode}.json").write_text(text + "\n", encoding="utf-8")
    elif args.merge and not args.out_dir:
        (RESULTS / "full.json").write_text(text + "\n", encoding="utf-8")  # the rerun sections join it
    md_path.write_text(report.markdown(results), encoding="utf-8")
    log(f"wrote {json_path} and {md_path} in {results['meta']['wall_s']} s")
    if failed:
        log("FAILED sections:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
