"""2. Sampling latency per character, and whether the samplers agree.

Same trained model (the project's default LSTM on the bundled Shakespeare, trained a few hundred
cheap steps so its distributions are peaked), hidden 128 and 512:

* ``keras_predict``      the naive loop: ``model.predict`` on the text so far at every step (the model is
  not stateful), softmax of the last position, draw with numpy.
* ``keras_tf_function``  the TensorFlow text-generation tutorial's ``OneStep``: a ``tf.function`` that runs
  one step of the embedding, the recurrent cell(s) with carried states and the Dense layer, then draws the
  next character with ``tf.random.categorical`` inside the function.
* ``project``            what the Text lab's Generate button runs: ``trainer.token_model()`` (weights
  snapshot) + ``core.models.sampling.generate`` (temperature 1, with the inspector records), timed together.
* ``project_blas1``      the same with NumPy's OpenBLAS limited to one thread (not what the app does today:
  shows what OpenBLAS's threading costs a one-vector-at-a-time sampler on a small machine).
* ``project_step_only``  ``NumpyRNN.next_token_probs`` alone (no sampling, no records), OpenBLAS 1 thread:
  the floor of the numpy path.

Agreement: the same teacher-forced text is fed to all three; the max abs difference of their probability
vectors against the Keras model's full-sequence forward pass is reported (target <= 1e-5).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.blas import blas_threads, get_threads
from bench.common import Settings, bundled_corpus, log, median, now
from core.labs.text_lab import new_trainer


def _softmax64(logits) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class OneStep:
    """The tutorial's one-step generator for an Embedding -> RNN cells -> Dense model (cells with carried states)."""

    def __init__(self, model):
        import tensorflow as tf

        from core.models.keras_model import rnn_layers as _rnn_layers

        self.tf = tf
        self.emb = model.layers[0]
        self.rnns = _rnn_layers(model)
        self.dense = model.layers[-1]
        self.lstm = type(self.rnns[0]).__name__ == "LSTM"
        h = self.rnns[0].units
        self.h = h
        spec_state = [tf.TensorSpec([1, h], tf.float32)] * (2 if self.lstm else 1)

        def step(token, states):
            x = self.emb(token)  # (1, E)
            out = []
            for layer, st in zip(self.rnns, states):
                x, ns = layer.cell(x, st, training=False)
                out.append(list(ns) if isinstance(ns, (list, tuple)) else [ns])
            logits = self.dense(x)  # (1, V)
            return logits, out

        n = len(self.rnns)
        sig = [tf.TensorSpec([1], tf.int32), [spec_state] * n]
        self.logits_step = tf.function(step, input_signature=sig)

        @tf.function(input_signature=sig)
        def sample_step(token, states):
            logits, out = step(token, states)
            nxt = tf.random.categorical(logits, num_samples=1, dtype=tf.int32)[:, 0]  # temperature 1
            return nxt, out

        self.sample_step = sample_step

    def initial_states(self):
        z = self.tf.zeros([1, self.h], self.tf.float32)
        return [[z, z] if self.lstm else [z] for _ in self.rnns]

    def generate(self, n: int, first: int) -> list[int]:
        tf = self.tf
        token = tf.constant([first], tf.int32)
        states = self.initial_states()
        out = []
        for _ in range(n):
            token, states = self.sample_step(token, states)
            out.append(token)
        return [int(t[0]) for t in out]

    def probs_forced(self, ids: np.ndarray) -> np.ndarray:
        tf = self.tf
        states = self.initial_states()
        rows = []
        for tok in ids:
            logits, states = self.logits_step(tf.constant([int(tok)], tf.int32), states)
            rows.append(_softmax64(logits.numpy()[0]))
        return np.stack(rows)


def predict_generate(model, n: int, prime: list[int], rng) -> list[int]:
    ids = list(prime)
    for _ in range(n):
        logits = model.predict(np.asarray([ids], np.int32), verbose=0)[0, -1]
        p = _softmax64(logits)
        ids.append(int(rng.choice(p.size, p=p)))
    return ids[len(prime) :]


