"""Benchmarks for RNN Playground, side by side with the usual ways.

Run from the repository root:

    .venv/bin/python -m bench --quick     # < 3 minutes on 2 cores; writes bench/results/latest.json +
    docs/benchmarks.md
    .venv/bin/python -m bench             # full run (~25-30 minutes on 2 cores)
    .venv/bin/python -m bench --smoke --out-dir /tmp/b   # seconds; what tests/bench/test_bench.py runs

Every figure is the median of repeats run in the same process, competitors interleaved, warm-up excluded;
ratios are computed within the run. Baselines live here in bench/; the project's figures come from the
project's own code paths (SequenceTrainer driven in ~0.5 s slices, NumpyRNN + core.models.sampling.generate,
DinoTrainer, the Streamlit pages through AppTest).
"""
