"""core.server.recovery: a reloaded tab's labs, kept under its token, bounded in time and memory (fake clock and labs);
and the browser key that ui.server.recover gives it."""

import os
import tomllib

from core.server.recovery import EXPIRED, IN_USE, OTHER_BROWSER, UNKNOWN, RecoveryStore


class FakeLab:
    def __init__(self, nbytes: int):
        self.nbytes, self.asleep, self.slept = nbytes, False, 0

    def hibernate(self) -> int:
        if not self.asleep:
            self.asleep, self.slept = True, self.slept + 1
        return self.nbytes


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def make(active: set, retired: list | None = None, **kw):
    clock = Clock()
    retire = retired.append if retired is not None else (lambda sid: None)
    return RecoveryStore(lambda sid: sid in active, retire=retire, clock=clock, **kw), clock


def test_a_reloaded_tab_takes_its_labs_over_but_a_second_open_tab_does_not():
    active = {"s1"}
    store, _ = make(active)
    lab = FakeLab(100)
    tok = store.new_token()
    store.register(tok, "s1", {"text": lab}, {"text_hidden": 64}, browser="key-a")
    active.add("s2")
    c = store.claim(tok, "s2", browser="key-a")  # s1 is still connected: this is another tab with the same address
    assert c.entry is None and c.refused == IN_USE and c.widgets == {"text_hidden": 64}
    active.discard("s1")  # s1 reloaded: its connection is gone
    e = store.claim(tok, "s2", browser="key-a").entry
    assert e is not None and e.labs == {"text": lab} and e.widgets == {"text_hidden": 64} and e.owner == "s2"
    assert store.claim("unknown", "s3", browser="key-a").refused == UNKNOWN
    assert len(tok) >= 20 and store.new_token() != store.new_token()


def test_a_copied_address_never_gives_the_work_to_another_browser():
    active = {"a"}
    store, _ = make(active)
    tok = store.new_token()
    store.register(tok, "a", {"dino": FakeLab(10)}, {"dino_n_a": 1}, browser="key-a")
    for connected in (True, False):  # A's tab open, then A's connection dropped (a laptop lid closed)
        if not connected:
            active.discard("a")
        active.add("b")
        c = store.claim(tok, "b", browser="key-b")
        assert c.entry is None and c.refused == OTHER_BROWSER and c.widgets == {"dino_n_a": 1}
        assert store.claim(tok, "b", browser="").refused == OTHER_BROWSER  # a browser without a key proves nothing
    assert store._entries[tok].owner == "a"
    active.add("a")  # A reconnects: its work is still its own
    assert store.register(tok, "a", {"dino": FakeLab(10)}, {}, browser="key-a")


def test_an_entry_made_without_a_browser_key_is_never_claimed():
    store, _ = make(set())
    tok = store.new_token()
    store.register(tok, "a", {"dino": FakeLab(10)}, {})
    assert store.claim(tok, "b").refused == OTHER_BROWSER and store.claim(tok, "b", browser="").entry is None


def test_a_claimed_tab_can_never_come_back_and_drive_the_same_labs():
    """Same browser, two tabs: A1's connection drops, A2 opens the address and takes the work over. A1's session is
    retired (it can't resume: its tab gets a new session), and were it to run again anyway, its labs are refused."""
    active, retired = {"a1"}, []
    store, _ = make(active, retired)
    tok = store.new_token()
    labs = {"text": FakeLab(10)}
    store.register(tok, "a1", labs, {}, browser="k")
    active.discard("a1")
    active.add("a2")
    assert store.claim(tok, "a2", browser="k").entry.labs == labs
    assert retired == ["a1"]
    active.add("a1")  # a1 runs once more (it reconnected before the retirement took effect)
    assert not store.register(tok, "a1", labs, {}, browser="k")  # it must let go of the labs
    assert store._entries[tok].owner == "a2"
    assert store.register(tok, "a2", labs, {}, browser="k")  # the new owner keeps registering
    assert store.claim(tok, "a1", browser="k").refused == IN_USE


def test_a_tab_that_reconnects_while_being_claimed_keeps_its_work():
    """The old owner reconnects between the check and the retirement: the claim must fail, not share its labs."""
    active = set()
    store, _ = make(active)
    store.retire = lambda sid: active.add(sid)  # it reconnects at that very moment
    tok = store.new_token()
    store.register(tok, "a1", {"text": FakeLab(10)}, {}, browser="k")
    assert store.claim(tok, "a2", browser="k").refused == IN_USE and store._entries[tok].owner == "a1"


def test_only_tokens_this_store_issued_count_as_expired():
    store, clock = make(set(), ttl_s=60)
    tok = store.new_token()
    store.register(tok, "s1", {"text": FakeLab(10)}, {}, browser="k")
    clock.t = 61
    assert store.claim(tok, "s2", browser="k").refused == EXPIRED  # past its time, still in the store
    assert store.claim(tok, "s2", browser="k").refused == EXPIRED  # and after it was dropped
    other, _ = make(set())
    assert other.claim(tok, "s2", browser="k").refused == UNKNOWN  # another server process (or a restart)
    for bad in ("", "abc", tok[:-1], tok + "x", "<b>" * 20, "é" * 40):
        assert store.claim(bad, "s2", browser="k").refused == UNKNOWN


def test_labs_of_a_tab_that_left_are_hibernated_every_sweep_until_it_returns():
    active = {"s1"}
    store, _ = make(active)
    lab = FakeLab(100)
    store.register("tok", "s1", {"text": lab}, {})
    assert store.sweep() == 0 and not lab.asleep  # still connected: nothing to do
    active.clear()
    assert store.sweep() == 1 and lab.asleep and store.kept_bytes() == 100
    lab.asleep = False  # a run the tab started before it left finished later and built a new model
    assert store.sweep() == 1 and lab.asleep and lab.slept == 2
    assert store.sweep() == 0


def test_work_is_dropped_after_the_time_limit():
    active = {"s1"}
    store, clock = make(active, ttl_s=60)
    store.register("tok", "s1", {"text": FakeLab(10)}, {})
    active.clear()
    clock.t = 30
    store.sweep()
    assert len(store) == 1
    clock.t = 61
    store.sweep()
    assert len(store) == 0
    store.register("tok2", "s9", {"text": FakeLab(10)}, {}, browser="k")
    clock.t = 200
    assert store.claim("tok2", "s10", browser="k").entry is None  # past its time when claimed


def test_the_oldest_tabs_are_dropped_first_over_the_memory_cap():
    active = {"a", "b", "c"}
    store, clock = make(active, max_bytes=250)
    for i, sid in enumerate("abc"):
        clock.t = i
        store.register(f"tok-{sid}", sid, {"text": FakeLab(100)}, {}, browser="k")
    active.clear()
    store.sweep()
    assert len(store) == 2 and store.claim("tok-a", "x", browser="k").entry is None  # the oldest went
    assert store.claim("tok-c", "y", browser="k").entry is not None


def test_the_browser_key_is_the_xsrf_cookies_token_whatever_its_mask():
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from tests.support import ROOT
    from ui.server.recover import browser_key

    token = os.urandom(16)
    first, second = generate_xsrf_token_string(token), generate_xsrf_token_string(token)  # two responses' cookies
    assert first != second and browser_key(first) == browser_key(second) != ""
    assert browser_key(generate_xsrf_token_string(os.urandom(16))) != browser_key(first)  # another browser
    for missing in (None, "", "2|zz|zz|1", "not a cookie"):
        assert browser_key(missing) == ""
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableXsrfProtection"] is True
