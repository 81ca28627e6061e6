"""Targets (met or not) and the markdown report (docs/benchmarks.md) from the results dict."""

from __future__ import annotations

import json

from bench.common import DEFAULT_HIDDEN, LIMITS_MD

H = DEFAULT_HIDDEN  # the Text lab's default size (rows 1c, 1d and the throughput table)

NANOGPT_CPU = 1.88  # nanoGPT README, shakespeare_char "baby GPT" CPU recipe (~3 min on a MacBook): val loss 1.88


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _point(q, corpus, model, budget):
    for p in _get(q, corpus, model, "points") or []:
        if p["budget_s"] == budget:
            return p["val_nats_per_char"]
    return None


def _cmp(value, op, bound):
    if value is None:
        return None
    return bool(value >= bound) if op == ">=" else bool(value <= bound)


def targets(r: dict) -> list[dict]:
    mode = _get(r, "meta", "mode")
    out = []

    def add(tid, what, target, value, met, note=""):
        out.append(dict(id=tid, what=what, target=target, value=value, met=met, note=note))

    tp = r.get("text_train_chars_per_s") or {}
    v = _get(tp, "ratios", "project_vs_seed_style")
    add("1a", "Training throughput: project vs seed style (LSTM 128)", ">= 15x", v, _cmp(v, ">=", 15.0))
    v = _get(tp, "ratios", "project_vs_plain_fit")
    add("1b", "Training throughput: project vs plain model.fit (LSTM 128)", ">= 1.0x", v, _cmp(v, ">=", 1.0))
    if f"ratios_lstm{H}" in tp:
        v = _get(tp, f"ratios_lstm{H}", "project_vs_plain_fit")
        add("1c", f"Training throughput: project vs plain model.fit (LSTM {H})", ">= 1.0x", v, _cmp(v, ">=", 1.0))
    b = _get(tp, "project_in_browser")
    v = b.get("vs_plain_fit_default") if isinstance(b, dict) else None
    side = _get(tp, "project_in_browser_vs_fit")  # alternated round by round with plain fit (preferred)
    if isinstance(side, dict) and "ratio" in side:
        b, v = side, side["ratio"]
    add(
        "1d",
        f"In-browser Text training vs plain model.fit (LSTM {H})",
        ">= 0.9x",
        v,
        _cmp(v, ">=", 0.9),
        "" if v is not None else (b.get("error", "") if isinstance(b, dict) else f"not measured in {mode} mode"),
    )
    sp = r.get("sampling_ms_per_char") or {}
    v = _get(sp, "project", "512", "ms_per_char")
    add("2a", "Sampling latency at hidden 512 (project)", "<= 0.2 ms/char", v, _cmp(v, "<=", 0.2))
    diffs = [_get(sp, "max_abs_prob_diff", h, "project_vs_keras") for h in ("128", "512")]
    v = max(diffs) if all(d is not None for d in diffs) else None
    add("2b", "Sampler probabilities vs the Keras model (max abs diff, 128 and 512)", "<= 1e-5", v, _cmp(v, "<=", 1e-5))
    q = r.get("val_nats_per_char") or {}
    tiny_budgets = q.get("tiny_budgets_s") or []
    hidden = _get(r, "meta", "settings", "quality_hidden") or DEFAULT_HIDDEN
    for tid, budget, bound in (("3a", 120.0, 1.60), ("3b", 300.0, 1.52)):  # the quality targets
        for cell in ("lstm", "gru"):
            model = f"{cell}_{hidden}"
            if q.get("tiny_shakespeare") is None and "tiny_shakespeare" in q:
                add(
                    tid,
                    f"Tiny Shakespeare val nats/char after {budget:.0f} s, {cell.upper()} {hidden}",
                    f"<= {bound}",
                    None,
                    None,
                    "../shared/data/tinyshakespeare.txt not present",
                )
            elif budget in tiny_budgets:
                v = _point(q, "tiny_shakespeare", model, budget)
                add(
                    tid,
                    f"Tiny Shakespeare val nats/char after {budget:.0f} s, {cell.upper()} {hidden}",
                    f"<= {bound}",
                    v,
                    _cmp(v, "<=", bound),
                )
            else:
                add(
                    tid,
                    f"Tiny Shakespeare val nats/char after {budget:.0f} s, {cell.upper()} {hidden}",
                    f"<= {bound}",
                    None,
                    None,
                    f"not measured in {mode} mode (budgets {', '.join(f'{b:g} s' for b in tiny_budgets)})",
                )
    # validation never rises between budgets, no roll-backs (every cell on tiny Shakespeare)
    for cell in ("lstm", "gru", "simplernn"):
        e = _get(q, "tiny_shakespeare", f"{cell}_{hidden}")
        name = {"lstm": "LSTM", "gru": "GRU", "simplernn": "SimpleRNN"}[cell]
        if not isinstance(e, dict) or "points" not in e:
            add(
                "3c",
                f"Tiny Shakespeare, {name} {hidden}: validation never rises between budgets, no roll-backs",
                "true",
                None,
                None,
                "not measured",
            )
            continue
        pts = e["points"]
        budgets = ", ".join(f"{p['budget_s']:g}" for p in pts)
        shown = (
            " / ".join(f"{p['val_nats_per_char']:.3f}" for p in pts)
            + f" ({budgets} s); {e.get('rollbacks', 0)} roll-backs"
        )
        met = bool(e.get("never_rises")) and not e.get("rollbacks")
        add(
            "3c",
            f"Tiny Shakespeare, {name} {hidden}: validation never rises between budgets, no roll-backs",
            "true",
            shown,
            met,
        )
    mb = r.get("music_best_weights") or {}
    if mb and "error" not in mb:
        v = _get(mb, "on", "composing_minus_best")
        add(
            "7",
            "Music, 20 pieces, stop at the best validation: composing weights minus best validation (nats)",
            "<= 0.05",
            v,
            _cmp(v, "<=", 0.05),
        )
    else:
        add(
            "7",
            "Music, 20 pieces, stop at the best validation: composing weights minus best validation (nats)",
            "<= 0.05",
            None,
            None,
            mb.get("error", "not measured"),
        )
    rp = r.get("reproducible") or {}
    v = rp.get("max_abs_diff_default")
    add(
        "8",
        "Same seed, same first steps of loss (max abs difference, two fresh trainers)",
        "<= 1e-6",
        v,
        _cmp(v, "<=", 1e-6),
        ""
        if v is None
        else f"{rp.get('steps')} steps; op determinism would run at {rp.get('op_determinism_speed_ratio', 0):.2f}x "
        "the speed",
    )
    d = r.get("numpy_rnn") or {}
    v = d.get("seconds_to_beat_bigram")
    trained = d.get("trained_s")
    met = None if not d or "error" in d else (v is not None and v <= 30.0)
    note = "" if v is not None or trained is None else f"not beaten within the {trained:g} s trained"
    if v is None and trained is not None and trained < 30 and met is False:
        met, note = None, f"not beaten within the {trained:g} s trained in {mode} mode (target window is 30 s)"
    add("4", "Dinosaur RNN beats the bigram on held-out names (seconds of training)", "<= 30 s", v, met, note)
    v = r.get("home_page_imports_tensorflow")
    add("5", "Home page imports TensorFlow", "false", v, None if v is None else (v is False))
    ma = r.get("music_audio_s") or {}
    rows = [ma.get(k) for k in ("melody", "chords")]
    if ma and "error" not in ma and all(rows):
        v = max(x["fluidsynth_s"] for x in rows)
        engines = {x["fluidsynth_engine"] for x in rows}
        note = f"slower of melody / chords; sine fallback {max(x['sine_s'] for x in rows):.3f} s"
        if engines != {"fluidsynth"}:
            note = f"rendered with {', '.join(sorted(engines))}: {ma.get('fluidsynth_problem') or 'FluidSynth failed'}"
        add(
            "6", "Music audio: render 100 values through FluidSynth (s)", "<= 1 s", v, all(x["met"] for x in rows), note
        )
    else:
        add(
            "6",
            "Music audio: render 100 values through FluidSynth (s)",
            "<= 1 s",
            None,
            None,
            ma.get("error", "not measured"),
        )
    _click_targets(r, add)
    return out


