"""The Keras recurrent cells written out in numpy, one step at a time: the fast path for sampling.

Sampling never calls ``model.predict`` per token (70-100 ms each here): ``NumpyRNN`` copies the weights of
a Keras model built by core.models.keras_model and runs one step at a time in numpy (float32 like Keras, softmax in
float64). tests/core/models/test_keras_trainer.py checks it against the Keras model. Keras stores each layer's weights as

    kernel     (d_in, g*h)   input weights of all g gates side by side (g = 1 SimpleRNN, 4 LSTM, 3 GRU)
    recurrent  (h, g*h)      recurrent weights, same gate order
    bias       (g*h,)        one bias per gate unit; GRU (reset_after=True): (2, 3h), input and recurrent bias

where h is the number of units and d_in the input size (the embedding size for the first layer, h above).
Simplified on purpose: only the Keras defaults are supported (tanh, sigmoid gates, GRU reset_after=True);
core.models.keras_model.config_from_model refuses anything else.
"""

from __future__ import annotations

import numpy as np

from core.models.keras_model import CELL_NAMES, keras_module, rnn_layers
from core.models.numpy_rnn import softmax


def _vm(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Vector (n,) times matrix (n, k) -> (k,). einsum, not BLAS: after TensorFlow has run, OpenBLAS's threads
    fight TF's thread pool and a single matrix-vector product gets ~10x slower on 2 cores."""
    return np.einsum("i,ij->j", v, m)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-free: 1 / (1 + e^-x) = (tanh(x/2) + 1) / 2."""
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


def simple_rnn_step(xw: np.ndarray, h_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SimpleRNN: h = tanh(x W + h_prev U + b).

    Parameters
    ----------
    xw : (h,) the input already multiplied by the kernel W (d_in, h)
    h_prev : (h,) previous hidden state
    U : (h, h) recurrent weights;  b : (h,) bias

    Returns
    -------
    h : (h,) new hidden state (also the output)
    """
    return np.tanh(xw + _vm(h_prev, U) + b)


def lstm_step(xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LSTM (Keras gate order i, f, c, o):

        z = x W + h_prev U + b                 (4h,)  = [z_i | z_f | z_c | z_o]
        i = sigmoid(z_i)   input gate          (h,)   how much of the candidate to write
        f = sigmoid(z_f)   forget gate         (h,)   how much of the old cell state to keep
        g = tanh(z_c)      candidate           (h,)   what could be written
        o = sigmoid(z_o)   output gate         (h,)   how much of the cell state to show
        c = f * c_prev + i * g                 (h,)   new cell state
        h = o * tanh(c)                        (h,)   new hidden state (the output)

    Parameters: xw (4h,) = x W without bias; h_prev, c_prev (h,); U (h, 4h); b (4h,).
    Returns (h, c), each (h,).
    """
    n = h_prev.shape[0]
    z = xw + _vm(h_prev, U) + b  # (4h,)
    i = sigmoid(z[:n])
    f = sigmoid(z[n : 2 * n])
    g = np.tanh(z[2 * n : 3 * n])
    o = sigmoid(z[3 * n :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def gru_step(xw: np.ndarray, h_prev: np.ndarray, U: np.ndarray, b: np.ndarray) -> np.ndarray:
    """GRU with Keras's reset_after=True (gate order z, r, candidate):

        x_part = x W + b[0]                    (3h,)  input projection with the input bias
        h_part = h_prev U + b[1]               (3h,)  recurrent projection with the recurrent bias
        z = sigmoid(x_part_z + h_part_z)       (h,)   update gate: how much of the old state to keep
        r = sigmoid(x_part_r + h_part_r)       (h,)   reset gate: how much of the old state the candidate sees
        n = tanh(x_part_n + r * h_part_n)      (h,)   candidate (the reset applies after the recurrent product)
        h = z * h_prev + (1 - z) * n           (h,)   new hidden state (the output)

    Parameters: xw (3h,) = x W without bias; h_prev (h,); U (h, 3h); b (2, 3h).
    Returns h (h,).
    """
    n = h_prev.shape[0]
    x_part = xw + b[0]
    h_part = _vm(h_prev, U) + b[1]
    z = sigmoid(x_part[:n] + h_part[:n])
    r = sigmoid(x_part[n : 2 * n] + h_part[n : 2 * n])
    cand = np.tanh(x_part[2 * n :] + r * h_part[2 * n :])
    return z * h_prev + (1.0 - z) * cand


class NumpyRNN:
    """One-step numpy forward pass from a snapshot of the Keras weights (a core.models.sampling.TokenModel).

    State: a tuple with one entry per layer: h (hidden,) for SimpleRNN/GRU, (h, c) for LSTM.
    ``next_token_probs(state, None)``: "no input yet" feeds a zero embedding vector (the first layer sees
    only its bias), giving the model's guess for a first token; text pages prime with real characters instead.
    """

    def __init__(self, cell: str, embedding: np.ndarray, rnn_weights: list[list[np.ndarray]], dense: tuple[np.ndarray, np.ndarray]):
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
            h = simple_rnn_step(xw, s, u, b)
            return h, h
        if self.cell == "lstm":
            h, c = lstm_step(xw, s[0], s[1], u, b)
            return h, (h, c)
        h = gru_step(xw, s, u, b)
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
                xw = _vm(x, self.layers[i][0])
            x, ns = self._step(i, xw, s)
            new_state.append(ns)
        logits = (_vm(x, self.dense_w) + self.dense_b).astype(np.float64)  # (vocab,)
        return softmax(logits), tuple(new_state)
