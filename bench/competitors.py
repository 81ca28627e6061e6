"""The usual ways of training the same thing, that the benchmarks set beside the project's trainer.

* ``SeedStyle``: the classic Keras text-generation tutorial: one-hot windows of 16 characters, LSTM 128, Dense
  softmax, RMSprop, batch 32, ``model.fit``; one prediction (the next character) per window.
* ``PlainFit``: ``model.fit`` of the exact many-to-many model the project trains (core.models.keras_model), same
  batch and window; every position is a prediction.

Each is timed from a callback's ``on_epoch_begin`` to ``on_epoch_end``, so the per-call data adapter set-up, which a
real user pays once, is not charged.
"""

from __future__ import annotations

import numpy as np

from bench.common import now

SEED_WINDOW, SEED_BATCH, SEED_HIDDEN = 16, 32, 128


class _EpochTimer:
    def __init__(self):
        import keras

        class CB(keras.callbacks.Callback):
            def on_epoch_begin(cb, epoch, logs=None):
                cb.t0 = now()

            def on_epoch_end(cb, epoch, logs=None):
                self.times.append(now() - cb.t0)

        self.times: list[float] = []
        self.cb = CB()


class SeedStyle:
    """The classic tutorial's way: one-hot windows, one prediction per window."""

    name = "seed_style"

    def __init__(self, corpus, seconds: float, seed: int = 0):
        import keras

        V = corpus.vocab_size
        self.V = V
        self.ids = corpus.train_ids
        self.rng = np.random.default_rng(seed)
        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential(
            [keras.Input((SEED_WINDOW, V)), keras.layers.LSTM(SEED_HIDDEN), keras.layers.Dense(V, activation="softmax")]
        )
        self.model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy")
        self.timer = _EpochTimer()
        self.seconds = seconds
        self.steps = 4

    def _data(self, n: int):
        starts = self.rng.integers(0, len(self.ids) - SEED_WINDOW - 1, size=n)
        idx = starts[:, None] + np.arange(SEED_WINDOW + 1)[None, :]
        w = self.ids[idx]  # (n, 17)
        eye = np.eye(self.V, dtype=np.float32)
        return eye[w[:, :-1]], eye[w[:, -1]]  # (n, 16, V), (n, V)

    def _fit(self, steps: int) -> float:
        x, y = self._data(steps * SEED_BATCH)
        self.model.fit(x, y, batch_size=SEED_BATCH, epochs=1, verbose=0, shuffle=False, callbacks=[self.timer.cb])
        return self.timer.times[-1]

    def warm_up(self) -> None:
        self._fit(4)  # traces
        dt = self._fit(8)
        self.steps = max(4, int(self.seconds / max(dt / 8, 1e-4)))

    def run(self) -> float:
        dt = self._fit(self.steps)
        return self.steps * SEED_BATCH / dt  # one prediction per window


class PlainFit:
    """``model.fit`` of the project's own model (same architecture, optimizer, batch and window)."""

    def __init__(self, corpus, config, seconds: float, *, jit: bool = False):
        import keras

        from core.models.keras_model import CLIPNORM, build_model

        self.name = "plain_fit_xla" if jit else "plain_fit"
        self.corpus, self.config, self.seconds = corpus, config, seconds
        self.rng = np.random.default_rng(config.seed)
        self.model = build_model(corpus.vocab_size, config)
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=CLIPNORM),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )
        self.timer = _EpochTimer()
        self.steps = 2

    def _fit(self, steps: int) -> float:
        c = self.config
        x, y = self.corpus.sample_batch(self.rng, steps * c.batch_size, c.seq_len)
        self.model.fit(x, y, batch_size=c.batch_size, epochs=1, verbose=0, shuffle=False, callbacks=[self.timer.cb])
        return self.timer.times[-1]

    def warm_up(self) -> None:
        self._fit(2)
        dt = self._fit(3)
        self.steps = max(2, int(self.seconds / max(dt / 3, 1e-4)))

    def run(self) -> float:
        dt = self._fit(self.steps)
        return self.steps * self.config.batch_size * self.config.seq_len / dt
