"""6. The loop on one screen: how fast each lab's page answers, and how fast each lab trains, at its page's defaults.

Per lab (Dinosaurs, Text, Music):

* ``clicks``: in Chromium against ``streamlit run app.py``, a widget change until it shows (the loss chart's
  nats/bits switch until its caption changes), idle and while training (median of ``click_repeats``), Start until
  the chart's first point, and Stop until the lab's Start button can be pressed again (median of ``STOP_REPEATS``,
  Start pressed again after each Stop but the last).
* ``speed``: the lab side by side with the plain way of training the same model, in rounds that alternate the two
  (load on a shared machine hits both alike; the lab is stopped while the plain way runs, so they never share the
  cores), the ratio being the median of the per-round ratios:

  - in process: the lab trained by a session's training thread (``core.labs.worker.SessionWorker``), as in a
    browser session, with its validation passes and live samples, but with no page drawing it;
  - in the browser: the lab training in Chromium, its rate read from the page's step counter between two of its
    refreshes (whole refreshes only), against the plain way in this process;
  - in the browser, the browser on a core of its own (``in_browser_own_core``): the same, with Chromium and
    Playwright's driver kept on one core and the server and this process (the plain way) on the other, as when a
    student's browser runs on the student's own device (otherwise, here, the browser and the server share two cores).

  The plain way: for the Keras labs ``model.fit`` of the same model on the same batches
  (``bench.competitors.PlainFit``); for the Dinosaur lab the course's own loop, ``optimize`` on one name after
  another (``CourseLoop``). Rates are optimizer steps (names) per second; both sides train the same batch and
  window, so the ratio is also that of characters or values. The Text lab is measured after its first minute of
  training (then its validation and live samples come every 4 and 8 s, as for the rest of a run); the others after
  a few seconds. The labs' own run limits are lifted (deploy.load.labs: as the load test opens them) so that no run
  ends during a round.
* ``first_slice``: in process, the first slice after Start of the Text and Music labs, without and with
  ``Lab.prepare`` (the one-time costs paid before Start).

``python -m bench --only clicks`` runs the section alone.
"""

from __future__ import annotations

import copy
import os
import time
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from bench.common import Settings, log, median, now

LABS = ("dinosaurs", "text", "music")  # page names
STOP_REPEATS = 5  # Stop is timed this many times per lab (the median is reported)
STEADY_S = {"dinosaurs": 3.0, "text": 62.0, "music": 5.0}  # training before the first round (Text: its first minute)


# -- each lab at its page's defaults, in process ---------------------------------------------------------------
def default_lab(page: str):
    """A fresh lab with its page's default settings and corpus, its model built (as the page opens), and its run
    limits lifted (``deploy.load.labs``: 500,000 names, no Music step limit or stop at the best validation)."""
    from core.labs.settings import lab_settings

    if page == "dinosaurs":
        from bench.common import DINOS
        from core.labs.dino_lab import DinoLab
        from core.models.dino import DinoConfig, load_names

        lab = DinoLab()
        lab.configure("bench", load_names(DINOS), replace(DinoConfig(), iterations=500_000))
        return lab
    d = {p.name: p.default for p in lab_settings(page).params}
    if page == "text":
        from core.labs.text_lab import BUNDLED, DEFAULTS, TextLab
        from core.labs.text_lab import bundled_corpus as text_corpus

        lab = TextLab()
        lab.configure_text("bench", d["corpus"], text_corpus(BUNDLED[d["corpus"]]), DEFAULTS)
        return lab
    from core.labs.music_lab import MusicLab, make_config, music_options
    from core.music import music_data as md

    lab = MusicLab()
    lab.stop_at_best = False
    lab.max_steps = 100_000
    lab.use_bundled(md.bundled_styles()[0], music_options())
    lab.configure_current(
        make_config(d["model"], hidden=d["hidden"], seq_len=d["window"], batch=d["batch"], lr=d["lr"], seed=d["seed"])
    )
    return lab


