"""Classroom load test across replicas: the same workload on a class of R = 1 and R = 2 Streamlit processes.

Starts both classes with deploy/serve_class.py (each: R replicas behind its own HAProxy, all on 127.0.0.1,
free ports) and runs, on each in turn, the same workload:
1. `--dino-sessions` sessions (10) training the Dinosaur lab at its defaults, measured for `--seconds`;
2. then `--text-sessions` sessions (4) training the Text lab at its defaults, measured for `--seconds`.
The phases run in the order Dinosaur R=1, Dinosaur R=2, Text R=1, Text R=2, so each comparison is close in time
on a machine whose other load changes.

How a session is driven. In a class the students' browsers run on their own machines; here they would share
the server's cores (ten headless Chromium tabs redrawing their charts take about a core of their own). So
`--browsers` sessions of each phase (default 1) are real Chromium tabs, and the others are protocol clients
(`Bot`): each opens the app's WebSocket through HAProxy exactly as the page does (first a GET for the
stickiness cookie), asks for the lab's page, presses Start, and from then on asks for the live fragment's
reruns on the timer the server sets (the `auto_rerun` message), as the browser's timer does. The server does
all its work for them (training slices, building and sending the charts); they just don't draw. Figures:
- training throughput: the lab's own counter ("Names trained on", "Step") as the server sends it, per session
  and in total;
- refresh gap: seconds between two training refreshes of a session (server to tab), and for the Chromium
  tab also as drawn on screen (a MutationObserver on the counter);
- home page load: a fresh Chromium context loading the home page through HAProxy while the phase trains;
- memory per replica (peak RSS), CPU used by the replicas, by this test (browsers, bots) and by everything
  else on the machine (from /proc/stat), so a noisy run can be told from a fair one;
- sessions lost (disconnected or no progress in the last 10 s) and tracebacks on screen (exception elements
  sent to any session): both must be 0.
With --capacity, the largest class then runs a ramp per lab (Dinosaur, Text, Music; protocol sessions only):
2, 4, 6, ... sessions per replica, until a step no longer keeps up (`keeps_up`: every session keeps training,
the median refresh gap is at most 1.05 s and 9 in 10 are at most 1.5 s). With one replica per core, that is
the number of training sessions per core that docs/classroom.md's capacity table gives.
With --memory, instead, the memory run: one plain `streamlit run app.py` with the default memory budget
(core/server/budget.py; RNNP_SERVER_BUDGET_MB in this environment changes it), `--memory-defaults` (10) Text-lab
sessions at
the page's default sizes (the first a Chromium tab, alone at first: the server with TensorFlow loaded) and
`--memory-large` (2) protocol sessions that move the hidden size, layers and embedding sliders to their maximum;
the page refuses what does not fit and offers the largest size that does, which they take ("Use … instead", as a
student would), then Start. All train together for `--memory-seconds`; then every tab closes and the server's
resident memory is followed until it settles (the reload store hibernates closed tabs' models within ~5 s).
Reports peak and final RSS against the budget, sessions lost and tracebacks; fails when the budget did not hold.
Everything stays on loopback and stops by itself (each phase has a time limit). Results go to
docs/load-test.md (newest first) and test-artifacts/load-test.json (load-test-memory.json for the memory run).

    .venv/bin/python scripts/load_test.py                     # 10 Dinosaur + 4 Text sessions, R = 1 and 2, 60 s each
    .venv/bin/python scripts/load_test.py --seconds 20 --dino-sessions 4 --text-sessions 2 --no-report   # a quick try
    .venv/bin/python scripts/load_test.py --replicas 2 --dino-sessions 0 --text-sessions 0 --capacity     # the ramp
    only
    .venv/bin/python scripts/load_test.py --memory                             # the memory run (about 4-6 minutes)
    .venv/bin/python scripts/load_test.py --memory --memory-defaults 2 --memory-large 1 --memory-seconds 20 --no-report
"""

from __future__ import annotations

