"""Smoke test of the benchmark harness (bench/): it runs end to end in --smoke mode and writes the JSON and the
markdown table. No timing assertions: the figures of a smoke run are meaningless by design."""

import json
import subprocess
import sys

from tests.support import ROOT


def test_bench_smoke_writes_json_and_markdown(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads((tmp_path / "latest.json").read_text())

    meta = r["meta"]
    assert meta["mode"] == "smoke"
    for k in ("cpu", "cores", "python", "numpy"):
        assert k in meta["machine"]
    for k in ("tensorflow", "keras", "numpy", "python", "streamlit"):
        assert meta["versions"][k]
    assert meta["date"] and meta["settings"]["repeats"] >= 1

    tp = r["text_train_chars_per_s"]
    for k in ("seed_style", "plain_fit", "project"):
        assert tp[k]["chars_per_s"] > 0 and tp[k]["repeats"]
    assert {"project_vs_plain_fit", "project_vs_seed_style"} <= set(tp["ratios"])

    sp = r["sampling_ms_per_char"]
    for k in ("keras_predict", "keras_tf_function", "project"):
        for h in ("128", "512"):
            assert sp[k][h]["ms_per_char"] > 0
    for h in ("128", "512"):
        assert set(sp["max_abs_prob_diff"][h]) >= {"project_vs_keras", "tf_function_vs_keras"}
        assert sp["max_abs_prob_diff"][h]["project_vs_keras"] < 1e-3  # same model, same numbers (a loose sanity bound)

    q = r["val_nats_per_char"]
    models = [m for m in q["bundled_shakespeare"] if m.startswith(("gru_", "lstm_"))]
    assert sorted(m.split("_")[0] for m in models) == ["gru", "lstm"]
    for m in models:
        for p in q["bundled_shakespeare"][m]["points"]:
            assert p["val_nats_per_char"] > 0 and p["steps"] >= 1
    assert "tiny_shakespeare" in q  # a result, or None when ../shared/data is absent

    d = r["numpy_rnn"]
    assert d["iterations_per_s"] > 0 and d["heldout_nll_per_char"] > 0 and d["bigram_nll_per_char"] > 0
    assert isinstance(d["beats_bigram"], bool)

    assert r["home_page_imports_tensorflow"] in (True, False)
    assert r["app_start"]["text_lab"]["skipped"]
    assert {t["id"] for t in r["targets"]} >= {"1a", "1b", "1d", "2a", "2b", "3a", "3b", "3c", "4", "5", "7", "8"}

    # the Music best-weights check and its noise / reproducibility rows
    mb = r["music_best_weights"]
    assert mb["on"]["stop_at_best"] is True and mb["off"]["stop_at_best"] is False
    assert mb["on"]["composing_val"] > 0 and mb["on"]["best_val"] > 0 and "weights" in mb["on"]["composing_weights"]
    rp = r["reproducible"]
    assert rp["max_abs_diff_default"] >= 0 and rp["op_determinism_speed_ratio"] > 0
    if q["tiny_shakespeare"] is not None:
        e = q["tiny_shakespeare"]["lstm_32"]
        assert "never_rises" in e and e["rollbacks"] >= 0 and set(e["validation_noise"]) == {"64", "256"}

    md = (tmp_path / "benchmarks.md").read_text()
    assert md.startswith("# Benchmarks")
    assert "SMOKE MODE" in md
    assert "| # | What | Target | Measured |" in md
    for heading in (
        "## 1. Text training throughput",
        "## 2. Sampling latency",
        "## 3. Quality",
        "## 3b. Music: the best weights",
        "## 3c. Reproducible runs",
        "## 4. The numpy Dinosaur RNN",
        "## 5. App start",
    ):
        assert heading in md
    assert "| seed style" in md and "plain `model.fit`" in md