CLICK_LABS = ("dinosaurs", "text", "music")
CLICK_TARGETS = (  # (id, what, where in each lab's results, comparison, bound, unit)
    ("9a", "A widget answers, idle (median, Chromium)", ("widget_idle_s",), "<=", 0.3, " s"),
    ("9b", "A widget answers while the lab trains (median, Chromium)", ("widget_training_s",), "<=", 0.5, " s"),
    ("9c", "Stop answers (Chromium)", ("stop_s",), "<=", 0.3, " s"),
    ("9d", "Start → the loss chart's first point (Chromium)", ("start_to_first_point_s",), "<=", 1.5, " s"),
    (
        "9e",
        "Training speed on the session's thread vs the plain way, in process",
        ("in_process", "ratio"),
        ">=",
        0.95,
        "x",
    ),
    ("9f", "Training speed in Chromium vs the plain way", ("in_browser", "ratio"), ">=", 0.95, "x"),
    (
        "9g",
        "Training speed in Chromium, the browser on a core of its own, vs the plain way",
        ("in_browser_own_core", "ratio"),
        ">=",
        0.95,
        "x",
    ),
)


def _click_value(c: dict, lab: str, where: tuple):
    """A lab's figure: the clicks are under the lab (``c[lab][key]``), the speeds under their kind
    (``c["in_process"][lab]["ratio"]``)."""
    return _get(c, lab, *where) if len(where) == 1 else _get(c, where[0], lab, *where[1:])