import argparse
import http.cookies
import json
import os
import platform
import re
import statistics
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: deploy/ and core/ (the budget, default sizes; no TensorFlow)
from deploy.app_server import AppServer, free_port  # noqa: E402
from deploy.serve_class import ClassConfig, ClassServer  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
STALL_S = 10.0  # a session with no training refresh in this many seconds at the end of a phase is lost
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Per lab: its page (url path, also st.navigation's page name), the counter on the page (a st.metric), its
# unit, and how long to let every session get going before measuring (the Text lab builds its model first).
LABS = {
    "dinosaurs": {
        "title": "Dinosaur",
        "path": "/dinosaurs",
        "counter": "Names trained on",
        "unit": "names",
        "warmup_s": 5.0,
    },
    "text": {"title": "Text", "path": "/text", "counter": "Step", "unit": "optimizer steps", "warmup_s": 10.0},
    "music": {"title": "Music", "path": "/music", "counter": "Steps", "unit": "optimizer steps", "warmup_s": 10.0},
}


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children, in KiB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def read_counter(page, label: str) -> int | None:
    """The integer shown by the st.metric called `label` (None if not on screen yet)."""
    loc = page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')
    if loc.count() == 0:
        return None
    digits = re.sub(r"[^0-9]", "", loc.first.inner_text())
    return int(digits) if digits else None


# ------------------------------------------------------------------------------------------------ CPU accounting
def cpu_total_busy() -> float:
    """CPU seconds spent busy by the whole machine so far (all cores; /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def cpu_of(pid: int) -> float:
    """CPU seconds used by one process (user + system), 0 once it is gone."""
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(c) for t in Path(f"/proc/{p}/task").iterdir() for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


class CpuMeter:
    """CPU used between start() and stop(), split into the replicas, this test (bots, browsers, HAProxy) and the
    rest."""

    def __init__(self, replica_pids: list[int]) -> None:
        self.replicas = replica_pids

    def _sample(self) -> tuple[float, float, float, dict[int, float]]:
        mine = [os.getpid()] + [p for p in descendants(os.getpid()) if p not in self.replicas]
        ours = {p: cpu_of(p) for p in mine}
        return time.perf_counter(), cpu_total_busy(), sum(cpu_of(p) for p in self.replicas), ours

    def start(self) -> None:
        self.t0, self.busy0, self.rep0, self.ours0 = self._sample()

    def stop(self) -> dict:
        t1, busy1, rep1, ours1 = self._sample()
        wall = t1 - self.t0
        ours = sum(v - self.ours0.get(p, 0.0) for p, v in ours1.items())  # a process born in between counts from 0
        replicas = rep1 - self.rep0
        total = busy1 - self.busy0
        return {
            "replicas_cores": round(replicas / wall, 2),
            "load_test_cores": round(ours / wall, 2),
            "other_cores": round(max(0.0, total - replicas - ours) / wall, 2),
            "machine_busy_cores": round(total / wall, 2),
        }


# ------------------------------------------------------------------------------------------------ protocol sessions
REFUSED = (
    "Nothing was built"  # in the Text and Music labs' message for a model over the memory budget (core.server.budget)
)
MAX_ACCEPTS = 6  # a student presses "Use … instead" at most this many times, then gives up (a lost session)


def suggestion_label(button: str) -> str | None:
    """The size a budget refusal offers, from its button ("Use LSTM 672×3 instead" -> "LSTM 672×3"); None otherwise."""
    m = re.fullmatch(r"Use (.+) instead", button.strip())
    return m.group(1) if m else None


def params_in(markdown: str) -> int | None:
    """The parameter count a lab page states for the chosen size ("**9,789,186 parameters** (…)" -> 9789186)."""
    m = re.search(r"\*\*([\d,]+) parameters\*\*", markdown)
    return int(m.group(1).replace(",", "")) if m else None


def next_action(
    *, ask_max: bool, sized: bool, started: bool, sliders_seen: bool, offer: bool, start_enabled: bool
) -> str:
    """What a protocol student does when a full run of the lab page has finished (the page is idle, as a student
    sees it): "accept" the size the page offers after refusing a model, "size" (move the asked sliders to their
    maximum, once), "start", or "" (nothing: wait for the next run)."""
    if started:
        return ""
    if offer:
        return "accept"
    if ask_max and not sized:
        return "size" if sliders_seen else ""
    return "start" if start_enabled else ""


@dataclass
class Bot:
    """One session driven over Streamlit's WebSocket protocol, as the page's own script would drive it (no drawing).

    Runs in a thread of its own: get HAProxy's cookie, open /_stcore/stream, ask for the lab page, press Start
    when its button arrives, then ask for the live fragment's reruns on the interval of each `auto_rerun`
    message. Records every value of the lab's counter with the time it arrived.

    With `ask_max` (the memory run), the student first moves those sliders to their maximum once the page has
    loaded (one rerun carrying the new widget values, as the browser sends them), and presses Start only after a
    run of the page that built the model. Any student whose model the page refuses (core.server.budget) presses the
    page's "Use … instead" button (at most MAX_ACCEPTS times), as a student would. See `next_action`.
    """

    url: str  # the class's address (HAProxy)
    lab: str  # key of LABS
    replica: str = ""  # HAProxy's cookie: which replica holds the session
    updates: list[tuple[float, int]] = field(default_factory=list)  # (perf_counter, counter value)
    exceptions: int = 0  # exception elements sent to this session (a traceback on a real page)
    errors: list[str] = field(default_factory=list)  # error alerts sent to this session
    closed_early: str = ""  # why the connection ended before stop() (empty: it did not)
    ask_max: tuple[str, ...] = ()  # labels of sliders this student moves to their maximum before pressing Start
    refusals: list[str] = field(default_factory=list)  # the page's "Nothing was built" messages (memory budget)
    accepted: list[str] = field(default_factory=list)  # sizes offered by the page's "Use … instead" and pressed
    params: int | None = None  # parameters of the model the page stated when Start was pressed
    asked: dict[str, float] = field(default_factory=dict)  # slider label -> the maximum it was moved to
    started: threading.Event = field(default_factory=threading.Event)  # Start was pressed
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"bot-{self.lab}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(30)

    def _run(self) -> None:
        try:
            self._drive()
        except Exception as exc:  # noqa: BLE001 - a lost session is a result, not a crash of the test
            if not self._stop.is_set():
                self.closed_early = f"{type(exc).__name__}: {exc}"

    def _drive(self) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from websockets.sync.client import connect

        with urllib.request.urlopen(self.url + "/", timeout=60) as r:  # the page load: HAProxy picks the replica
            jar = http.cookies.SimpleCookie()
            for h in r.headers.get_all("Set-Cookie") or []:
                jar.load(h)
        self.replica = jar["RNNP_SRV"].value if "RNNP_SRV" in jar else "?"
        cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
        page = LABS[self.lab]["path"].strip("/")
        label = LABS[self.lab]["counter"]
        page_hash = ""
        timer: tuple[str, float, float] | None = None  # (fragment id, interval, next due)
        sliders: dict[str, tuple[str, float]] = {}  # label -> (widget id, maximum), of the sliders in ask_max
        sized = False  # the sliders were moved to their maxima
        offer: tuple[str, str] | None = None  # this run's "Use … instead" button: (widget id, size offered)
        start_id = ""  # this run's enabled Start button

        with connect(
            self.url.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=["streamlit"],
            origin=self.url,
            additional_headers={"Cookie": cookie},
            max_size=None,
            ping_interval=None,
            open_timeout=60,
        ) as ws:

            def rerun(trigger: str = "", fragment: str = "", values: dict[str, float] | None = None) -> None:
                msg = BackMsg()
                cs = msg.rerun_script
                cs.query_string, cs.page_name, cs.page_script_hash = "", page, page_hash
                if trigger:
                    w = cs.widget_states.widgets.add()
                    w.id, w.trigger_value = trigger, True
                for wid, v in (values or {}).items():  # a slider's value travels as a one-element float array
                    w = cs.widget_states.widgets.add()
                    w.id = wid
                    w.double_array_value.data.append(float(v))
                if fragment:
                    cs.fragment_id, cs.is_auto_rerun = fragment, True
                ws.send(msg.SerializeToString())

            rerun()
            while not self._stop.is_set():
                wait = 0.2 if timer is None else max(0.0, min(0.2, timer[2] - time.perf_counter()))
                try:
                    data = ws.recv(timeout=wait)
                except TimeoutError:
                    data = None
                now = time.perf_counter()
                if data is not None:
                    fm = ForwardMsg()
                    fm.ParseFromString(data)
                    kind = fm.WhichOneof("type")
                    if kind == "navigation":
                        page_hash = fm.navigation.page_script_hash
                    elif kind == "auto_rerun":
                        timer = (fm.auto_rerun.fragment_id, fm.auto_rerun.interval, now + fm.auto_rerun.interval)
                    elif kind == "stop_auto_rerun" and timer and timer[0] in fm.stop_auto_rerun.fragment_ids:
                        timer = None
                    elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                        el = fm.delta.new_element
                        what = el.WhichOneof("type")
                        if what == "metric" and el.metric.label == label:
                            digits = re.sub(r"[^0-9]", "", el.metric.body)
                            if digits:
                                self.updates.append((now, int(digits)))
                        elif (
                            what == "button"
                            and el.button.label == "▶ Start"
                            and not self.started.is_set()
                            and not el.button.disabled
                        ):
                            if self.ask_max:
                                start_id = el.button.id  # pressed when the run has finished (next_action)
                            else:
                                self.started.set()
                                timer = None  # a full rerun: the page's timers start again from its auto_rerun
                                rerun(trigger=el.button.id)
                        elif what == "button" and (offered := suggestion_label(el.button.label)):
                            offer = (el.button.id, offered)
                        elif what == "slider" and el.slider.label in self.ask_max:
                            sliders[el.slider.label] = (el.slider.id, el.slider.max)
                        elif (
                            what == "markdown"
                            and not self.started.is_set()
                            and (n := params_in(el.markdown.body)) is not None
                        ):
                            self.params = n
                        elif what == "exception":
                            self.exceptions += 1
                        elif what == "alert" and el.alert.format == el.alert.ERROR:
                            self.errors.append(el.alert.body[:200])
                            if REFUSED in el.alert.body:
                                self.refusals.append(el.alert.body)
                    elif kind == "script_finished" and fm.script_finished == fm.FINISHED_SUCCESSFULLY:
                        action = next_action(
                            ask_max=bool(self.ask_max),
                            sized=sized,
                            started=self.started.is_set(),
                            sliders_seen=len(sliders) == len(self.ask_max),
                            offer=offer is not None and len(self.accepted) < MAX_ACCEPTS,
                            start_enabled=bool(start_id),
                        )
                        if action == "size":
                            sized = True
                            self.asked = {label: top for label, (_, top) in sliders.items()}
                            rerun(values={wid: top for wid, top in sliders.values()})
                        elif action == "accept" and offer is not None:
                            self.accepted.append(offer[1])
                            rerun(trigger=offer[0])
                        elif action == "start":
                            self.started.set()
                            timer = None
                            rerun(trigger=start_id)
                        offer, start_id = None, ""  # what the next run offers
                if timer is not None and now >= timer[2]:
                    rerun(fragment=timer[0])
                    timer = (
                        timer[0],
                        timer[1],
                        timer[2] + timer[1],
                    )  # like setInterval: on schedule, not after the run
        if not self._stop.is_set():
            self.closed_early = "the server closed the connection"

    def value_at(self, t: float) -> tuple[float, int] | None:
        """The last counter update at or before time t."""
        best = None
        for u in self.updates:
            if u[0] <= t:
                best = u
        return best

    def gaps(self, t0: float, t1: float) -> list[float]:
        times = [t for t, _ in self.updates if t0 <= t <= t1]
        return [b - a for a, b in zip(times, times[1:])]


# ------------------------------------------------------------------------------------------------ browser sessions
GAP_OBSERVER_JS = """(label) => {
  window.__rnnpTimes = [];
  let last = null;
  const read = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.innerText.trim() === label) return m.querySelector('[data-testid="stMetricValue"]').innerText;
    }
    return null;
  };
  new MutationObserver(() => {
    const v = read();
    if (v !== null && v !== last) { last = v; window.__rnnpTimes.push([performance.now() / 1000, v]); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def open_lab_page(browser, url: str, lab: str, timeout_ms: float):
    """A Chromium tab on the lab, its page loaded and idle (Start not pressed yet)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url + LABS[lab]["path"])
    page.get_by_role("button", name="▶ Start").wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    return page


def start_tab(page, lab: str):
    """Press Start and observe the counter; returns (page, replica)."""
    page.get_by_role("button", name="▶ Start").click()
    page.evaluate(GAP_OBSERVER_JS, LABS[lab]["counter"])
    replica = next((c["value"] for c in page.context.cookies() if c["name"] == "RNNP_SRV"), "?")
    return page, replica


def open_tab(browser, url: str, lab: str, timeout_ms: float):
    """A Chromium tab on the lab with training started and the counter observed; returns (page, replica)."""
    return start_tab(open_lab_page(browser, url, lab, timeout_ms), lab)


def tab_updates(page, offset: float) -> list[tuple[float, int]]:
    """The counter values the tab drew, with times on this process's perf_counter clock (offset: page - ours)."""
    out = []
    for t, text in page.evaluate("() => window.__rnnpTimes || []"):
        digits = re.sub(r"[^0-9]", "", text)
        if digits:
            out.append((t - offset, int(digits)))
    return out


def clock_offset(page) -> float:
    """performance.now() of the page minus perf_counter() here, in seconds (to within a round trip)."""
    t0 = time.perf_counter()
    now = page.evaluate("() => performance.now() / 1000")
    t1 = time.perf_counter()
    return now - (t0 + t1) / 2


def home_load(browser, url: str) -> float:
    ctx = browser.new_context()
    try:
        p = ctx.new_page()
        t0 = time.perf_counter()
        p.goto(url)
        p.get_by_role("heading", name="RNN Playground").wait_for(timeout=180_000)
        return time.perf_counter() - t0
    finally:
        ctx.close()


# ------------------------------------------------------------------------------------------------ one phase
def rate(updates: list[tuple[float, int]], t0: float, t1: float) -> float | None:
    """Counter increase per second between the last updates at or before t0 and t1."""
    a = max((u for u in updates if u[0] <= t0), default=None)
    b = max((u for u in updates if u[0] <= t1), default=None)
    if a is None or b is None or b[0] <= a[0]:
        return None
    return (b[1] - a[1]) / (b[0] - a[0])


def gaps_of(updates: list[tuple[float, int]], t0: float, t1: float) -> list[float]:
    times = [t for t, _ in updates if t0 <= t <= t1]
    return [b - a for a, b in zip(times, times[1:])]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def keeps_up(phase: dict) -> bool:
    """The capacity criterion: every session keeps training, and the live chart refreshes at least once a second
    (median gap within 5% of a second, for the Dinosaur lab's one-second timer's jitter; 9 refreshes in 10 within
    1.5 s)."""
    return (
        not phase["sessions_lost"]
        and phase["gap_median_s"] is not None
        and phase["gap_median_s"] <= 1.05
        and phase["gap_p90_s"] <= 1.5
    )


def run_phase(
    server: ClassServer,
    browser,
    lab: str,
    sessions: int,
    browsers: int,
    seconds: float,
    art: Path,
    tag: str,
    home_every: float | None = 10.0,
) -> dict:
    """`sessions` sessions train `lab` on `server`; measures for `seconds` after a warm-up (a fresh home page load
    every `home_every` seconds; None: none). Bounded in time."""
    url = server.url
    replica_pids = {c.name: c.proc.pid for c in server.replicas}
    n_bots = max(0, sessions - browsers)
    print(
        f"[{tag}] {sessions} sessions ({n_bots} protocol clients, {sessions - n_bots} Chromium tabs) on "
        f"{len(replica_pids)} replica(s)",
        flush=True,
    )
    rss_peak = {rid: 0 for rid in replica_pids}
    rss_idle = {rid: rss_kb(pid) for rid, pid in replica_pids.items()}
    sampling = threading.Event()

    def sample_memory() -> None:
        while not sampling.is_set():
            for rid, pid in replica_pids.items():
                rss_peak[rid] = max(rss_peak[rid], rss_kb(pid))
            sampling.wait(1.0)

    mem = threading.Thread(target=sample_memory, daemon=True)
    mem.start()
    bots = [Bot(url, lab) for _ in range(n_bots)]
    tabs = []
    setup_limit = time.perf_counter() + 300  # the Text lab's first session loads TensorFlow in every replica
    try:
        for b in bots:
            b.start()
            time.sleep(0.2)  # one after another, as students arrive (and so HAProxy's leastconn sees the others)
        for _ in range(sessions - n_bots):
            tabs.append(open_tab(browser, url, lab, timeout_ms=300_000))
        for b in bots:
            while not (b.started.is_set() and b.updates and b.updates[-1][1] > 0):
                if b.closed_early or time.perf_counter() > setup_limit:
                    break
                time.sleep(0.2)
        time.sleep(LABS[lab]["warmup_s"])
        cpu = CpuMeter(list(replica_pids.values()))
        cpu.start()
        t0 = time.perf_counter()
        homes = []
        while time.perf_counter() - t0 < seconds:
            if home_every is not None:
                homes.append(home_load(browser, url))
            time.sleep(max(0.0, min(home_every or seconds, seconds - (time.perf_counter() - t0))))
        t1 = time.perf_counter()
        cpu_use = cpu.stop()
        tab_data = []
        for page, rid in tabs:
            offset = clock_offset(page)
            tab_data.append(
                {
                    "replica": rid,
                    "updates": tab_updates(page, offset),
                    "exceptions": page.locator('[data-testid="stException"]').count(),
                    "disconnected": page.get_by_text("Connection error").count() > 0,
                }
            )
        if tabs:
            tabs[0][0].screenshot(path=str(art / f"load-test-{tag}.png"))
    finally:
        for b in bots:
            b.stop()
        for page, _ in tabs:
            page.context.close()
        sampling.set()
        mem.join(5)

    per_session = []
    for b in bots:
        r = rate(b.updates, t0, t1)
        last = b.updates[-1][0] if b.updates else 0.0
        per_session.append(
            {
                "kind": "protocol",
                "replica": b.replica,
                "rate": r,
                "gaps": gaps_of(b.updates, t0, t1),
                "exceptions": b.exceptions,
                "errors": b.errors,
                "lost": bool(b.closed_early) or r is None or r <= 0 or t1 - last > STALL_S,
                "why": b.closed_early,
            }
        )
    for d in tab_data:
        r = rate(d["updates"], t0, t1)
        last = d["updates"][-1][0] if d["updates"] else 0.0
        per_session.append(
            {
                "kind": "chromium",
                "replica": d["replica"],
                "rate": r,
                "gaps": gaps_of(d["updates"], t0, t1),
                "exceptions": d["exceptions"],
                "errors": [],
                "lost": d["disconnected"] or r is None or r <= 0 or t1 - last > STALL_S,
                "why": "connection error" if d["disconnected"] else "",
            }
        )
    rates = [s["rate"] or 0.0 for s in per_session]
    server_gaps = [g for s in per_session if s["kind"] == "protocol" for g in s["gaps"]]
    screen_gaps = [g for s in per_session if s["kind"] == "chromium" for g in s["gaps"]]
    split: dict[str, int] = {}
    for s in per_session:
        split[s["replica"]] = split.get(s["replica"], 0) + 1
    out = {
        "lab": lab,
        "unit": LABS[lab]["unit"],
        "replicas": len(replica_pids),
        "sessions": sessions,
        "browsers": len(tab_data),
        "seconds": round(t1 - t0, 1),
        "sessions_per_replica": dict(sorted(split.items())),
        "total_rate": round(sum(rates), 1),
        "rate_min": round(min(rates), 1),
        "rate_median": round(statistics.median(rates), 1),
        "rates": [round(r, 1) for r in rates],
        "gap_median_s": round(statistics.median(server_gaps), 2) if server_gaps else None,
        "gap_p90_s": round(pct(server_gaps, 0.9), 2) if server_gaps else None,
        "gap_max_s": round(max(server_gaps), 2) if server_gaps else None,
        "gaps_over_1s_share": round(sum(g > 1.05 for g in server_gaps) / len(server_gaps), 3) if server_gaps else None,
        "screen_gap_median_s": round(statistics.median(screen_gaps), 2) if screen_gaps else None,
        "screen_gap_max_s": round(max(screen_gaps), 2) if screen_gaps else None,
        "home_load_s": [round(h, 2) for h in homes],
        "home_load_median_s": round(statistics.median(homes), 2) if homes else None,
        "home_load_max_s": round(max(homes), 2) if homes else None,
        "rss_idle_mb": {k: round(v / 1024, 1) for k, v in rss_idle.items()},
        "rss_peak_mb": {k: round(v / 1024, 1) for k, v in rss_peak.items()},
        "cpu": cpu_use,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "sessions_lost": sum(s["lost"] for s in per_session),
        "lost_why": [s["why"] for s in per_session if s["lost"]],
        "tracebacks": sum(s["exceptions"] for s in per_session),
        "error_messages": sorted({e for s in per_session for e in s["errors"]}),
    }
    print(
        f"[{tag}] total {out['total_rate']} {out['unit']}/s, per session min {out['rate_min']} median "
        f"{out['rate_median']}, "
        f"gap median {out['gap_median_s']} max {out['gap_max_s']} s, cpu {cpu_use}, lost {out['sessions_lost']}",
        flush=True,
    )
    return out


# Sessions per replica tried by the capacity ramp, per lab (it stops at the first level that does not keep up).
RAMP = {"dinosaurs": [2, 4, 6, 8, 10, 12, 15], "text": [1, 2, 3, 4, 5, 6], "music": [1, 2, 3, 4, 5, 6]}


def capacity_ramp(
    server: ClassServer, browser, seconds: float, art: Path, labs: list[str], start: dict[str, int]
) -> list[dict]:
    """Per lab: protocol sessions only, more per replica at each step (from `start[lab]`), until the criterion
    (keeps_up) fails."""
    r = len(server.replicas)
    steps = []
    for lab in labs:
        for per in [x for x in RAMP[lab] if x >= start.get(lab, 0)]:
            phase = run_phase(server, browser, lab, per * r, 0, seconds, art, f"capacity-{lab}-{per}", home_every=None)
            phase["per_replica"] = per
            phase["keeps_up"] = keeps_up(phase)
            steps.append(phase)
            if not phase["keeps_up"]:
                break
    return steps


# ------------------------------------------------------------------------------------------------ memory run
SIZE_SLIDERS = {
    "Hidden units per layer": "hidden",
    "Layers": "layers",
    "Embedding size": "embed_dim",
}  # Text lab: label -> RNNConfig field
PEAK_PHASES = {  # memory-run moments (marks) -> what was happening until then
    "tf_loaded": "while the first page loaded TensorFlow",
    "all_started": "while the sessions arrived and built their models",
    "trained": "while all sessions trained",
    "closed": "while the tabs closed",
    "final": "after the tabs closed",
}
SETTLE_WINDOW_S = 20.0  # after the tabs close, memory has settled when it moved less than SETTLE_TOL_MB for this long
SETTLE_TOL_MB = 20.0
SETTLE_MIN_S = 12.0  # and at least this long after the close (the reload store's sweep runs every 5 s)


def settled(
    samples: list[tuple[float, float]],
    since: float,
    *,
    window_s: float = SETTLE_WINDOW_S,
    tol_mb: float = SETTLE_TOL_MB,
    min_s: float = SETTLE_MIN_S,
) -> bool:
    """Whether memory samples (time, MB) taken from `since` on have stopped moving: they cover at least
    max(min_s, window_s) seconds, and those of the last window_s seconds lie within tol_mb of each other."""
    after = sorted((t, v) for t, v in samples if t >= since)
    if not after or after[-1][0] - after[0][0] < max(min_s, window_s):
        return False
    last = [v for t, v in after if t >= after[-1][0] - window_s]
    return max(last) - min(last) <= tol_mb


def time_to_return(samples: list[tuple[float, float]], since: float, level: float) -> float | None:
    """Seconds from `since` to the first memory sample (time, MB) at or below `level` (None: never)."""
    return next((t - since for t, v in sorted(samples) if t >= since and v <= level), None)


def session_lost(updates: list[tuple[float, int]], t0: float, t1: float, closed_early: str = "") -> bool:
    """A memory-run session is lost when its connection ended, its counter did not move between t0 and t1, or its
    last refresh is older than STALL_S or three of its own median refresh gaps (a large model's one step can take
    longer than STALL_S when twelve sessions share two cores)."""
    r = rate(updates, t0, t1)
    if closed_early or r is None or r <= 0:
        return True
    g = gaps_of(updates, t0, t1)
    allowed = max(STALL_S, 3 * statistics.median(g)) if g else STALL_S
    last = max((t for t, _ in updates if t <= t1), default=0.0)
    return t1 - last > allowed


def memory_run(
    browser, *, defaults: int, large: int, browsers: int, seconds: float, settle_s: float, art: Path
) -> dict:
    """One `streamlit run app.py` with the default budget (or RNNP_SERVER_BUDGET_MB from this environment):
    `defaults` Text-lab sessions at the page's default sizes (the first one a Chromium tab when `browsers` > 0, alone
    at first, to measure the server with TensorFlow loaded), then `large` protocol sessions that move SIZE_SLIDERS to
    their maximum and take the size the page offers instead; all train together for `seconds`. Then every tab
    closes and the server's memory is followed until it settles (at most `settle_s`). RSS is sampled every 0.5 s
    throughout. Bounded in time; loopback only."""
    from core.server.budget import SESSION_SHARE, server_budget_bytes

    budget_mb = server_budget_bytes() / 2**20
    log_path = art / "load-test-memory-server.log"
    server = AppServer.start(log_path)
    proc, url = server.proc, server.url
    samples: list[tuple[float, float]] = []  # (perf_counter, server RSS in MB)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), rss_kb(proc.pid) / 1024))
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    marks: dict[str, float] = {}  # moment -> perf_counter

    def mark(name: str) -> None:
        marks[name] = time.perf_counter()
        samples.append((marks[name], rss_kb(proc.pid) / 1024))

    mark("fresh")
    load_before = [round(x, 2) for x in os.getloadavg()]
    use_tab = browsers > 0 and defaults > 0
    print(
        f"[memory] server {url}, budget {budget_mb:.0f} MB; {defaults} default sessions ({int(use_tab)} Chromium tab), "
        f"{large} asking for the largest size",
        flush=True,
    )
    bots: list[Bot] = []
    tabs = []
    kinds: list[str] = []  # per bot: "default" or "largest"
    tab_data = []
    setup_limit = time.perf_counter() + 240  # TensorFlow loads, twelve models are built (two large ones)
    try:
        if use_tab:
            page = open_lab_page(browser, url, "text", timeout_ms=240_000)
            mark("tf_loaded")
            tabs.append(start_tab(page, "text"))
        for i in range(defaults - int(use_tab) + large):
            big = i >= defaults - int(use_tab)
            b = Bot(url, "text", ask_max=tuple(SIZE_SLIDERS) if big else ())
            bots.append(b)
            kinds.append("largest" if big else "default")
            b.start()
            if not use_tab and i == 0:  # no tab: the first protocol session measures the server with TensorFlow loaded
                while not b.started.is_set() and not b.closed_early and time.perf_counter() < setup_limit:
                    time.sleep(0.2)
                mark("tf_loaded")
            time.sleep(0.2)  # one after another, as students arrive
        for b in bots:
            while not b.started.is_set() and not b.closed_early and time.perf_counter() < setup_limit:
                time.sleep(0.2)
        mark("all_started")
        time.sleep(LABS["text"]["warmup_s"])
        cpu = CpuMeter([proc.pid])
        cpu.start()
        t0 = time.perf_counter()
        time.sleep(seconds)
        t1 = time.perf_counter()
        cpu_use = cpu.stop()
        mark("trained")
        for page, _ in tabs:
            tab_data.append(
                {
                    "updates": tab_updates(page, clock_offset(page)),
                    "exceptions": page.locator('[data-testid="stException"]').count(),
                    "disconnected": page.get_by_text("Connection error").count() > 0,
                }
            )
            page.screenshot(path=str(art / "load-test-memory.png"))
    finally:
        for b in bots:
            b.stop()
        for page, _ in tabs:
            page.context.close()
        mark("closed")
        try:
            deadline = marks["closed"] + settle_s
            while proc.poll() is None and time.perf_counter() < deadline and not settled(samples, marks["closed"]):
                time.sleep(1.0)
            mark("final")
        finally:
            done.set()
            sampler.join(5)
            server.stop()

    def mb_at(name: str) -> float:
        return round(min(samples, key=lambda s: abs(s[0] - marks[name]))[1], 1)

    peak_t, peak = max(samples, key=lambda s: s[1])
    returned = time_to_return(samples, marks["closed"], mb_at("final") + SETTLE_TOL_MB)
    phase_of_peak = PEAK_PHASES[next((n for n in PEAK_PHASES if n in marks and peak_t <= marks[n]), "final")]
    sessions = []
    for b, kind in zip(bots, kinds):
        sessions.append(
            {
                "kind": kind,
                "rate": rate(b.updates, t0, t1),
                "steps": b.updates[-1][1] if b.updates else 0,
                "params": b.params,
                "refusals": len(b.refusals),
                "accepted": b.accepted,
                "max_gap_s": round(max(gaps_of(b.updates, t0, t1), default=0.0), 1),
                "errors": [e for e in b.errors if REFUSED not in e],
                "exceptions": b.exceptions,
                "lost": session_lost(b.updates, t0, t1, b.closed_early) or not b.started.is_set(),
                "why": b.closed_early or ("" if b.started.is_set() else "never started"),
            }
        )
    from core.labs.text_lab import BUNDLED, DEFAULTS, bundled_corpus
    from core.models.keras_model import RNNConfig, count_params

    vocab = bundled_corpus(next(iter(BUNDLED.values()))).vocab_size  # the page's first corpus, its default
    for d in tab_data:
        sessions.append(
            {
                "kind": "default (Chromium)",
                "rate": rate(d["updates"], t0, t1),
                "steps": d["updates"][-1][1] if d["updates"] else 0,
                "params": count_params(vocab, DEFAULTS),
                "refusals": 0,
                "accepted": [],
                "max_gap_s": round(max(gaps_of(d["updates"], t0, t1), default=0.0), 1),
                "errors": [],
                "exceptions": d["exceptions"],
                "lost": d["disconnected"] or session_lost(d["updates"], t0, t1),
                "why": "connection error" if d["disconnected"] else "",
            }
        )
    for x in sessions:
        x["rate"] = None if x["rate"] is None else round(x["rate"], 2)
    server_log = log_path.read_text(errors="replace") if log_path.exists() else ""
    asked = next((b.asked for b in bots if b.asked), {})
    largest = RNNConfig(**{SIZE_SLIDERS[k]: int(v) for k, v in asked.items()})
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "budget_mb": round(budget_mb),
        "session_cap_mb": round(SESSION_SHARE * budget_mb),
        "largest_asked": f"{largest.label().split(' · ')[0]}, embedding {largest.embed_dim}: "
        f"{count_params(vocab, largest):,} parameters"
        if asked
        else None,
        "default_size": f"{DEFAULTS.label().split(' · ')[0]}, embedding {DEFAULTS.embed_dim}: "
        f"{count_params(vocab, DEFAULTS):,} parameters",
        "defaults": defaults,
        "large": large,
        "browsers": int(use_tab),
        "seconds": round(t1 - t0, 1),
        "rss_mb": {
            n: mb_at(n) for n in ("fresh", "tf_loaded", "all_started", "trained", "closed", "final") if n in marks
        },
        "rss_peak_mb": round(peak, 1),
        "peak_during": phase_of_peak,
        "setup_s": round(marks["all_started"] - marks["fresh"], 1),
        "settle_s": round(marks["final"] - marks["closed"], 1),
        "settled": settled(samples, marks["closed"]),
        "returned_s": None
        if returned is None
        else round(returned, 1),  # close -> within SETTLE_TOL_MB of the final RSS
        "marks_s": {n: round(t - marks["fresh"], 1) for n, t in marks.items()},
        "budget_held": peak <= budget_mb,
        "cpu": cpu_use,
        "sessions": sessions,
        "sessions_lost": sum(x["lost"] for x in sessions),
        "lost_why": [x["why"] for x in sessions if x["lost"]],
        "tracebacks": sum(x["exceptions"] for x in sessions),
        "server_log_tracebacks": server_log.count("Traceback (most recent call last)"),
        "error_messages": sorted({e for x in sessions for e in x["errors"]}),
        "refusal_messages": sorted({r for b in bots for r in b.refusals}),
        "rss_timeline_mb": [(round(t - marks["fresh"], 1), round(v)) for t, v in samples[::4]],
    }
    print(
        f"[memory] budget {out['budget_mb']} MB, peak {out['rss_peak_mb']} MB "
        f"({'held' if out['budget_held'] else 'NOT held'}), "
        f"RSS {out['rss_mb']}, lost {out['sessions_lost']}, tracebacks {out['tracebacks']}",
        flush=True,
    )
    return out


# ------------------------------------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--replicas", default="1,2", help="the class sizes to compare, comma-separated (default %(default)s)"
    )
    ap.add_argument(
        "--dino-sessions", type=int, default=10, help="sessions training the Dinosaur lab at once (default %(default)s)"
    )
    ap.add_argument(
        "--text-sessions",
        type=int,
        default=4,
        help="sessions training the Text lab at once (default %(default)s; 0: skip)",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="measured time of each phase (default %(default)s)")
    ap.add_argument(
        "--browsers",
        type=int,
        default=1,
        help="sessions of each phase that are real Chromium tabs (default %(default)s)",
    )
    ap.add_argument(
        "--capacity",
        action="store_true",
        help="then, on the largest class, raise the sessions per replica step by step until a lab's chart no longer "
        "refreshes once a second",
    )
    ap.add_argument(
        "--ramp-seconds", type=float, default=25.0, help="measured time of each capacity step (default %(default)s)"
    )
    ap.add_argument(
        "--capacity-labs", default="dinosaurs,text,music", help="labs of the capacity ramp (default %(default)s)"
    )
    ap.add_argument(
        "--ramp-from",
        default="",
        metavar="LAB=N,...",
        help="start a lab's ramp at N sessions per replica (e.g. text=4)",
    )
    ap.add_argument(
        "--memory",
        action="store_true",
        help="instead: the memory run (one `streamlit run app.py`, Text-lab sessions at the default and the largest "
        "sizes)",
    )
    ap.add_argument(
        "--memory-defaults",
        type=int,
        default=10,
        help="memory run: sessions at the Text lab's default sizes (default %(default)s)",
    )
    ap.add_argument(
        "--memory-large",
        type=int,
        default=2,
        help="memory run: sessions asking for the largest size (default %(default)s)",
    )
    ap.add_argument(
        "--memory-seconds",
        type=float,
        default=75.0,
        help="memory run: time all sessions train together (default %(default)s)",
    )
    ap.add_argument(
        "--settle-seconds",
        type=float,
        default=120.0,
        help="memory run: longest wait for the server's memory to settle after the tabs close (default %(default)s)",
    )
    ap.add_argument("--report", default=str(ROOT / "docs" / "load-test.md"))
    ap.add_argument("--no-report", action="store_true", help="print and write the JSON only")
    args = ap.parse_args()
    if args.memory:
        return main_memory(args)
    sizes = [int(x) for x in args.replicas.split(",") if x.strip()]
    start = {k: int(v) for k, v in (kv.split("=") for kv in args.ramp_from.split(",") if kv.strip())}
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = [round(x, 2) for x in os.getloadavg()]
    servers = {}
    results: dict = {"phases": []}
    try:
        for r in sizes:
            cfg = ClassConfig(
                replicas=r,
                port=free_port(),
                address="127.0.0.1",
                first_replica_port=0,
                state_dir=art / f"load-test-class-R{r}",
            )
            servers[r] = ClassServer(cfg, quiet=True).start()
            print(f"class R={r}: {servers[r].url}", flush=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
            idle_home = {r: round(home_load(browser, servers[r].url), 2) for r in sizes}
            for lab, n in (("dinosaurs", args.dino_sessions), ("text", args.text_sessions)):
                if n <= 0:
                    continue
                for r in sizes:
                    phase = run_phase(
                        servers[r], browser, lab, n, min(args.browsers, n), args.seconds, art, f"{lab}-R{r}"
                    )
                    phase["home_load_idle_s"] = idle_home[r]
                    results["phases"].append(phase)
            if args.capacity:
                results["capacity"] = capacity_ramp(
                    servers[max(sizes)], browser, args.ramp_seconds, art, args.capacity_labs.split(","), start
                )
            browser.close()
    finally:
        for s in servers.values():
            s.stop()
    results.update(
        {
            "date": started,
            "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
            "loadavg_before": load_before,
            "seconds": args.seconds,
            "browsers": args.browsers,
        }
    )
    dino = {p["replicas"]: p for p in results["phases"] if p["lab"] == "dinosaurs"}
    if 1 in dino and 2 in dino and dino[1]["total_rate"]:
        results["dino_speedup_R2_over_R1"] = round(dino[2]["total_rate"] / dino[1]["total_rate"], 2)
    (art / "load-test.json").write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "phases"}, indent=2))
    if not args.no_report:
        write_report(Path(args.report), results)
    bad = [p for p in results["phases"] if p["sessions_lost"] or p["tracebacks"]]
    if bad:
        raise SystemExit(
            "FAILED: a session was lost or a traceback reached a page: "
            + ", ".join(f"{p['lab']} R={p['replicas']}" for p in bad)
        )


