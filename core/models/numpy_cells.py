"""The Keras recurrent cells written out in numpy, one step at a time: the one home of their equations.

Every numpy pass over a Keras cell calls the steps below: the fast sampler (``NumpyRNN``), the influence view
(core.inside.influence, which also back-propagates through them with the ``*_backward`` steps) and the neuron and gate
views (core.inside.neurons), and the course's jazz LSTM (core.models.course_model). Sampling never calls
``model.predict`` per
token (70-100 ms each here): ``NumpyRNN`` copies the weights of a Keras model built by core.models.keras_model and runs
one step at a time in numpy (float32 like Keras, softmax in float64). tests/core/models/test_numpy_cells.py checks each
step
against its Keras layer, and each backward step against finite differences. Keras stores each layer's weights as

    kernel     (d_in, g*n)   input weights of all g gates side by side (g = 1 SimpleRNN, 4 LSTM, 3 GRU)
    recurrent  (n, g*n)      recurrent weights, same gate order
    bias       (g*n,)        one bias per gate unit; GRU (reset_after=True): (2, 3n), input and recurrent bias

where n is the number of units and d_in the input size (the embedding size for the first layer, n above).
Vectors are rows, as in Keras: x W, not W x. The shapes in the comments are those of one sequence, (n,); every
step also takes a batch with a leading axis, (B, n) (the influence view runs many windows at once).

Simplified on purpose: only the Keras defaults are supported (tanh, sigmoid gates, GRU reset_after=True);
core.models.keras_model.config_from_model refuses anything else.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.models.keras_model import CELL_NAMES, keras_module, rnn_layers
from core.models.numpy_rnn import softmax


def vec_mat(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Row vector v (n,) times matrix m (n, k) -> (k,); a batch v (B, n) -> (B, k). einsum, not BLAS: after
    TensorFlow has run, OpenBLAS's threads fight TF's thread pool and a single product gets ~10x slower on 2 cores."""
    return np.einsum("i,ij->j", v, m) if v.ndim == 1 else np.einsum("bi,ij->bj", v, m)


