"""The Music check: on a small corpus (~20 pieces of a bundled style), with "stop at the best validation" on,
the weights used for composing are within 0.05 nats of the best validation seen.

The Music lab itself (core.labs.music_lab.MusicLab) at its page's defaults (this lab's LSTM 64, snippets of 30 values,
batch 32, learning rate 0.003 with the default schedule, the step limit), on the first 20 pieces of the
bundled Irish folk tunes, driven slice by slice as the live page does until training stops (at the best validation
or at the step limit). Then the weights a composition would use are validated again. The same run with the toggle
off shows what a student got before: the last weights, however far validation had risen.
"""

from __future__ import annotations

from bench.common import Settings, log, now

PIECES = 20  # the small corpus
STYLE = "irish_folk"  # the bundled style it is taken from (core.music.music_data)
TARGET_NATS = 0.05  # composing weights within this of the best validation


def one_run(stop_at_best: bool, max_steps: int) -> dict:
    from core.labs.music_lab import LSTM, MusicLab, make_config
    from core.music import music_codec as mc
    from core.music import music_data as md
    from core.units import in_unit

    pieces, _ = md.load_bundled(STYLE, mc.CodecOptions())
    lab = MusicLab()
    lab._set_corpus(("bench", STYLE, PIECES), md.MusicCorpus(pieces[:PIECES]), [])
    lab.stop_at_best = stop_at_best
    lab.max_steps = max_steps
    t = lab.configure_current(make_config(LSTM, hidden=64, seq_len=30, batch=32, lr=0.003, seed=0))
    t0 = now()
    stop = None
    while stop is None:
        stop = lab.run_slice()
    wall = now() - t0
    used = t.evaluate(full=True)  # the weights a composition uses now (a new best counts too)
    best = t.keeper.best
    comp = lab.compose(tempo=120.0, n_values=50)
    vals = t.history.val.values["val"]
    after = [v for st, v in zip(t.history.val.steps, vals) if st > best.step] or [
        best.val
    ]  # how far it rose past the best
    out = dict(
        stop_at_best=stop_at_best,
        stop=stop.kind.value,
        message=in_unit(stop.message),  # its losses in nats
        steps=t.step,
        wall_s=round(wall, 1),
        best_val=best.val,
        best_step=best.step,
        max_val=max(after),
        composing_val=used,
        composing_minus_best=used - best.val,
        composing_weights=comp.weights,
        pieces=PIECES,
        vocab=t.vocab_size,
        memorised=max(after) > best.val + 0.1,
    )
    log(
        f"  [music] stop at best {'on' if stop_at_best else 'off'}: {t.step} steps, best {best.val:.3f} (step "
        f"{best.step}), "
        f"composing weights {used:.3f} ({used - best.val:+.3f}); {stop.kind.value}"
    )
    return out


def run(s: Settings) -> dict:
    on = one_run(True, s.music_max_steps)
    off = one_run(False, s.music_max_steps)
    return dict(
        on=on,
        off=off,
        target_nats=TARGET_NATS,
        met=bool(on["composing_minus_best"] <= TARGET_NATS),
        corpus=f"the first {PIECES} pieces of the bundled {STYLE.replace('_', ' ')}",
    )