def main_memory(args) -> None:
    from playwright.sync_api import sync_playwright

    art = ROOT / "test-artifacts"
    art.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            res = memory_run(
                browser,
                defaults=args.memory_defaults,
                large=args.memory_large,
                browsers=args.browsers,
                seconds=args.memory_seconds,
                settle_s=args.settle_seconds,
                art=art,
            )
        finally:
            browser.close()
    (art / "load-test-memory.json").write_text(json.dumps(res, indent=2))
    print(json.dumps({k: v for k, v in res.items() if k not in ("sessions", "rss_timeline_mb")}, indent=2))
    if not args.no_report:
        write_memory_report(Path(args.report), res)
    problems = memory_problems(res)
    if problems:
        raise SystemExit("FAILED: " + "; ".join(problems))


def memory_problems(res: dict) -> list[str]:
    """What went wrong in a memory run, in words (empty: nothing)."""
    out = []
    if not res["budget_held"]:
        out.append(f"peak RSS {res['rss_peak_mb']:,.0f} MB over the {res['budget_mb']:,} MB budget")
    if res["sessions_lost"]:
        out.append(f"{res['sessions_lost']} session(s) lost ({', '.join(w or 'stalled' for w in res['lost_why'])})")
    if res["tracebacks"]:
        out.append(f"{res['tracebacks']} traceback(s) on screen")
    if not res["settled"]:
        out.append(f"memory still moving {res['settle_s']:.0f} s after the tabs closed")
    return out