def vec_mat_t(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """v (k,) times the transpose of m (n, k) -> (n,); a batch v (B, k) -> (B, n). The backward passes' product,
    without copying the transpose."""
    return np.einsum("j,ij->i", v, m) if v.ndim == 1 else np.einsum("bj,ij->bi", v, m)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-free: 1 / (1 + e^-x) = (tanh(x/2) + 1) / 2."""
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


# ---------------------------------------------------------------------------------------------- SimpleRNN
class SimpleRNNStep(NamedTuple):
    """What one SimpleRNN step computed."""

    h: np.ndarray  # (n,) new hidden state (also the output)


def simple_rnn_step(xw: np.ndarray, h_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> SimpleRNNStep:
    """SimpleRNN: h = tanh(x W + h_prev U + b).

    xw (n,): the input already multiplied by the kernel W (d_in, n), without bias; h_prev (n,) the previous hidden
    state; U (n, n) recurrent weights; b (n,) bias.
    """
    h = np.tanh(xw + vec_mat(h_prev, U) + b)  # (n,)
    return SimpleRNNStep(h)


def simple_rnn_step_backward(dh: np.ndarray, step: SimpleRNNStep, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d loss / d h (n,) -> (d loss / d xw (n,), the same as d loss / d b; d loss / d h_prev (n,))."""
    dz = dh * (1.0 - step.h * step.h)  # (n,) through tanh: tanh' = 1 - tanh²
    return dz, vec_mat_t(dz, U)  # (n,), (n,)


# ---------------------------------------------------------------------------------------------- LSTM
class LSTMStep(NamedTuple):
    """What one LSTM step computed, each (n,): the new state, the gates, and what the backward step needs."""

    h: np.ndarray  # new hidden state (the output)
    c: np.ndarray  # new cell state
    i: np.ndarray  # input gate
    f: np.ndarray  # forget gate
    g: np.ndarray  # candidate
    o: np.ndarray  # output gate
    tanh_c: np.ndarray  # tanh(c)
    c_prev: np.ndarray  # the cell state the step started from


def lstm_step(xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> LSTMStep:
    """LSTM (Keras gate order i, f, c, o). xw (4n,) = x W without bias; h_prev, c_prev (n,); U (n, 4n); b (4n,)."""
    n = h_prev.shape[-1]
    z = xw + vec_mat(h_prev, U) + b  # (4n,) = x W + h_prev U + b = [z_i | z_f | z_c | z_o]
    i = sigmoid(z[..., :n])  # (n,) input gate: how much of the candidate to write
    f = sigmoid(z[..., n : 2 * n])  # (n,) forget gate: how much of the old cell state to keep
    g = np.tanh(z[..., 2 * n : 3 * n])  # (n,) candidate: what could be written
    o = sigmoid(z[..., 3 * n :])  # (n,) output gate: how much of the cell state to show
    c = f * c_prev + i * g  # (n,) new cell state
    tanh_c = np.tanh(c)  # (n,)
    h = o * tanh_c  # (n,) new hidden state (the output)
    return LSTMStep(h, c, i, f, g, o, tanh_c, c_prev)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, step: LSTMStep, U: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d loss / d h (n,) and d loss / d c from the next step (n,) -> (d loss / d xw (4n,), the same as d loss / d b;
    d loss / d h_prev (n,); d loss / d c_prev (n,))."""
    i, f, g, o, tc = step.i, step.f, step.g, step.o, step.tanh_c
    dct = dc + dh * o * (1.0 - tc * tc)  # (n,) all of d loss / d c: from the next step and through h = o tanh(c)
    dz = np.concatenate(  # (4n,) d loss / d z, through each gate's sigmoid (s' = s (1 - s)) and the candidate's tanh
        [dct * g * i * (1 - i), dct * step.c_prev * f * (1 - f), dct * i * (1 - g * g), dh * tc * o * (1 - o)], axis=-1
    )
    return dz, vec_mat_t(dz, U), dct * f  # (4n,), (n,), (n,)


# ---------------------------------------------------------------------------------------------- GRU
class GRUStep(NamedTuple):
    """What one GRU step computed, each (n,): the new state, the gates, and what the backward step needs."""

    h: np.ndarray  # new hidden state (the output)
    z: np.ndarray  # update gate
    r: np.ndarray  # reset gate
    cand: np.ndarray  # candidate
    h_prev: np.ndarray  # the hidden state the step started from
    h_part_cand: np.ndarray  # h_prev U_cand + b[1]_cand: what the reset gate multiplies


def gru_step(xw: np.ndarray, h_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> GRUStep:
    """GRU with Keras's reset_after=True (gate order z, r, candidate). xw (3n,) = x W without bias; h_prev (n,);
    U (n, 3n); b (2, 3n): the input bias b[0] and the recurrent bias b[1]."""
    n = h_prev.shape[-1]
    x_part = xw + b[0]  # (3n,) input projection with the input bias
    h_part = vec_mat(h_prev, U) + b[1]  # (3n,) recurrent projection with the recurrent bias
    z = sigmoid(x_part[..., :n] + h_part[..., :n])  # (n,) update gate: how much of the old state to keep
    r = sigmoid(x_part[..., n : 2 * n] + h_part[..., n : 2 * n])  # (n,) reset gate: how much the candidate sees
    cand = np.tanh(x_part[..., 2 * n :] + r * h_part[..., 2 * n :])  # (n,) candidate: the reset applies after U
    h = z * h_prev + (1.0 - z) * cand  # (n,) new hidden state (the output)
    return GRUStep(h, z, r, cand, h_prev, h_part[..., 2 * n :])


def gru_step_backward(dh: np.ndarray, step: GRUStep, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d loss / d h (n,) -> (d loss / d xw (3n,), the same as d loss / d b[0]; d loss / d h_prev (n,))."""
    z, r, cand = step.z, step.r, step.cand
    dcand = dh * (1.0 - z) * (1.0 - cand * cand)  # (n,) before the candidate's tanh
    dz = dh * (step.h_prev - cand) * z * (1 - z)  # (n,) before the update gate's sigmoid
    dr = dcand * step.h_part_cand * r * (1 - r)  # (n,) before the reset gate's sigmoid
    dxw = np.concatenate([dz, dr, dcand], axis=-1)  # (3n,) d loss / d (x W)
    dh_part = np.concatenate([dz, dr, dcand * r], axis=-1)  # (3n,) d loss / d (h_prev U), the same as d loss / d b[1]
    return dxw, dh * z + vec_mat_t(dh_part, U)  # (3n,), (n,): h_prev reaches h directly (z h_prev) and through U


class NumpyRNN:
    """One-step numpy forward pass from a snapshot of the Keras weights (a core.models.sampling.TokenModel).

    State: a tuple with one entry per layer: h (hidden,) for SimpleRNN/GRU, (h, c) for LSTM.
    ``next_token_probs(state, None)``: "no input yet" feeds a zero embedding vector (the first layer sees
    only its bias), giving the model's guess for a first token; text pages prime with real characters instead.
    """

    def __init__(
        self,
        cell: str,
        embedding: np.ndarray,
        rnn_weights: list[list[np.ndarray]],
        dense: tuple[np.ndarray, np.ndarray],
    ):
        self.cell = cell  # "simplernn" | "lstm" | "gru"
        f32 = np.float32
        self.embedding = np.asarray(embedding, f32)  # (vocab, embed_dim)
        self.layers = []  # per layer: (kernel (d_in, g*h), recurrent (h, g*h), bias) with keras shapes
        for k, u, b in rnn_weights:
            self.layers.append((np.asarray(k, f32), np.asarray(u, f32), np.asarray(b, f32)))
        self.hidden = self.layers[0][1].shape[0]  # units per layer
        self.dense_w = np.asarray(dense[0], f32)  # (hidden, vocab)
        self.dense_b = np.asarray(dense[1], f32)  # (vocab,)
        self.vocab_size = self.dense_w.shape[1]
        # the first layer's input projection for every token, precomputed: (vocab, g*h)
        self._first_proj = self.embedding @ self.layers[0][0]

    @classmethod
    def from_keras(cls, model) -> "NumpyRNN":
        keras = keras_module()
        emb = next(l for l in model.layers if isinstance(l, keras.layers.Embedding))
        rnns = rnn_layers(model)
        dense = model.layers[-1]
        cell = {v: k for k, v in CELL_NAMES.items()}[type(rnns[0]).__name__]
        return cls(cell, emb.get_weights()[0], [l.get_weights() for l in rnns], tuple(dense.get_weights()))

    def initial_state(self):
        z = np.zeros(self.hidden, np.float32)
        if self.cell == "lstm":
            return tuple((z, z) for _ in self.layers)
        return tuple(z for _ in self.layers)

    def _step(self, i: int, xw: np.ndarray, s):
        """Layer i, one step: (output (h,), new state). xw = x @ kernel (g*h,), without bias."""
        _, u, b = self.layers[i]
        if self.cell == "simplernn":
            h = simple_rnn_step(xw, s, u, b).h
            return h, h
        if self.cell == "lstm":
            step = lstm_step(xw, s[0], s[1], u, b)
            return step.h, (step.h, step.c)
        h = gru_step(xw, s, u, b).h
        return h, h

    def next_token_probs(self, state, token: int | None):
        """(probs (vocab,) float64, new state) after feeding ``token`` (None = zero embedding)."""
        if token is None:
            xw = np.zeros(self.layers[0][0].shape[1], np.float32)
        else:
            xw = self._first_proj[int(token)]
        new_state = []
        x = None
        for i, s in enumerate(state):
            if i > 0:
                xw = vec_mat(x, self.layers[i][0])
            x, ns = self._step(i, xw, s)
            new_state.append(ns)
        logits = (vec_mat(x, self.dense_w) + self.dense_b).astype(np.float64)  # (vocab,)
        return softmax(logits), tuple(new_state)