class CourseLoop:
    """The course's training loop for the Dinosaur lab's model: ``optimize`` (forward, backward, clip, update) on
    one name after another, the hidden state carried from name to name, on a copy of the lab's starting weights."""

    name = "course_loop"

    def __init__(self, trainer, seconds: float):
        from core.models import numpy_rnn as nr

        self.nr, self.t, self.seconds = nr, trainer, seconds
        self.parameters = copy.deepcopy(trainer.parameters)
        self.a_prev = np.zeros((trainer.config.n_a, 1))  # (n_a, 1)
        self.j = 0

    def _names(self, n: int) -> None:
        c = self.t.config
        for _ in range(n):
            X, Y = self.t.example(self.j)
            _, _, self.a_prev = self.nr.optimize(X, Y, self.a_prev, self.parameters, c.learning_rate, c.clip_value)
            self.j += 1

    def warm_up(self) -> None:
        self._names(200)

    def steps_per_s(self) -> float:
        t0, j0 = now(), self.j
        while now() - t0 < self.seconds:
            self._names(50)
        return (self.j - j0) / (now() - t0)


class FitSteps:
    """``model.fit`` of a Keras lab's model (``PlainFit``: same architecture, optimizer, batch and window, the lab's
    own batches), in optimizer steps per second."""

    name = "plain_fit"

    def __init__(self, trainer, seconds: float):
        from bench.competitors import PlainFit

        data = SimpleNamespace(vocab_size=trainer.vocab_size, sample_batch=trainer.sample_batch)
        self.fit = PlainFit(data, trainer.config, seconds)
        self.per_step = trainer.config.batch_size * trainer.config.seq_len  # tokens per step

    def warm_up(self) -> None:
        self.fit.warm_up()

    def steps_per_s(self) -> float:
        return self.fit.run() / self.per_step


def plain_for(lab, seconds: float):
    """The plain way of training this lab's model (see the module docstring)."""
    return CourseLoop(lab.trainer, seconds) if lab.key == "dino" else FitSteps(lab.trainer, seconds)


def _side_by_side(lab_rate, stop_lab, start_lab, plain, rounds: int) -> dict:
    """Alternate ``lab_rate()`` (the lab training; steps per second) and the plain way (the lab stopped)."""
    lab_rates, plain_rates = [], []
    for r in range(rounds):
        lab_rates.append(lab_rate())
        stop_lab()
        plain_rates.append(plain.steps_per_s())
        log(f"   round {r + 1}: lab {lab_rates[-1]:,.1f} steps/s, {plain.name} {plain_rates[-1]:,.1f} steps/s")
        if r + 1 < rounds:
            start_lab()
    ratios = [a / b for a, b in zip(lab_rates, plain_rates)]
    return dict(
        ratio=median(ratios),
        ratios=[round(x, 3) for x in ratios],
        lab_steps_per_s=[round(x, 2) for x in lab_rates],
        plain_steps_per_s=[round(x, 2) for x in plain_rates],
        plain=plain.name,
    )


def in_process_speed(page: str, rounds: int, seconds: float) -> dict:
    """The lab trained by a session's training thread against the plain way, alternated (see the module
    docstring)."""
    from core.labs.worker import SessionWorker

    lab = default_lab(page)
    plain = plain_for(lab, seconds)
    plain.warm_up()
    worker = SessionWorker(unseen_s=1e9)  # no page draws the lab here: the thread must not pause for that

    def start() -> None:
        lab.start()
        worker.train(lab)

    def stop() -> None:
        lab.stop()
        worker.join(30)

    def rate() -> float:
        t = lab.trainer
        s0, t0 = t.step, now()
        time.sleep(seconds)
        return (t.step - s0) / (now() - t0)

    start()
    t0 = now()
    while lab.running and getattr(lab.trainer, "elapsed_s", now() - t0) < STEADY_S[page] and now() - t0 < 600:
        time.sleep(0.5)  # the Keras labs count their own training time; the Dinosaur lab's is nearly all of it
    out = _side_by_side(rate, stop, start, plain, rounds)
    out.update(slices=worker.slices, note=None if lab.note is None else lab.note.text)
    return out


