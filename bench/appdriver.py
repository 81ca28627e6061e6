"""Drive the Text lab's session object (core.labs.text_lab.TextLab) the way the page trains it.

``tick()`` is one slice of the session's training thread (core.labs.worker; with a schedule that has no worker,
one refresh of the page's live fragment): ``lab.run_slice(…)``, i.e. training in chunks sized from the measured
time per step, plus the periodic validation pass and live sample (with its real-word check) when they are due.
The benchmark uses the very object the page uses, with its schedule; nothing is copied from the page.
"""

from __future__ import annotations

from dataclasses import replace


class AppDriver:
    """One Text-lab session on ``corpus`` with ``config``.

    ui_work=False: slices only, without the periodic validation pass and live sample (what those cost).
    val_batches: the validation windows ``trainer.evaluate()`` uses (default: the lab's own).
    """

    def __init__(self, corpus, config, *, ui_work: bool = True, val_batches=None):
        from core.labs.text_lab import TextLab

        self.lab = TextLab()
        if not ui_work:
            self.lab.schedule = replace(TextLab.schedule, eval_every_s=None, sample_every_s=None)
        self.lab.configure_text("bench", "benchmark corpus", corpus, config)
        self.t = self.lab.trainer
        if val_batches is not None:
            self.t.val_batches = val_batches
        self.ui_work = ui_work
        self.schedule = self.lab.schedule

    @property
    def slice_s(self) -> float:
        """How long one ``tick()`` trains (about)."""
        s = self.schedule
        return s.worker_slice_s if s.worker else s.slice_s

    def tick(self) -> str | None:
        """One refresh's work; the stop message when training had to stop (weights rolled back), else None."""
        s = self.lab.schedule
        stop = self.lab.run_slice(s.worker_slice_s if s.worker else None)
        from core.units import in_unit

        return in_unit(stop.message) if stop else None  # its losses in nats

    def describe(self) -> str:
        """How the benchmark drove the lab, for the report."""
        s = self.schedule
        ui = (
            f"validation every {s.eval_every_s} s and a live sample every {s.sample_every_s} s included"
            if self.ui_work
            else "without the page's validation pass and live sample"
        )
        if s.worker:
            return (
                f"core.labs.text_lab.TextLab.run_slice() as the session's training thread runs it: "
                f"{s.worker_slice_s} s slices of ~{s.chunk_s} s chunks, {ui}; the thread's pause between slices "
                "(core.labs.worker.PAUSE_S), the page's drawing and the browser are not (see project_in_browser in "
                "full mode)"
            )
        return (
            f"core.labs.text_lab.TextLab.run_slice(): {s.slice_s} s slices of ~{s.chunk_s} s chunks, {ui}; the "
            "page's settling "
            "pause after each refresh (ui.live.SETTLE_S), chart rendering and the browser are not (see "
            "project_in_browser in full mode)"
        )