def _click_targets(r: dict, add) -> None:
    """Rows 9a-9g: every lab's figure in one row, met when all three are."""
    c = r.get("click_latency_s")
    if not c:
        return
    why = c.get("skipped") or c.get("error")
    for tid, what, where, op, bound, unit in CLICK_TARGETS:
        vals = {lab: _click_value(c, lab, where) for lab in CLICK_LABS}
        if why or all(v is None for v in vals.values()):
            add(tid, what, f"{op} {bound:g}{unit}", None, None, why or "not measured")
            continue
        shown = " / ".join(
            f"{lab} {'–' if v is None else f'{v:.2f}'}{'' if v is None else unit}" for lab, v in vals.items()
        )
        met = None if any(v is None for v in vals.values()) else all(_cmp(v, op, bound) for v in vals.values())
        add(tid, what + " (Dinosaurs / Text / Music)", f"{op} {bound:g}{unit}", shown, met)


def _fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}{unit}"
        if abs(v) >= 10:
            return f"{v:.1f}{unit}"
        if abs(v) >= 0.01:
            return f"{v:.3f}{unit}"
        return f"{v:.2e}{unit}"
    return f"{v}{unit}"


def _met(m):
    return "–" if m is None else ("**met**" if m else "**not met**")


def _front(r: dict) -> list[str]:
    """The title, how the figures were made and, outside the full run, that they are for orientation."""
    meta = r.get("meta", {})
    mode = meta.get("mode", "?")
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append(
        f"_Generated by `{meta.get('command', 'python -m bench')}` on {meta.get('date', '?')} in "
        f"{meta.get('wall_s', '?')} s. "
        "Do not edit by hand: rerun the harness (the notes at the end come from `bench/limits.md`)._"
    )
    L.append("")
    for name, when in (meta.get("rerun") or {}).items():
        L.append(
            f"_Section `{name}` rerun on {when['date']} (`{when['command']}`, load average at its start "
            f"{when.get('load_average')}) and merged into that run's results; the rest is that run's._"
        )
        L.append("")
    if mode != "full":
        L.append(
            f"> **{mode.upper()} MODE.** Short budgets and few repeats: these figures are for orientation only. "
            "The published table comes from the full run (`python -m bench`)."
        )
        L.append("")
    L.append(
        "Every figure is the median of repeats run side by side in one process (competitors interleaved round by "
        "round, warm-up excluded); ratios are the median of per-round ratios within this run. Raw figures: "
        "`bench/results/latest.json`."
    )
    L.append("")
    return L


def _machine(r: dict) -> list[str]:
    """## Machine: CPU, memory, load, versions and the mode's settings."""
    meta = r.get("meta", {})
    mode = meta.get("mode", "?")
    mach = meta.get("machine", {})
    ver = meta.get("versions", {})
    s = meta.get("settings", {})
    L = []
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append(
        f"| CPU | {mach.get('cpu', '?')}, {mach.get('cores_usable', mach.get('cores', '?'))} cores usable, no GPU |"
    )
    L.append(f"| Memory | {mach.get('mem_gb', '?')} GB |")
    L.append(
        f"| Load average (1/5/15 min) at start / end | {mach.get('load_average_at_start')} / "
        f"{meta.get('load_average_at_end')} |"
    )
    L.append(f"| Platform | {mach.get('platform', '?')} |")
    L.append(
        f"| Versions | Python {ver.get('python')}, TensorFlow {ver.get('tensorflow')}, Keras {ver.get('keras')}, "
        f"NumPy {ver.get('numpy')}, Streamlit {ver.get('streamlit')} |"
    )
    L.append(
        f"| Mode | {mode}: {s.get('repeats')} repeats per figure; {'; '.join(s.get('notes') or []) or 'full budgets'} |"
    )
    L.append("")
    return L


def _targets_table(r: dict) -> list[str]:
    """## Targets: each target, its measured value and whether it was met."""
    L = []
    L.append("## Targets")
    L.append("")
    L.append("| # | What | Target | Measured | |")
    L.append("|---|---|---|---|---|")
    for t in r.get("targets", []):
        val = t["value"]
        shown = f"{val:.2f}x" if isinstance(val, float) and t["target"].endswith("x") else _fmt(val)
        if t["id"] == "4" and isinstance(val, float):
            shown = f"{val:g} s"
        if "ms/char" in t["target"] and isinstance(val, float):
            shown += " ms/char"
        note = f" ({t['note']})" if t.get("note") else ""
        L.append(f"| {t['id']} | {t['what']} | {t['target']} | {shown} | {_met(t['met'])}{note} |")
    L.append("")
    return L