# -- the first slice after Start, in process ------------------------------------------------------------------
def _first_slice(page: str, prepared: bool) -> dict:
    """Seconds of ``prepare()`` (on its thread, joined) and of the first slice after Start, as the training thread
    runs it."""
    lab = default_lab(page)
    ahead = None
    if prepared:
        t0 = now()
        lab.prepare_ahead().join()
        ahead = now() - t0
    lab.start()
    t0 = now()
    lab.run_slice(lab.schedule.worker_slice_s)
    return dict(prepare_s=ahead, first_slice_s=now() - t0, steps=lab.trainer.step)


def first_slice(repeats: int = 2) -> dict:
    """Per Keras lab at its defaults, in this process: the first slice after Start (the first point's work: the
    starting validation, the live sample, the first chunk of steps, and tracing unless prepared) without and with
    ``Lab.prepare`` before Start, alternated (unprepared first, then prepared first), median of ``repeats`` each.
    TensorFlow is imported before the first timing."""
    from core.models.keras_model import tf_module

    tf_module()
    out: dict = {}
    for page in ("text", "music"):
        runs: dict = dict(unprepared=[], prepared=[])
        for r in range(repeats):
            for prepared in (False, True) if r % 2 == 0 else (True, False):
                runs["prepared" if prepared else "unprepared"].append(_first_slice(page, prepared))
        out[page] = dict(
            unprepared_first_slice_s=median([x["first_slice_s"] for x in runs["unprepared"]]),
            prepared_first_slice_s=median([x["first_slice_s"] for x in runs["prepared"]]),
            prepare_s=median([x["prepare_s"] for x in runs["prepared"]]),
            runs=runs,
        )
        log(f"[first slice] {page}", {k: v for k, v in out[page].items() if k != "runs"})
    return out


# -- in a real browser ------------------------------------------------------------------------------------------
# points of the loss chart's lines of the current run (core.labs.lab.Lab.loss_series marks them meta="current")
_CHART_POINTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].reduce((n, g) => n + (g.data || [])
    .filter(t => t.meta === 'current').reduce((k, t) => k + ((t.x && t.x.length) || 0), 0), 0)"""
_BITS_JS = """(shown) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .some(e => e.innerText.includes('Bits = nats')) === shown"""
# the value of the lab's step counter (a st.metric with this label), or null
_COUNTER_JS = """(label) => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(m => {
        const l = m.querySelector('[data-testid="stMetricLabel"]');
        return l && l.innerText.trim() === label;
    });
    const v = m && m.querySelector('[data-testid="stMetricValue"]');
    return v ? Number(v.innerText.replace(/[^0-9]/g, '')) : null;
}"""
_START_ENABLED_JS = """(key) => { const b = document.querySelector(`.st-key-${key}__start button`);
    return !!b && !b.disabled; }"""


def _idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000)


def _open(page, base: str, lab: str) -> None:
    """The lab's page as the load test opens it (its run limits lifted), idle, Start on screen."""
    from deploy.load.labs import address

    page.goto(base + address(lab))
    page.get_by_role("button", name="▶ Start").wait_for(timeout=180_000)
    _idle(page)


def _switch_unit(page, unit: str, to_bits: bool) -> float:
    """Pick bits (or nats) on the loss chart's unit switch; seconds until its caption says so (or no longer does)."""
    radio = page.locator('[data-testid="stRadio"]')
    radio.get_by_text(f"{'bits' if to_bits else 'nats'} per {unit}", exact=True).first.click()
    t0 = now()
    page.wait_for_function(_BITS_JS, arg=to_bits, polling="raf", timeout=60_000)
    return now() - t0


def _key(page: str) -> str:
    """The lab's session key of a page (the prefix of its widgets' keys: "dinosaurs" -> "dino")."""
    from core.labs.settings import PAGES

    return next(key for key, path in PAGES.items() if path == page)


