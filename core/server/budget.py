"""What a model costs before it is built: memory while training, and steps a minute on this server.

A class server has a memory budget (``SERVER_BUDGET_MB``, configurable by the environment variable
``RNNP_SERVER_BUDGET_MB``; the default suits a 2-core / 4 GB class server). One session's model may use at
most ``SESSION_SHARE`` of it, and no model is built that would take the server process past its budget.
``check`` says so in words, with the largest size that fits, *before* anything is built.

Memory while training a Keras model (``training_bytes``) was measured on this machine (docs/classroom.md,
scripts/memory_fit.py) and is modelled as

    bytes ≈ PER_PARAM * parameters + PER_STEP_KERNEL * seq_len * (hidden * gates * hidden * 4) + BASE

The first term is the weights, their gradients, Adam's two moments, the trainer's two roll-back copies
(weights + optimizer state each) and the copy of the best validation weights (4 bytes each): 44 of its 56 bytes.
The time-lapse's snapshots are not in it: core/models/timelapse.py caps them at 32 MB per lab. The second is
TensorFlow's backward pass through time, which keeps one
recurrent-kernel-sized gradient per time step of the window (it does not grow with the batch size). The
constants make it an upper bound of every measured configuration.

Speed (``steps_per_minute``) is estimated from the floating-point work of a step and a fixed overhead per
step, at the rate this session last measured (on a model it trained), or at ``DEFAULT_FLOPS`` (the 2-core
machine the project is tested on) before it has trained anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from core.models.keras_model import MAX_HIDDEN, RNNConfig, count_params

PER_PARAM = 56  # bytes per parameter while training (fitted upper bound)
PER_STEP_KERNEL = 1.2  # recurrent kernels (float32) kept per time step of the window (fitted upper bound)
BASE = 96 * 2**20  # traced step functions, oneDNN scratch space and small buffers, bytes (fitted upper bound)
GATES = {"simplernn": 1, "lstm": 4, "gru": 3}
SERVER_BUDGET_MB = 3072  # default: a 4 GB class server keeps ~1 GB for the system and the rest for this app
SESSION_SHARE = 0.35  # one session's model may use at most this share of the server budget
DEFAULT_FLOPS = 60e9  # floating-point operations per second of training, 2-core test machine, in the browser
STEP_OVERHEAD_S = 0.08  # seconds per step that do not grow with the model (dispatch, the page's own work)
HIDDEN_STEP = 16  # the Text lab's hidden-size slider step


def server_budget_bytes() -> int:
    """The server's budget from ``RNNP_SERVER_BUDGET_MB`` (a positive number of MB), else the default."""
    try:
        mb = float(os.environ.get("RNNP_SERVER_BUDGET_MB", SERVER_BUDGET_MB))
    except ValueError:
        mb = SERVER_BUDGET_MB
    return int((mb if mb > 0 else SERVER_BUDGET_MB) * 2**20)


def training_bytes(vocab_size: int, config: RNNConfig) -> int:
    """Upper bound of the memory a Keras model of this config takes while it trains (see the module docstring)."""
    kernel = config.hidden * GATES[config.cell] * config.hidden * 4  # one recurrent kernel, float32
    return int(PER_PARAM * count_params(vocab_size, config) + PER_STEP_KERNEL * config.seq_len * kernel + BASE)


def step_flops(vocab_size: int, config: RNNConfig) -> float:
    """Floating-point operations of one training step (forward and backward ≈ 3 × the forward multiply-adds × 2)."""
    g, h = GATES[config.cell], config.hidden
    macs, d_in = 0, config.embed_dim
    for _ in range(config.layers):
        macs += g * (d_in * h + h * h)
        d_in = h
    macs += h * vocab_size  # the output layer
    return 6.0 * macs * config.batch_size * config.seq_len


def steps_per_minute(vocab_size: int, config: RNNConfig, measured: tuple[float, float] | None = None) -> float:
    """Training steps a minute for ``config``: seconds per step = flops / rate + STEP_OVERHEAD_S, where the rate
    comes from ``measured`` = (flops of a step, seconds per step) of a model this session trained, else
    DEFAULT_FLOPS. (The two constants fit the Text lab in Chromium here: ~5 steps/s at LSTM 256, ~8 steps a
    minute at LSTM 1024 × 3.)"""
    rate = DEFAULT_FLOPS
    if measured and measured[1] > STEP_OVERHEAD_S:
        rate = measured[0] / (measured[1] - STEP_OVERHEAD_S)
    return 60.0 / (step_flops(vocab_size, config) / rate + STEP_OVERHEAD_S)


@dataclass(frozen=True)
class Verdict:
    """Whether a model may be built, and what to say."""

    ok: bool  # build it
    need: int  # bytes it needs while training
    allowed: int  # bytes it may use now (the smaller of the session cap and what the server has left)
    message: str  # what the page says when it is refused ("" when ok)
    suggestion: RNNConfig | None  # the largest size that fits now (None: none does)


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def largest_fitting(vocab_size: int, config: RNNConfig, allowed: int) -> RNNConfig | None:
    """The config with the largest hidden size (then fewer layers) that fits in ``allowed`` bytes."""
    for layers in range(config.layers, 0, -1):
        hidden = min(config.hidden, MAX_HIDDEN) // HIDDEN_STEP * HIDDEN_STEP
        while hidden >= HIDDEN_STEP:
            c = replace(config, hidden=hidden, layers=layers)
            if training_bytes(vocab_size, c) <= allowed:
                return c
            hidden -= HIDDEN_STEP
    return None


def check(vocab_size: int, config: RNNConfig, server_in_use: int, *, budget: int | None = None) -> Verdict:
    """May this model be built now? ``server_in_use``: the server process's memory now (minus whatever the new
    model replaces)."""
    budget = server_budget_bytes() if budget is None else budget
    need = training_bytes(vocab_size, config)
    session_cap = int(SESSION_SHARE * budget)
    left = max(0, budget - server_in_use)
    allowed = min(session_cap, left)
    if need <= allowed:
        return Verdict(True, need, allowed, "", None)
    suggestion = largest_fitting(vocab_size, config, allowed)
    if need > session_cap and session_cap <= left:
        why = (
            f"This model needs about {mb(need)} while it trains, more than one session may use on this server "
            f"({mb(session_cap)}: {SESSION_SHARE:.0%} of its {mb(budget)} budget, so that a class fits)."
        )
    else:
        why = (
            f"This model needs about {mb(need)} while it trains, but the server is near its memory budget "
            f"({mb(server_in_use)} of {mb(budget)} in use by everyone's models): it has {mb(left)} left."
        )
    fit = (
        f" The largest that fits now: {suggestion.label().split(' · ')[0]}."
        if suggestion
        else " No size fits now: try again later."
    )
    return Verdict(False, need, allowed, why + " Nothing was built." + fit, suggestion)