def _throughput(r: dict) -> list[str]:
    """## 1: Text training characters per second, the competitors and the in-browser runs."""
    L = []
    tp = r.get("text_train_chars_per_s") or {}
    L.append("## 1. Text training throughput (bundled Shakespeare)")
    L.append("")
    if "error" in tp:
        L.append(f"Failed: `{tp['error']}`")
    else:
        L.append(
            "Training characters per second, counted as predicted targets: one per window for the seed style, "
            "batch × sequence length per step for the many-to-many models. "
            f"{tp.get('repeats')} repeats of ~{tp.get('seconds_per_repeat')} s each."
        )
        L.append("")
        L.append("| Competitor | Model | chars/s (median) | repeats | vs seed style | vs plain fit |")
        L.append("|---|---|---|---|---|---|")
        rat = tp.get("ratios", {})
        for k, label, model in (
            ("seed_style", "seed style (classic Keras tutorial)", "LSTM 128, one-hot windows of 16, batch 32, RMSprop"),
            ("plain_fit", "plain `model.fit`", "the project's model, LSTM 128, defaults"),
            ("plain_fit_xla", "plain `model.fit`, `jit_compile=True`", "the project's model, LSTM 128, defaults"),
            ("project", "**project** (`SequenceTrainer` in UI slices)", "LSTM 128, defaults"),
            ("project_slices_only", "project slices without the page's validation/sample", "LSTM 128, defaults"),
            (f"plain_fit_lstm{H}", "plain `model.fit`", f"LSTM {H} (the app's default size)"),
            (f"project_lstm{H}", "**project** (`SequenceTrainer` in UI slices)", f"LSTM {H} (the app's default size)"),
        ):
            e = tp.get(k)
            if not e:
                continue
            vs_seed = vs_plain = ""
            if k == "project":
                vs_seed = f"{rat.get('project_vs_seed_style', 0):.1f}x"
                vs_plain = f"{rat.get('project_vs_plain_fit', 0):.2f}x"
                if rat.get("project_vs_plain_fit_of_medians"):
                    vs_plain += f" (ratio of medians {rat['project_vs_plain_fit_of_medians']:.2f}x)"
            elif k == "plain_fit":
                vs_seed = f"{rat.get('plain_fit_vs_seed_style', 0):.1f}x"
            elif k == "project_slices_only":
                vs_plain = f"{rat.get('project_slices_only_vs_plain_fit', 0):.2f}x"
            elif k == "plain_fit_xla":
                vs_plain = f"{rat.get('plain_fit_xla_vs_plain_fit', 0):.2f}x"
            elif k == f"project_lstm{H}":
                vs_plain = f"{_get(tp, f'ratios_lstm{H}', 'project_vs_plain_fit') or 0:.2f}x"
                if _get(tp, f"ratios_lstm{H}", "project_vs_plain_fit_of_medians"):
                    vs_plain += f" (ratio of medians {tp[f'ratios_lstm{H}']['project_vs_plain_fit_of_medians']:.2f}x)"
            reps = ", ".join(f"{x:,.0f}" for x in e["repeats"])
            L.append(f"| {label} | {model} | {e['chars_per_s']:,.0f} | {reps} | {vs_seed} | {vs_plain} |")
        L.append("")
        b = tp.get("project_in_browser")
        if isinstance(b, dict):
            if "chars_per_s" in b:
                L.append(
                    "In a real browser (`streamlit run app.py` + Chromium, the Text lab with its default settings, "
                    "bench/browser.py): "
                    f"**{b['chars_per_s']:,.0f} chars/s** over {b['seconds']:g} s"
                    + (
                        f" = {b['vs_plain_fit_default']:.2f}x plain `fit` LSTM {H} of this run (not interleaved)"
                        if b.get("vs_plain_fit_default")
                        else ""
                    )
                    + f"; first loss point {b.get('first_point_s')} s after the click."
                )
            else:
                L.append(f"In a real browser: not measured ({b.get('error')}).")
            L.append("")
        side = tp.get("project_in_browser_vs_fit")
        if isinstance(side, dict):
            if "ratio" in side:
                L.append(
                    "Side by side (bench/browser.py `versus_fit`: the lab in Chromium and a plain `fit` of the same "
                    "model in turn, "
                    f"{len(side['ratios'])} rounds of {side['seconds']:g} s, {side['config']}): "
                    f"**{side['ratio']:.2f}x** plain `fit` "
                    f"(per round {', '.join(f'{x:.2f}' for x in side['ratios'])}; lab "
                    f"{', '.join(f'{x:,}' for x in side['lab_chars_per_s'])} chars/s, "
                    f"fit {', '.join(f'{x:,}' for x in side['fit_chars_per_s'])})."
                )
            else:
                L.append(f"Side by side with plain `fit`: not measured ({side.get('error')}).")
            L.append("")
        n = tp.get("newcomer_in_browser")
        if isinstance(n, dict):
            if "val" in n:
                L.append(
                    f"A newcomer in the same setup (bench/browser.py `newcomer`): Start, then {n['seconds']:g} s later "
                    f"**step {n['steps']:,}**, training time {n['training_time']}, **validation loss "
                    f"{n['val']:.3f}**; the page refreshed "
                    f"every {n['refresh_gap_median_s']} s (median; longest gap {n['refresh_gap_max_s']} s). "
                    f"{n['sample_head']}:"
                )
                L.append("")
                L.append("```")
                L.append(n["sample"])
                L.append("```")
                L.append("")
                L.append(f"The page's check of it: {n['check']}")
            else:
                L.append(f"A newcomer: not measured ({n.get('error')}).")
            L.append("")
        drv = _get(tp, "project", "settings", "driven_as")
        if drv:
            L.append(f"The project is driven as the Text lab drives it: {drv}. Settings of every run are in the JSON.")
            L.append("")
    return L


