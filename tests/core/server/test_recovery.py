"""core.server.recovery: a reloaded tab's labs, kept under its token, bounded in time and memory (fake clock and labs)."""

from core.server.recovery import RecoveryStore, new_token


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


def make(active: set, **kw):
    clock = Clock()
    return RecoveryStore(lambda sid: sid in active, clock=clock, **kw), clock


def test_a_reloaded_tab_takes_its_labs_over_but_a_second_open_tab_does_not():
    active = {"s1"}
    store, _ = make(active)
    lab = FakeLab(100)
    store.register("tok", "s1", {"text": lab}, {"text_hidden": 64})
    active.add("s2")
    assert store.claim("tok", "s2") is None  # s1 is still connected: this is another tab with the same address
    active.discard("s1")  # s1 reloaded: its connection is gone
    e = store.claim("tok", "s2")
    assert e is not None and e.labs == {"text": lab} and e.widgets == {"text_hidden": 64} and e.owner == "s2"
    assert store.claim("unknown", "s3") is None
    assert len(new_token()) >= 20 and new_token() != new_token()


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
    store.register("tok2", "s9", {"text": FakeLab(10)}, {})
    clock.t = 200
    assert store.claim("tok2", "s10") is None  # past its time when claimed


def test_the_oldest_tabs_are_dropped_first_over_the_memory_cap():
    active = {"a", "b", "c"}
    store, clock = make(active, max_bytes=250)
    for i, sid in enumerate("abc"):
        clock.t = i
        store.register(f"tok-{sid}", sid, {"text": FakeLab(100)}, {})
    active.clear()
    store.sweep()
    assert len(store) == 2 and store.claim("tok-a", "x") is None  # the oldest went
    assert store.claim("tok-c", "y") is not None
