"""The Text lab's parameter count written as a formula, with the live numbers (an explanation, not a model).

For vocabulary V, embedding size e, hidden size m and input size d of a recurrent layer (d = e for the first layer,
d = m for the others), Keras counts

    Embedding          V·e
    SimpleRNN          m² + m·d + m            (Waa, Wax, b)
    LSTM               4(m² + m·d + m)         (the same for each of the 4 gates: input, forget, cell, output)
    GRU                3(m² + m·d + 2m)        (3 gates; reset_after=True gives each gate two biases)
    Dense (softmax)    m·V + V

Written on its own from these formulas (core.models.keras_model.count_params is the model's own count), so the
tests can check one against the other and against a built Keras model.
"""

from __future__ import annotations

from dataclasses import dataclass

GATES = {"simplernn": 1, "lstm": 4, "gru": 3}  # weight blocks per recurrent layer
CELL_LABEL = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


@dataclass(frozen=True)
class Part:
    """One layer's parameters: its name, the formula in LaTeX with the live numbers, and the count."""

    name: str  # "Embedding", "LSTM layer 1", "Dense (softmax)"
    latex: str  # e.g. 4(256^2 + 256 \cdot 64 + 256)
    count: int  # the number


def recurrent_params(cell: str, m: int, d: int) -> int:
    """Parameters of one recurrent layer with m units reading d inputs."""
    if cell == "gru":
        return 3 * (m * m + m * d + 2 * m)  # reset_after: input and recurrent biases per gate
    return GATES[cell] * (m * m + m * d + m)


def _latex(cell: str, m: int, d: int) -> str:
    if cell == "gru":
        return rf"3\,({m}^2 + {m}\cdot{d} + 2\cdot{m})"
    inner = rf"{m}^2 + {m}\cdot{d} + {m}"
    return inner if cell == "simplernn" else rf"4\,({inner})"


def parts(vocab_size: int, cell: str, hidden: int, layers: int, embed_dim: int) -> list[Part]:
    """Every layer's share of the parameter count, first layer first."""
    V, e, m = int(vocab_size), int(embed_dim), int(hidden)
    out = [Part("Embedding", rf"{V}\cdot{e}", V * e)]
    d = e
    for i in range(int(layers)):
        out.append(Part(f"{CELL_LABEL[cell]} layer {i + 1}", _latex(cell, m, d), recurrent_params(cell, m, d)))
        d = m
    out.append(Part("Dense (softmax)", rf"{m}\cdot{V} + {V}", m * V + V))
    return out


def total(vocab_size: int, cell: str, hidden: int, layers: int, embed_dim: int) -> int:
    return sum(p.count for p in parts(vocab_size, cell, hidden, layers, embed_dim))