def _sampling(r: dict) -> list[str]:
    """## 2: sampling milliseconds per character and agreement with the Keras model."""
    L = []
    sp = r.get("sampling_ms_per_char") or {}
    L.append("## 2. Sampling latency per character")
    L.append("")
    if "error" in sp:
        L.append(f"Failed: `{sp['error']}`")
    else:
        hs = list((sp.get("project") or {}).keys())
        L.append(
            f"Default LSTM (embedding 64) trained {_get(sp, 'settings', hs[0], 'pretrain_steps') if hs else '?'} "
            "cheap steps on the "
            "bundled Shakespeare (so the distributions are not uniform), temperature 1. "
            "`model.predict` reads the whole text so far at every step; the `tf.function` one-step (the TensorFlow "
            "tutorial's `OneStep`) carries the cell states and draws with `tf.random.categorical`; the project's time "
            "includes the weights snapshot (`trainer.token_model()`) and `core.models.sampling.generate` with its "
            "inspector records."
        )
        L.append("")
        L.append(
            "| Method | "
            + " | ".join(f"hidden {h}: ms/char" for h in hs)
            + " | "
            + " | ".join(f"time ÷ project's, {h}" for h in hs)
            + " |"
        )
        L.append("|---|" + "---|" * (2 * len(hs)))
        for k, label in (
            ("keras_predict", "`model.predict` per step"),
            ("keras_tf_function", "`tf.function` one step (OneStep)"),
            ("project", "**project** (`token_model()` + `generate`), as the app runs it"),
            ("project_blas1", "project, OpenBLAS limited to 1 thread"),
            ("project_step_only", "`NumpyRNN.next_token_probs` alone, OpenBLAS 1 thread (floor)"),
        ):
            if not sp.get(k):
                continue
            vals = [_get(sp, k, h, "ms_per_char") for h in hs]
            refs = [_get(sp, "project", h, "ms_per_char") for h in hs]
            ratios = [f"{v / p:,.2f}" if v and p else "–" for v, p in zip(vals, refs)]
            L.append(f"| {label} | " + " | ".join(_fmt(v) for v in vals) + " | " + " | ".join(ratios) + " |")
        L.append("")
        if sp.get("blas_threads_default") is not None:
            L.append(f"NumPy's OpenBLAS used {sp['blas_threads_default']} thread(s) by default in this run.")
            L.append("")
        L.append(
            "Agreement on the same teacher-forced validation text (max abs difference of the probability vectors vs "
            "the "
            "Keras model's forward pass):"
        )
        L.append("")
        L.append(
            "| Hidden | project (numpy) | `tf.function` one step | `model.predict` | characters | mean top "
            "probability |"
        )
        L.append("|---|---|---|---|---|---|")
        for h in hs:
            d = _get(sp, "max_abs_prob_diff", h) or {}
            L.append(
                f"| {h} | {_fmt(d.get('project_vs_keras'))} | {_fmt(d.get('tf_function_vs_keras'))} | "
                f"{_fmt(d.get('predict_vs_keras'))} | "
                f"{d.get('chars', '–')} | {_fmt(d.get('max_prob_mean'))} |"
            )
        L.append("")
    return L


