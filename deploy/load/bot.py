"""Protocol sessions: a student's session driven over Streamlit's WebSocket as the page's own script drives it,
without drawing (Bot), and how such a student reads the page: the memory budget's refusal, the size it offers,
the parameter count it states, and what to press next."""

from __future__ import annotations

import http.cookies
import re
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from deploy.load.labs import LABS

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
    when its button arrives, then ask for each fragment's reruns on the interval of its `auto_rerun` message (a
    page can have several timed fragments: the live area and a live view inside a tab; the browser runs them all).
    Records every value of the lab's counter with the time it arrived.

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
        timers: dict[str, tuple[float, float]] = {}  # fragment id -> (interval, next due), as the browser's timers
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
                cs.query_string, cs.page_name, cs.page_script_hash = LABS[self.lab]["query"], page, page_hash
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
                due = min((d for _, d in timers.values()), default=None)
                wait = 0.2 if due is None else max(0.0, min(0.2, due - time.perf_counter()))
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
                        timers[fm.auto_rerun.fragment_id] = (fm.auto_rerun.interval, now + fm.auto_rerun.interval)
                    elif kind == "stop_auto_rerun":
                        for fid in fm.stop_auto_rerun.fragment_ids:
                            timers.pop(fid, None)
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
                                timers.clear()  # a full rerun: the page's timers start again from its auto_rerun
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
                            timers.clear()
                            rerun(trigger=start_id)
                        offer, start_id = None, ""  # what the next run offers
                for fid, (interval, at) in list(timers.items()):
                    if now >= at:
                        rerun(fragment=fid)
                        timers[fid] = (interval, at + interval)  # like setInterval: on schedule, not after the run
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