def size_taken(x: dict) -> str:
    """A memory-run session's size in words: what it asked for, and what it took when the page refused it."""
    asked = "asked for the largest" if x["kind"] == "largest" else "default size"
    if x["accepted"]:
        return f"{asked}; refused {x['refusals']}×, took {' → '.join(x['accepted'])}"
    return f"{asked}, built as asked"


def write_memory_report(path: Path, res: dict) -> None:
    """Prepend a memory run to the report (the same file and head as the class runs)."""
    head = REPORT_HEAD
    rss = res["rss_mb"]
    n = res["defaults"] + res["large"]
    lines = [
        f"## {res['date']}: memory run, one server, {res['defaults']} Text-lab sessions at the default size + "
        f"{res['large']} asking for the largest\n",
        f"Machine: {res['machine']['cores']} cores, Python {res['machine']['python']}; load average before the run "
        f"{' / '.join(map(str, res['loadavg_before']))}, after {' / '.join(map(str, res['loadavg_after']))} (1 / 5 / "
        "15 min). "
        f"One `streamlit run app.py` on loopback with the default budget. {res['browsers']} of the default sessions "
        "was a Chromium tab "
        "(opened first, alone, to measure the server with TensorFlow loaded), the others protocol clients; the large "
        f"ones moved the hidden size, layers and embedding sliders to their maximum ({res['largest_asked']}) and, "
        "when the page refused, "
        f'pressed its "Use … instead" button, then Start. All {n} trained together for {res["seconds"]:.0f} s; then '
        "every tab "
        f"closed and the server's memory was followed until it settled. Default size: {res['default_size']}. CPU "
        "during training: "
        f"server {res['cpu']['replicas_cores']}, this test {res['cpu']['load_test_cores']}, other work "
        f"{res['cpu']['other_cores']} cores.\n",
        f"**Budget {res['budget_mb']:,} MB (one session at most {res['session_cap_mb']:,} MB): peak RSS "
        f"{res['rss_peak_mb']:,.0f} MB, "
        + ("the budget held." if res["budget_held"] else "the budget did NOT hold.")
        + "**\n",
        "| moment | server RSS (MB) |",
        "|---|---|",
        f"| fresh server | {rss['fresh']:,.0f} |",
    ]
    if "tf_loaded" in rss:
        lines.append(f"| first Text page open (TensorFlow loaded, one default model built) | {rss['tf_loaded']:,.0f} |")
    lines += [
        f"| all {n} sessions built their models and pressed Start ({res['setup_s']:.0f} s after the server started) "
        f"| {rss['all_started']:,.0f} |",
        f"| end of training, all {n} sessions | {rss['trained']:,.0f} |",
        f"| peak ({res['peak_during']}) | {res['rss_peak_mb']:,.0f} |",
        f"| every tab closed | {rss['closed']:,.0f} |",
        f"| {res['settle_s']:.0f} s later ({'settled' if res['settled'] else 'still moving'}) | {rss['final']:,.0f} |",
        "",
    ]
    if res.get("returned_s") is not None:
        lines.append(
            f"Memory was back within {SETTLE_TOL_MB:.0f} MB of its final level {res['returned_s']:.0f} s after the "
            "last tab closed."
        )
    if "tf_loaded" in rss:
        lines.append(
            f"Final RSS minus the level with TensorFlow loaded: {rss['final'] - rss['tf_loaded']:+,.0f} MB "
            "(it includes what the reload store keeps of the closed tabs: their models' weights as numpy).\n"
        )
    lines += [
        f"Sessions lost: {res['sessions_lost']}"
        + (f" ({', '.join(w or 'stalled' for w in res['lost_why'])})" if res["lost_why"] else "")
        + f"; tracebacks on screen: {res['tracebacks']}; tracebacks in the server's log: "
        f"{res['server_log_tracebacks']}.\n",
        "| session | size | parameters | steps at the end | optimizer steps/s | longest refresh gap (s) | lost |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in sorted(res["sessions"], key=lambda x: x["kind"] != "largest"):
        params = "–" if x["params"] is None else f"{x['params']:,}"
        lines.append(
            f"| {x['kind']} | {size_taken(x)} | {params} | {x['steps']:,} | {x['rate']} | {x['max_gap_s']} | "
            f"{'yes' if x['lost'] else 'no'} |"
        )
    lines.append("")
    if res["refusal_messages"]:
        lines.append("What the page said when it refused:\n")
        lines += [f"> {m}\n" for m in res["refusal_messages"]]
    if res["error_messages"]:
        lines.append(f"Other error messages sent to sessions: {res['error_messages']}\n")
    prepend_run(path, head, "\n".join(lines) + "\n")


REPORT_HEAD = "# Load test\n\nProduced by `scripts/load_test.py` (see its docstring). Newest run first.\n\n"


def _pair(phases: dict, key, fmt=lambda v: f"{v}") -> list[str]:
    return [fmt(phases[r][key]) if phases[r].get(key) is not None else "–" for r in sorted(phases)]


def write_report(path: Path, res: dict) -> None:
    """Prepend this run to the report (newest first), keeping earlier runs below it."""
    head = REPORT_HEAD
    labs = {}
    for p in res["phases"]:
        labs.setdefault(p["lab"], {})[p["replicas"]] = p
    sizes = sorted({p["replicas"] for p in res["phases"] + res.get("capacity", [])})
    title_bits = [f"{next(iter(v.values()))['sessions']} {LABS[k]['title']}-lab sessions" for k, v in labs.items()]
    if res.get("capacity"):
        title_bits.append("capacity ramp")
    lines = [
        f"## {res['date']}: R = {', '.join(map(str, sizes))} replicas behind HAProxy, {' then '.join(title_bits)}\n",
        f"Machine: {res['machine']['cores']} cores, Python {res['machine']['python']}; load average before the run "
        f"{' / '.join(map(str, res['loadavg_before']))} (1 / 5 / 15 min). "
        + (
            f"Each phase measured {res['seconds']:.0f} s after a warm-up; {res['browsers']} session of each phase "
            "was a Chromium tab, "
            "the others protocol clients (see the script's docstring). "
            if res["phases"]
            else ""
        )
        + "CPU is in cores used on average during a phase: the replicas, this test's own processes (bots, Chromium, "
        "HAProxy) and "
        "everything else on the machine (other users' work).\n",
    ]
    if "dino_speedup_R2_over_R1" in res:
        s = res["dino_speedup_R2_over_R1"]
        lines.append(
            f"**Dinosaur lab, R = 2 over R = 1, total throughput: {s:.2f}×** (the aim on 2 cores: at least 1.7×).\n"
        )
    for lab, phases in labs.items():
        any_p = next(iter(phases.values()))
        unit = any_p["unit"]
        cols = [f"R = {r}" for r in sorted(phases)]
        rows = [
            (
                "sessions per replica",
                _pair(phases, "sessions_per_replica", lambda d: ", ".join(f"{k} {v}" for k, v in d.items())),
            ),
            (f"training, all sessions together ({unit}/s)", _pair(phases, "total_rate")),
            (
                f"training per session, min / median ({unit}/s)",
                [f"{phases[r]['rate_min']} / {phases[r]['rate_median']}" for r in sorted(phases)],
            ),
            (
                "refresh gap, server to tab: median / 90th pct / worst (s)",
                [
                    f"{phases[r]['gap_median_s']} / {phases[r]['gap_p90_s']} / {phases[r]['gap_max_s']}"
                    for r in sorted(phases)
                ],
            ),
            ("refreshes more than 1.05 s apart", _pair(phases, "gaps_over_1s_share", lambda v: f"{v:.0%}")),
            (
                "chart refresh on screen (Chromium tab): median / worst (s)",
                [f"{phases[r]['screen_gap_median_s']} / {phases[r]['screen_gap_max_s']}" for r in sorted(phases)],
            ),
            ("home page load, idle class (s)", _pair(phases, "home_load_idle_s")),
            (
                "home page load while training: median / worst (s)",
                [
                    f"{phases[r]['home_load_median_s']} / {phases[r]['home_load_max_s']} (of "
                    f"{len(phases[r]['home_load_s'])})"
                    for r in sorted(phases)
                ],
            ),
            (
                "memory per replica, idle → peak (MB)",
                [
                    ", ".join(
                        f"{k} {phases[r]['rss_idle_mb'][k]:.0f} → {v:.0f}" for k, v in phases[r]["rss_peak_mb"].items()
                    )
                    for r in sorted(phases)
                ],
            ),
            (
                "CPU: replicas / this test / other (cores)",
                [
                    f"{phases[r]['cpu']['replicas_cores']} / {phases[r]['cpu']['load_test_cores']} / "
                    f"{phases[r]['cpu']['other_cores']}"
                    for r in sorted(phases)
                ],
            ),
            ("sessions lost", _pair(phases, "sessions_lost")),
            ("tracebacks on screen", _pair(phases, "tracebacks")),
        ]
        lines.append(f"### {LABS[lab]['title']} lab: {any_p['sessions']} sessions training at once\n")
        lines.append("| figure | " + " | ".join(cols) + " |")
        lines.append("|---|" + "---|" * len(cols))
        lines += [f"| {name} | " + " | ".join(vals) + " |" for name, vals in rows]
        lines.append("")
        for r in sorted(phases):
            lines.append(
                f"Per-session rates, R = {r}: {phases[r]['rates']}"
                + (f"; error messages: {phases[r]['error_messages']}" if phases[r]["error_messages"] else "")
            )
        lines.append("")
    if res.get("capacity"):
        steps = res["capacity"]
        lines.append(
            f"### Capacity: training sessions per replica (R = {steps[0]['replicas']}, one replica per core), "
            f"{steps[0]['seconds']:.0f} s per step\n"
        )
        lines.append(
            "Protocol sessions only. A step keeps up when no session is lost, the median refresh gap is at most 1.05 "
            "s and "
            "9 gaps in 10 are at most 1.5 s; the ramp of a lab stops at the first step that does not.\n"
        )
        lines.append(
            "| lab | sessions per replica | refresh gap: median / 90th pct / worst (s) | per session, min / median | "
            "all together | CPU: replicas / other (cores) | lost | keeps up |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for p in steps:
            lines.append(
                f"| {LABS[p['lab']]['title']} | {p['per_replica']} | {p['gap_median_s']} / {p['gap_p90_s']} / "
                f"{p['gap_max_s']} | {p['rate_min']} / {p['rate_median']} {p['unit']}/s | "
                f"{p['total_rate']} | {p['cpu']['replicas_cores']} / {p['cpu']['other_cores']} | "
                f"{p['sessions_lost']} | {'yes' if p['keeps_up'] else 'no'} |"
            )
        lines.append("")
        for p in steps:
            if p["error_messages"]:
                lines.append(
                    f"Error messages sent to sessions, {LABS[p['lab']]['title']} lab at {p['per_replica']} per "
                    f"replica: {p['error_messages']}\n"
                )
    prepend_run(path, head, "\n".join(lines) + "\n")


def prepend_run(path: Path, head: str, run: str) -> None:
    """Write a report as `head`, then this run, then the runs already in it (newest first)."""
    old = path.read_text() if path.exists() else ""
    old = old[len(head) :] if old.startswith(head) else ""
    path.write_text(head + run + old)


if __name__ == "__main__":
    main()