def _quality(r: dict) -> list[str]:
    """## 3: validation loss against training time, validation noise, nanoGPT for scale."""
    L = []
    q = r.get("val_nats_per_char") or {}
    L.append("## 3. Quality against training time")
    L.append("")
    if "error" in q:
        L.append(f"Failed: `{q['error']}`")
    else:
        L.append(
            f"The app's defaults (`RNNConfig()`: {q.get('defaults')}) with the cell and hidden size overridden. "
            "Budget = time inside `train_steps` (tracing included, validation passes excluded). Validation: the last "
            "10% "
            "of the text, non-overlapping windows of 100 characters from a zero state, nats per character."
        )
        L.append("")
        L.append(
            "| Text | Model | Budget | Trained | Steps | Characters seen | Val nats/char | Accuracy | Train (last 50 "
            "steps) | Roll-backs | Target |"
        )
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for corpus, label in (("bundled_shakespeare", "bundled Shakespeare"), ("tiny_shakespeare", "tiny Shakespeare")):
            c = q.get(corpus)
            if c is None:
                if corpus in q:
                    L.append(
                        f"| {label} | – | – | – | – | – | – | – | not present (`../shared/data/tinyshakespeare.txt`) |"
                    )
                continue
            for model, e in c.items():
                if not isinstance(e, dict) or "points" not in e:
                    continue
                for p in e["points"]:
                    tgt = ""
                    if corpus == "tiny_shakespeare" and model.split("_")[0] in ("lstm", "gru"):
                        bound = {120.0: 1.60, 300.0: 1.52}.get(p["budget_s"])
                        if bound is not None and p["val_nats_per_char"] is not None:
                            tgt = f"≤ {bound}: {_met(p['val_nats_per_char'] <= bound)}"
                    acc = p.get("val_accuracy")
                    L.append(
                        f"| {label} | {model.replace('_', ' ').upper()} | {p['budget_s']:g} s | {p['trained_s']:g} s "
                        f"| {p['steps']:,} | "
                        f"{p['chars_seen']:,} | {_fmt(p['val_nats_per_char'])} | "
                        f"{'–' if acc is None else f'{100 * acc:.1f}%'} | "
                        f"{_fmt(p['train_nats_per_char_last50'])} | {p.get('rollbacks', len(p.get('stops', [])))} | "
                        f"{tgt} |"
                    )
        L.append("")
        tiny = q.get("tiny_shakespeare") or {}
        noise = [
            (m, e["validation_noise"]) for m, e in tiny.items() if isinstance(e, dict) and e.get("validation_noise")
        ]
        if noise:
            L.append(
                "**Validation noise**: the spread of validation estimates on the *same weights* (after the last "
                "budget) "
                "from disjoint sets of validation windows of 100 characters: the old live set had 64 windows, the "
                "Text lab's live "
                "set now has 256 (measured one batch of 64 per validation point, in turn)."
            )
            L.append("")
            L.append("| Model | Windows per estimate | Sets | Mean | Standard deviation | Largest − smallest |")
            L.append("|---|---|---|---|---|---|")
            for m, nz in noise:
                for k, e in nz.items():
                    L.append(
                        f"| {m.replace('_', ' ').upper()} | {k} | {e['sets']} | {e['mean']:.3f} | {e['std']:.4f} | "
                        f"{e['spread']:.4f} |"
                    )
            L.append("")
            L.append(
                "Next-token accuracy is reported beside the loss; the loss is the better measure (accuracy only "
                "checks the single "
                "most likely character, the loss also how much probability the right one got)."
            )
            L.append("")
        L.append(
            f"For comparison, nanoGPT's character-level Shakespeare on CPU (its README's recipe: a 4-layer, 128-wide "
            "transformer, block 64, batch 12, 2000 iterations, about 3 minutes) reaches a validation loss of "
            f"{NANOGPT_CPU} "
            "nats per character on tiny Shakespeare with the same 90/10 split."
        )
        L.append("")
    return L


def _music_best(r: dict) -> list[str]:
    """## 3b: the Music lab's best weights on a small corpus (when measured)."""
    L = []
    mb = r.get("music_best_weights") or {}
    if mb:
        L.append("## 3b. Music: the best weights on a small corpus")
        L.append("")
        if "error" in mb:
            L.append(f"Failed: `{mb['error']}`")
        else:
            L.append(
                f"The Music lab at its page's defaults on {mb.get('corpus')}, trained slice by slice as the page "
                "does until it stops; "
                "then the weights a composition uses are validated again."
            )
            L.append("")
            L.append(
                "| Stop at the best validation | Stopped | Steps | Best validation (step) | Highest after the best | "
                "Composing weights | − best |"
            )
            L.append("|---|---|---|---|---|---|---|")
            for k in ("on", "off"):
                e = mb.get(k) or {}
                if e:
                    L.append(
                        f"| {k} | {e['stop']} | {e['steps']:,} | {e['best_val']:.3f} ({e['best_step']:,}) | "
                        f"{e['max_val']:.3f} | "
                        f"{e['composing_val']:.3f} | {e['composing_minus_best']:+.3f} |"
                    )
            L.append("")
    return L


