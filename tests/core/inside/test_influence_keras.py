"""core.inside.influence against real Keras models: the gradient w.r.t. the Embedding layer's output, taken by
TensorFlow's
GradientTape through the Keras layers, equals the numpy one (tiny SimpleRNN / LSTM / GRU, trained a few steps)."""

import numpy as np
import pytest

from core.inside import influence as inf
from core.models.keras_model import CELLS, RNNConfig, build_model
from core.models.numpy_cells import NumpyRNN

V = 9


@pytest.mark.parametrize("cell", CELLS)
def test_numpy_influence_equals_keras_gradient_tape(cell):
    import tensorflow as tf

    cfg = RNNConfig(cell=cell, hidden=12, layers=2, embed_dim=6, seq_len=8, batch_size=4, seed=3)
    model = build_model(V, cfg)
    rng = np.random.default_rng(0)
    for v in model.variables:  # random weights and biases (a fresh model has zero biases)
        v.assign(rng.normal(0, 0.4, v.shape).astype(np.float32))
    tokens = [1, 4, 0, 7, 2, 2, 8, 5]
    target = 3
    emb = model.get_layer("embedding")
    with tf.GradientTape() as tape:
        e = emb(np.asarray([tokens], np.int32))  # (1, T, d): the Embedding layer's output
        tape.watch(e)
        x = e
        for layer in model.layers[1:]:
            x = layer(x, training=False)
        logp = tf.nn.log_softmax(tf.cast(x, tf.float64)[0, -1])[target]
    g = tape.gradient(logp, e).numpy()[0].astype(np.float64)  # (T, d)
    res = inf.influence(NumpyRNN.from_keras(model), tokens, target)
    assert res.logp == pytest.approx(float(logp), abs=1e-4)
    assert np.allclose(res.norms, np.linalg.norm(g, axis=-1), rtol=2e-3, atol=1e-6)