def _lab_clicks(page, base: str, lab: str, key: str, repeats: int) -> dict:
    """One lab with its default settings: the unit switch idle, Start to the chart's first point, the unit switch
    while training, Stop to the lab's Start button enabled again (``STOP_REPEATS`` times: Start again after each
    but the last, to the run's next point on the chart)."""
    from core.labs.settings import lab_class

    unit = lab_class(key).unit  # the loss chart's unit ("name", "character", "value")
    _open(page, base, lab)
    idle = [_switch_unit(page, unit, i % 2 == 0) for i in range(repeats)]
    if repeats % 2:
        _switch_unit(page, unit, False)  # back to nats
    points = page.evaluate(_CHART_POINTS_JS)
    page.get_by_role("button", name="▶ Start").click()
    t0 = now()
    page.wait_for_function(f"(n) => ({_CHART_POINTS_JS})() > n", arg=points, polling="raf", timeout=180_000)
    first_point = now() - t0
    training = [_switch_unit(page, unit, i % 2 == 0) for i in range(repeats)]
    stops, restarts = [], []
    for r in range(STOP_REPEATS):
        if page.evaluate(_START_ENABLED_JS, key):
            raise RuntimeError("Start is enabled while the lab trains: Stop can't be timed")
        page.get_by_role("button", name="■ Stop").click()
        t0 = now()
        page.wait_for_function(_START_ENABLED_JS, arg=key, polling="raf", timeout=60_000)
        stops.append(now() - t0)
        if r + 1 < STOP_REPEATS:  # train on: Start again (the same run goes on) and wait for its next point
            _idle(page)
            points = page.evaluate(_CHART_POINTS_JS)
            page.get_by_role("button", name="▶ Start").click()
            t0 = now()
            page.wait_for_function(f"(n) => ({_CHART_POINTS_JS})() > n", arg=points, polling="raf", timeout=60_000)
            restarts.append(now() - t0)
            page.wait_for_timeout(1000)  # a second of training before the next Stop
    return dict(
        widget_idle_s=median(idle),
        widget_training_s=median(training),
        start_to_first_point_s=first_point,
        stop_s=median(stops),
        repeats=repeats,
        widget_idle_all=[round(x, 3) for x in idle],
        widget_training_all=[round(x, 3) for x in training],
        stop_all=[round(x, 3) for x in stops],
        restart_to_point_all=[round(x, 3) for x in restarts],
    )


def _next_count(page, label: str, timeout_s: float = 60.0) -> tuple[int, float]:
    """Wait for the page's step counter to change (the page has drawn a new step) and return (count, perf_counter)
    at that moment (polled every 20 ms)."""
    before = page.evaluate(_COUNTER_JS, label)
    page.wait_for_function(
        f"(b) => {{ const v = ({_COUNTER_JS})({label!r}); return v !== null && v !== b; }}",
        arg=before,
        polling=20,
        timeout=timeout_s * 1000,
    )
    t = now()
    return int(page.evaluate(_COUNTER_JS, label)), t


def _pin(pid: int, cpus: set[int]) -> None:
    """Keep every thread of process ``pid`` on ``cpus`` (threads it starts later inherit it)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return  # the process has ended
    for tid in tids:
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass  # the thread has ended, or is not ours to move


def _browser_pids() -> list[int]:
    """Chromium's processes and Playwright's driver."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="ignore")
        except OSError:
            continue
        if "chromium" in cmd or "playwright" in cmd:
            pids.append(int(pid))
    return pids


@contextmanager
def _browser_on_own_core(server_pid: int | None):
    """With ``server_pid``: Chromium and Playwright's driver on the last core, the server and this process on the
    others; every process back on every core afterwards. ``place()`` pins again (Chromium starts processes)."""
    cores = set(os.sched_getaffinity(0))  # the cores this process may use
    if server_pid is None or len(cores) < 2:
        yield lambda: None
        return
    browser = {max(cores)}

    def place() -> None:
        for pid in _browser_pids():
            _pin(pid, browser)
        for pid in (server_pid, os.getpid()):
            _pin(pid, cores - browser)

    try:
        place()
        yield place
    finally:
        for pid in (*_browser_pids(), server_pid, os.getpid()):
            _pin(pid, cores)