def _reproducible(r: dict) -> list[str]:
    """## 3c: two fresh trainers with one seed (when measured)."""
    L = []
    rp = r.get("reproducible") or {}
    if rp:
        L.append("## 3c. Reproducible runs")
        L.append("")
        if "error" in rp:
            L.append(f"Failed: `{rp['error']}`")
        else:
            L.append(
                f"Two fresh trainers with the same settings and seed ({rp.get('model')}), {rp['steps']} steps each, "
                "in a fresh process: "
                f"largest difference between their losses **{rp['max_abs_diff_default']:.2e}** as the app runs "
                f"(no process-wide op determinism), {rp['max_abs_diff_op_determinism']:.2e} with "
                "`tf.config.experimental.enable_op_determinism()`, which would train at "
                f"{rp['op_determinism_speed_ratio']:.2f}x the speed "
                f"({rp['steps_per_s_op_determinism']:.2f} vs {rp['steps_per_s_default']:.2f} steps/s)."
            )
        L.append("")
    return L


def _dino(r: dict) -> list[str]:
    """## 4: the numpy Dinosaur RNN against the bigram."""
    L = []
    d = r.get("numpy_rnn") or {}
    L.append("## 4. The numpy Dinosaur RNN")
    L.append("")
    if "error" in d:
        L.append(f"Failed: `{d['error']}`")
    elif d:
        st = d.get("settings", {})
        L.append(
            f"`DinoTrainer` with the page's defaults ({json.dumps(st.get('config'))}), trained in the page's slices on "
            f"{st.get('train_names')} names; {st.get('heldout_names')} held-out names ({st.get('heldout_chars')} "
            "predicted characters). "
            "Bigram: add-one smoothed counts on the same training names."
        )
        L.append("")
        L.append(
            "| Iterations (names) per second | Trained | Held-out NLL/char, RNN | Bigram | Beats the bigram after |"
        )
        L.append("|---|---|---|---|---|")
        beat = d.get("seconds_to_beat_bigram")
        L.append(
            f"| {d['iterations_per_s']:,.0f} | {d['trained_s']:g} s ({d['iterations']:,} names) | "
            f"{d['heldout_nll_per_char']:.4f} | "
            f"{d['bigram_nll_per_char']:.4f} | {'%g s' % beat if beat is not None else 'not within the run'} |"
        )
        L.append("")
        curve = d.get("curve") or []
        if curve:
            L.append(
                "Held-out NLL per character during training: "
                + ", ".join(f"{c['trained_s']:g} s → {c['nll']:.3f}" for c in curve[:: max(1, len(curve) // 10)])
                + "."
            )
            L.append("")
    return L


def _lab_table(header: str, results: dict, cells) -> list[str]:
    """A markdown table with one row per lab of ``results`` (``cells(x)``: the row after the lab's name), a failed
    lab's error in its first cell, and a blank line after it."""
    columns = header.count("|") - 1
    L = [header, "|" + "---|" * columns]
    for lab in CLICK_LABS:
        x = results.get(lab)
        if x and "error" in x:
            L.append(f"| {lab} | failed: `{x['error'][:120]}` |" + " |" * (columns - 2))
        elif x:
            L.append(f"| {lab} | {cells(x)} |")
    return L + [""]


def _clicks(r: dict) -> list[str]:
    """## 6: the loop on one screen: how fast each lab's page answers, and how fast each lab trains."""
    c = r.get("click_latency_s")
    if not c:
        return []
    L = ["## 6. The loop on one screen: clicks and training speed, per lab", ""]
    if "error" in c:
        return L + [f"Failed: `{c['error']}`", ""]
    L.append(
        "`bench/clicks.py`, each lab at its page's defaults (the Dinosaur and Music labs' run limits lifted so that no "
        "run ends during a round). Load average before: "
        f"{c.get('load_average_before')}, after: {c.get('load_average_after')}."
    )
    L.append("")
    if any(c.get(lab) for lab in CLICK_LABS):
        L.append(
            "**Clicks** (Chromium against `streamlit run app.py`): the loss chart's nats/bits switch until its caption "
            f"changes (median of {_get(c, 'dinosaurs', 'repeats') or '–'} clicks, idle and while training), Start "
            "until the chart's first point, Stop until the lab's Start button can be pressed again (median of "
            f"{len(_get(c, 'dinosaurs', 'stop_all') or []) or 1} Stops)."
        )
        L.append("")
        L += _lab_table(
            "| Lab | widget, idle | widget, training | Start → first point | Stop |",
            c,
            lambda x: (
                f"{x['widget_idle_s']:.2f} s | {x['widget_training_s']:.2f} s | "
                f"{x['start_to_first_point_s']:.2f} s | {x['stop_s']:.2f} s"
            ),
        )
    for kind, title in (
        (
            "in_process",
            "**Training speed in process**: the lab trained by a session's training thread "
            "(`core.labs.worker.SessionWorker`, with its validation passes and live samples, no page drawing it)",
        ),
        (
            "in_browser",
            "**Training speed in Chromium**: the lab training in the page, its rate read from the page's "
            "step counter between two of its drawings; Chromium, the server and the plain way share the two cores",
        ),
        (
            "in_browser_own_core",
            "**Training speed in Chromium, the browser on a core of its own** (as on a student's own device): the "
            "same, with Chromium and Playwright's driver kept on one core, the server and the plain way on the other",
        ),
    ):
        sp = c.get(kind)
        if not sp:
            continue
        L.append(
            title + ", against the plain way of training the same model in this process (`model.fit` of the same "
            "model on the lab's batches; for the Dinosaur lab the course's loop, `optimize` on one name after "
            "another), rounds alternated, the lab stopped while the plain way runs. The Text lab after its first "
            "minute of training."
        )
        L.append("")
        L += _lab_table(
            "| Lab | lab vs plain (median of rounds) | per round | lab, steps/s | plain, steps/s |",
            sp,
            lambda x: (
                f"**{x['ratio']:.2f}x** | {', '.join(f'{v:.2f}' for v in x['ratios'])} | "
                f"{', '.join(f'{v:,.1f}' for v in x['lab_steps_per_s'])} | "
                f"{', '.join(f'{v:,.1f}' for v in x['plain_steps_per_s'])}"
            ),
        )
    if "skipped" in c:
        L += [f"Browser part skipped: {c['skipped']}.", ""]
    f = c.get("first_slice")
    if f:
        L.append(
            "In process, before the browser (`first_slice`): the first slice after Start at the lab's defaults, "
            "without and with the one-time costs paid before Start (`Lab.prepare`: tracing, a first call of the step "
            "functions, the starting validation, the first live sample), median of alternated runs."
        )
        L.append("")
        L.append("| Lab | first slice, unprepared | first slice, prepared | prepare (before Start) |")
        L.append("|---|---|---|---|")
        for lab in ("text", "music"):
            x = f.get(lab)
            if x:
                L.append(
                    f"| {lab} | {x['unprepared_first_slice_s']:.2f} s | {x['prepared_first_slice_s']:.2f} s | "
                    f"{x['prepare_s']:.2f} s |"
                )
        L.append("")
    return L


def _app_start(r: dict) -> list[str]:
    """## 5: app start, cold process per probe."""
    L = []
    a = r.get("app_start") or {}
    L.append("## 5. App start")
    L.append("")
    if "error" in a:
        L.append(f"Failed: `{a['error']}`")
    elif a:
        home = a.get("home", {})
        tl = a.get("text_lab", {})
        L.append("Fresh Python process per probe, Streamlit `AppTest` (no browser).")
        L.append("")
        L.append("| | |")
        L.append("|---|---|")
        L.append(f"| Home page imports TensorFlow | {_fmt(a.get('home_page_imports_tensorflow'))} |")
        L.append(
            "| Home page first render (cold process, includes importing Streamlit) | "
            f"{home.get('home_render_s', 0):.2f} s |"
        )
        if "skipped" in tl:
            L.append(f"| Text lab | skipped ({tl['skipped']}) |")
        elif "error" in tl:
            L.append(f"| Text lab | failed: `{tl['error'][:200]}` |")
        else:
            L.append(
                "| Open the Text lab (imports TensorFlow, builds the default model) | "
                f"{tl.get('text_page_open_s', 0):.2f} s |"
            )
            L.append(
                f"| **Press Start → first loss point** ({tl.get('config')}) | {tl.get('first_loss_point_s', 0):.2f} s "
                f"({tl.get('reruns')} rerun(s), {tl.get('steps_at_first_point')} step(s) in the first slice) |"
            )
        L.append("")
    return L


def _notes(r: dict) -> list[str]:
    """The notes from bench/limits.md and how to reproduce the run."""
    L = []
    if LIMITS_MD.exists():
        L.append(LIMITS_MD.read_text(encoding="utf-8").rstrip())
        L.append("")
    L.append("## Reproduce")
    L.append("")
    L.append("```sh")
    L.append(".venv/bin/python -m bench --quick   # < 3 minutes on 2 cores")
    L.append(".venv/bin/python -m bench           # full run, about an hour on a quiet machine; this table")
    L.append(".venv/bin/python -m bench --only clicks --merge   # section 6 alone (~38 minutes), into the full run")
    L.append("```")
    L.append("")
    L.append(
        "Both write `bench/results/latest.json` (a complete run also `bench/results/<mode>.json`) and this file; "
        "`python -m bench --report-only bench/results/full.json` rewrites this file from a saved run."
    )
    L.append("")
    return L


PARTS = (
    _front,
    _machine,
    _targets_table,
    _throughput,
    _sampling,
    _quality,
    _music_best,
    _reproducible,
    _dino,
    _app_start,
    _clicks,
    _notes,
)  # the report's parts, in order: each takes the results dict and returns its markdown lines


def markdown(r: dict) -> str:
    """docs/benchmarks.md from the results dict: its parts (PARTS) one after another."""
    return "\n".join(line for part in PARTS for line in part(r))
