"""Look inside, the Neurons and Gates views (core.inside.neurons): how long a view takes, next to the sampler's own
pass.

``python -m bench.neurons [--quick]`` prints a table and returns the figures from ``run()``.

For each cell (LSTM, GRU) and hidden size (128, 512: the issue's bar is a 512-unit model over 500 characters
within 2 s), on the bundled Shakespeare's held-out text:

- **baseline**: the sampler's forward pass over the same 500 characters (``NumpyRNN.next_token_probs`` one
  character at a time, what Generate costs per character, with the softmax);
- **neurons view**: everything the Neurons tab computes: copying the weights (``net_of``), ``forward`` (every
  h, c and gate), the text features, ``find_units`` (all units against all features) and the coloured HTML;
- **gates view**: ``forward`` over 1,000 held-out characters and ``gate_shares``.

The model is a NumpyRNN with random weights of the Text lab's shapes (embedding 64, vocabulary of the text):
the time does not depend on what the weights are. TensorFlow is imported and has run one op first, because
the app's server process has it loaded whenever a Keras model exists (its thread pool then competes with
numpy's BLAS threads; see core.models.numpy_cells). Median of ``repeats`` runs after one warm-up.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import SHAKESPEARE, median_time_s

TEXT_CHARS = 500  # the neurons view's input (the bar)
GATE_CHARS = 1000  # the gates view's input (ui.inside.neuron_view.GATE_STEPS)
EMBED = 64  # the Text lab's default embedding
BAR_S = 2.0  # the bar for a 512-unit model over 500 characters


def _model(cell: str, hidden: int, vocab: int, seed: int = 0):
    from core.models.numpy_cells import NumpyRNN

    g = {"simplernn": 1, "lstm": 4, "gru": 3}[cell]
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 0.1, (2, g * hidden) if cell == "gru" else (g * hidden,))
    rnn = [[rng.normal(0, 0.1, (EMBED, g * hidden)), rng.normal(0, 1 / np.sqrt(hidden), (hidden, g * hidden)), b]]
    return NumpyRNN(
        cell, rng.normal(0, 0.05, (vocab, EMBED)), rnn, (rng.normal(0, 0.05, (hidden, vocab)), np.zeros(vocab))
    )


_median_s = median_time_s  # one timing helper for every benchmark (bench.common)


def _load_tensorflow() -> None:
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    float(tf.reduce_sum(tf.matmul(tf.ones((64, 64)), tf.ones((64, 64)))))  # start its thread pool


def run(repeats: int = 3, hidden_sizes=(128, 512), cells=("lstm", "gru"), with_tensorflow: bool = True) -> dict:
    """Figures per case: {"<cell> <hidden>": {baseline_s, neurons_s, gates_s, neurons_vs_baseline, within_bar}}."""
    from core.inside import neurons as nu
    from core.text.text_data import TextCorpus

    if with_tensorflow:
        _load_tensorflow()
    corpus = TextCorpus(SHAKESPEARE.read_text(encoding="utf-8"))
    text = nu.text_excerpt(corpus.text, len(corpus.train_ids), TEXT_CHARS)
    ids = [int(i) for i in corpus.encode(text)]
    gate_ids = [int(i) for i in corpus.val_ids[:GATE_CHARS]]
    out: dict = {
        "chars": len(ids),
        "gate_chars": len(gate_ids),
        "repeats": repeats,
        "tensorflow_loaded": with_tensorflow,
        "cases": {},
    }
    for cell in cells:
        for hidden in hidden_sizes:
            model = _model(cell, hidden, corpus.vocab_size)

            def baseline():
                state = model.initial_state()
                for t in ids:
                    _, state = model.next_token_probs(state, t)

            def neurons_view():
                net = nu.net_of(model)
                trace = nu.forward(net, ids)
                ranking = nu.find_units(trace, nu.text_features(text))
                nu.coloured_text_html(list(text), trace.h[0][:, ranking.top[0].unit], 1.0)

            def gates_view():
                nu.gate_shares(nu.forward(nu.net_of(model), gate_ids))

            b, n, g = (_median_s(f, repeats) for f in (baseline, neurons_view, gates_view))
            out["cases"][f"{cell} {hidden}"] = dict(
                baseline_s=round(b, 6),
                neurons_s=round(n, 6),
                gates_s=round(g, 6),
                neurons_vs_baseline=round(n / b, 2),
                within_bar=bool(n <= BAR_S and g <= BAR_S),
            )
    return out


def report(figures: dict) -> str:
    lines = [
        f"Neurons view over {figures['chars']} characters, gates view over {figures['gate_chars']} (median of "
        f"{figures['repeats']}, "
        f"TensorFlow {'loaded' if figures['tensorflow_loaded'] else 'not loaded'}); bar: {BAR_S:g} s",
        f"{'model':<10} {'sampler pass':>13} {'neurons view':>13} {'ratio':>6} {'gates view':>11}  within bar",
    ]
    for name, c in figures["cases"].items():
        lines.append(
            f"{name:<10} {c['baseline_s'] * 1000:>10.0f} ms {c['neurons_s'] * 1000:>10.0f} ms "
            f"{c['neurons_vs_baseline']:>5.2f}x "
            f"{c['gates_s'] * 1000:>8.0f} ms  {'yes' if c['within_bar'] else 'NO'}"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one repeat, 512 units only")
    ap.add_argument("--no-tensorflow", action="store_true", help="don't load TensorFlow first")
    a = ap.parse_args(argv)
    figures = run(
        repeats=1 if a.quick else 3, hidden_sizes=(512,) if a.quick else (128, 512), with_tensorflow=not a.no_tensorflow
    )
    print(report(figures))
    return figures


if __name__ == "__main__":
    main()