def run(s: Settings) -> dict:
    from core.models.keras_model import RNNConfig
    from core.models.sampling import generate

    corpus = bundled_corpus(s)
    nl = corpus.stoi.get("\n", 0)
    out: dict = dict(
        keras_predict={},
        keras_tf_function={},
        project={},
        project_blas1={},
        project_step_only={},
        max_abs_prob_diff={},
        settings={},
        blas_threads_default=get_threads(),
    )
    for hidden in s.sample_hidden:
        cfg = replace(RNNConfig(), hidden=hidden)
        log(f"[sampling] {cfg.label()}")
        t = new_trainer(corpus, cfg)
        if s.sample_pretrain_steps > 0:  # cheap steps with a high rate: far from uniform, fast enough for --quick
            t.set_training_params(learning_rate=1e-2, batch_size=16, seq_len=50)
            t.train_steps(s.sample_pretrain_steps)
        steps = t.step
        model = t.model
        one = OneStep(model)
        rng = np.random.default_rng(0)

        # warm-up (tracing, first predict calls) excluded
        one.generate(3, nl)
        predict_generate(model, 3, [nl], rng)
        generate(t.token_model(), 5, rng=rng, first_input=nl)

        reps = dict(keras_predict=[], keras_tf_function=[], project=[], project_blas1=[], project_step_only=[])
        for r in range(s.repeats):
            t0 = now()
            predict_generate(model, s.predict_chars, [nl], rng)
            reps["keras_predict"].append((now() - t0) * 1e3 / s.predict_chars)
            t0 = now()
            one.generate(s.sample_chars, nl)
            reps["keras_tf_function"].append((now() - t0) * 1e3 / s.sample_chars)
            t0 = now()
            generate(t.token_model(), s.sample_chars, temperature=1.0, rng=rng, first_input=nl)
            reps["project"].append((now() - t0) * 1e3 / s.sample_chars)
            with blas_threads(1) as ok:
                t0 = now()
                generate(t.token_model(), s.sample_chars, temperature=1.0, rng=rng, first_input=nl)
                reps["project_blas1"].append((now() - t0) * 1e3 / s.sample_chars if ok else None)
                npm = t.token_model()
                state, tok = npm.initial_state(), nl
                t0 = now()
                for _ in range(s.sample_chars):
                    _, state = npm.next_token_probs(state, tok)
                reps["project_step_only"].append((now() - t0) * 1e3 / s.sample_chars if ok else None)
        for k, v in reps.items():
            out[k][str(hidden)] = dict(ms_per_char=median(v), repeats=[None if x is None else round(x, 4) for x in v])

        # agreement: teacher-forced validation text through every path
        ids = corpus.val_ids[: s.equal_chars + 1]
        ref = _softmax64(np.asarray(model(np.asarray([ids], np.int32), training=False))[0])  # (T+1, V)
        npm = t.token_model()
        state = npm.initial_state()
        rows = []
        for tok in ids:
            p, state = npm.next_token_probs(state, int(tok))
            rows.append(p)
        proj = np.stack(rows)
        tff = one.probs_forced(ids)
        step_pred = _softmax64(model.predict(np.asarray([ids[:20]], np.int32), verbose=0)[0])  # predict == call
        out["max_abs_prob_diff"][str(hidden)] = dict(
            project_vs_keras=float(np.abs(proj - ref).max()),
            tf_function_vs_keras=float(np.abs(tff - ref).max()),
            predict_vs_keras=float(np.abs(step_pred - ref[:20]).max()),
            max_prob_mean=float(ref.max(axis=1).mean()),  # how peaked the distributions were
            chars=int(len(ids)),
        )
        out["settings"][str(hidden)] = dict(
            config=cfg.label(), pretrain_steps=steps, sample_chars=s.sample_chars, predict_chars=s.predict_chars
        )
        log("  ", {k: out[k][str(hidden)]["ms_per_char"] for k in reps}, out["max_abs_prob_diff"][str(hidden)])
        del t, model, one
    out["ratios"] = {
        h: dict(
            tf_function_vs_project=out["keras_tf_function"][h]["ms_per_char"] / out["project"][h]["ms_per_char"],
            predict_vs_project=out["keras_predict"][h]["ms_per_char"] / out["project"][h]["ms_per_char"],
        )
        for h in out["project"]
    }
    out["repeats"] = s.repeats
    return out
