"""bench/neurons.py runs and reports its figures (tiny sizes; the timings themselves are the benchmark's job)."""

from bench import neurons as bn


def test_bench_neurons_figures_and_report():
    figs = bn.run(repeats=1, hidden_sizes=(8,), cells=("lstm", "gru"), with_tensorflow=False)
    assert figs["chars"] == bn.TEXT_CHARS and figs["gate_chars"] == bn.GATE_CHARS
    assert set(figs["cases"]) == {"lstm 8", "gru 8"}
    for c in figs["cases"].values():
        assert c["baseline_s"] > 0 and c["neurons_s"] > 0 and c["gates_s"] > 0
        assert abs(c["neurons_vs_baseline"] - c["neurons_s"] / c["baseline_s"]) < 0.05 * c["neurons_vs_baseline"] + 0.01
    text = bn.report(figs)
    assert "lstm 8" in text and "gru 8" in text and "within bar" in text