def _lab_speed(page, base: str, lab: str, key: str, rounds: int, seconds: float, server_pid: int | None = None) -> dict:
    """The lab in Chromium against the plain way in this process, alternated (see the module docstring); with
    ``server_pid``, the browser on a core of its own."""
    with _browser_on_own_core(server_pid) as place:
        return _lab_speed_placed(page, base, lab, key, rounds, seconds, place)


def _lab_speed_placed(page, base: str, lab: str, key: str, rounds: int, seconds: float, place) -> dict:
    from deploy.load.labs import LABS

    label = LABS[lab]["counter"]
    plain = plain_for(default_lab(lab), seconds)
    plain.warm_up()
    _open(page, base, lab)
    place()
    page.get_by_role("button", name="▶ Start").click()
    t_start = now()
    _next_count(page, label, 180)
    page.wait_for_timeout(max(0.0, STEADY_S[lab] - (now() - t_start)) * 1000)

    def rate() -> float:
        place()
        c0, t0 = _next_count(page, label)  # from one drawing to the first after ``seconds``: whole refreshes
        page.wait_for_timeout(seconds * 1000)
        c1, t1 = _next_count(page, label)
        return (c1 - c0) / (t1 - t0)

    def stop() -> None:
        page.get_by_role("button", name="■ Stop").click()
        page.wait_for_function(_START_ENABLED_JS, arg=key, timeout=60_000)
        _idle(page)

    def start() -> None:
        page.get_by_role("button", name="▶ Start").click()
        _next_count(page, label, 60)

    return _side_by_side(rate, stop, start, plain, rounds)


def clicks(s: Settings) -> dict:
    """Per lab: clicks in Chromium (widget idle / training, Start → first point, Stop), then its speed against the
    plain way in process and in Chromium (sharing the cores with the server, then on a core of its own), and before
    all that ``first_slice`` in process."""
    from bench.browser import ARGS, CHROMIUM, _unavailable
    from core.models.keras_model import tf_module
    from deploy.app_server import AppServer

    out: dict = dict(load_average_before=[round(x, 2) for x in os.getloadavg()])
    if s.click_repeats <= 0:
        return dict(out, skipped="no browser run in this mode")
    out["first_slice"] = first_slice()  # in process, before the browser: where Start's first second goes
    tf_module()
    for lab in LABS:
        log(f"[speed, in process] {lab}")
        try:
            out.setdefault("in_process", {})[lab] = in_process_speed(lab, s.speed_rounds, s.speed_seconds)
        except Exception as exc:  # noqa: BLE001 - recorded; the other labs are still measured
            out.setdefault("in_process", {})[lab] = dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")
    why = _unavailable()
    if why:
        return dict(out, skipped=why)
    from playwright.sync_api import sync_playwright

    keys = {lab: _key(lab) for lab in LABS}
    with AppServer.started() as app, sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for what, run in (
                ("clicks", lambda p, lab: _lab_clicks(p, app.url, lab, keys[lab], s.click_repeats)),
                ("in_browser", lambda p, lab: _lab_speed(p, app.url, lab, keys[lab], s.speed_rounds, s.speed_seconds)),
                (
                    "in_browser_own_core",
                    lambda p, lab: _lab_speed(
                        p, app.url, lab, keys[lab], s.speed_rounds, s.speed_seconds, server_pid=app.proc.pid
                    ),
                ),
            ):
                for lab in LABS:
                    page = b.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                    log(f"[{what}] {lab}")
                    try:
                        res = run(page, lab)
                    except Exception as exc:  # noqa: BLE001 - recorded; the other labs are still measured
                        res = dict(error=f"{type(exc).__name__}: {str(exc)[:300]}")
                    if what == "clicks":
                        out[lab] = res
                    else:
                        out.setdefault(what, {})[lab] = res
                    log("  ", {k: v for k, v in res.items() if not k.endswith("_all")})
                    page.context.close()
        finally:
            b.close()
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out
