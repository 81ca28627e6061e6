"""The load test's pure parts (deploy/load, run by scripts/load_test.py): how a protocol student reads the Text
lab's memory-budget refusal and acts on it, when the server's memory has settled, when a session counts as lost, and
the memory run's report. (The runs themselves are benchmarks: scripts/load_test.py --memory, figures in
docs/load-test.md.)"""

from __future__ import annotations

from core.models.keras_model import RNNConfig, count_params
from core.server.budget import check
from deploy import load as lt


def test_the_pages_refusal_is_read_as_the_page_writes_it():
    verdict = check(66, RNNConfig(hidden=1024, layers=3, embed_dim=256), 700 * 2**20, budget=3072 * 2**20)
    assert not verdict.ok and lt.REFUSED in verdict.message
    label = verdict.suggestion.label().split(" · ")[0]  # what ui.live.refused puts on its button
    assert lt.suggestion_label(f"Use {label} instead") == label == "LSTM 672×3"
    assert lt.suggestion_label("▶ Start") is None
    assert lt.suggestion_label("Use this model") is None


def test_parameter_count_from_the_pages_caption():
    n = count_params(66, RNNConfig(hidden=256))  # LSTM 256: 4·256·(64 + 256 + 1) + 66·64 + 257·66
    caption = f"**{n:,} parameters** (1.3 MB as float32) · vocabulary 66 · needs about 175 MB while training"
    assert lt.params_in(caption) == n == 349_890
    big = count_params(66, RNNConfig())  # the default LSTM 384
    assert lt.params_in(f"**{big:,} parameters** (2.7 MB as float32)") == big == 719_298
    assert lt.params_in("Changing the cell, size, layers … starts a **new run**") is None


def test_a_student_asking_for_the_largest_size_moves_the_sliders_takes_the_offer_then_starts():
    state = dict(ask_max=True, sized=False, started=False)
    # first run: the default model is built; the sliders are there
    assert lt.next_action(**state, sliders_seen=True, offer=False, start_enabled=True) == "size"
    assert (
        lt.next_action(**state, sliders_seen=False, offer=False, start_enabled=True) == ""
    )  # not before the sliders came
    state["sized"] = True
    # the largest is refused (the current model stays, so Start is there too): take the offer, not Start
    assert lt.next_action(**state, sliders_seen=True, offer=True, start_enabled=True) == "accept"
    # the offered size was built
    assert lt.next_action(**state, sliders_seen=True, offer=False, start_enabled=True) == "start"
    state["started"] = True
    assert lt.next_action(**state, sliders_seen=True, offer=True, start_enabled=True) == ""


def test_a_default_student_refused_on_a_full_server_takes_the_offer():
    kw = dict(ask_max=False, sized=False, started=False, sliders_seen=True)
    assert lt.next_action(**kw, offer=True, start_enabled=False) == "accept"
    assert lt.next_action(**kw, offer=False, start_enabled=False) == ""  # no Start: wait


def test_memory_settles_only_when_flat_for_the_window():
    falling = [(float(t), 1800.0 - 50 * t) for t in range(0, 30)]
    assert not lt.settled(falling, 0.0)
    flat = [(float(t), 800.0 + (t % 3)) for t in range(0, 30)]
    assert lt.settled(flat, 0.0)
    assert not lt.settled(flat, 15.0)  # too short since the close
    drop_then_flat = [(float(t), 1700.0 if t < 6 else 802.0) for t in range(0, 40)]
    assert not lt.settled(drop_then_flat[:26], 0.0)  # the drop is still inside the window
    assert lt.settled(drop_then_flat, 0.0)
    assert lt.settled(list(reversed(drop_then_flat)), 0.0)  # sample order does not matter


def test_time_for_memory_to_come_back():
    samples = [(10.0, 2400.0), (12.0, 2450.0), (14.0, 1178.0), (16.0, 908.0), (18.0, 907.0)]
    assert lt.time_to_return(samples, 11.0, 908.0 + 20) == 5.0
    assert lt.time_to_return(samples, 11.0, 500.0) is None
    assert lt.time_to_return(list(reversed(samples)), 11.0, 2500.0) == 1.0  # the first sample after the close


def test_a_session_is_lost_when_it_stops_making_progress():
    steady = [(float(t), t) for t in range(0, 61)]
    assert not lt.session_lost(steady, 5.0, 60.0)
    assert lt.session_lost(steady, 5.0, 60.0, closed_early="the server closed the connection")
    stuck = [(float(t), min(t, 20)) for t in range(0, 61)]
    assert not lt.session_lost(stuck, 5.0, 60.0)  # it moved in the window and still refreshes
    silent = [(float(t), t) for t in range(0, 31)]
    assert lt.session_lost(silent, 5.0, 60.0)  # no refresh for 30 s
    slow = [(float(t), t // 12) for t in range(0, 61, 12)]  # a large model: one step per 12 s refresh
    assert not lt.session_lost(slow, 5.0, 60.0)
    assert lt.session_lost([(0.0, 0), (30.0, 0), (59.0, 0)], 5.0, 60.0)  # refreshes but never trains


def _result(**over):
    res = {
        "date": "2026-11-23 18:00 UTC",
        "machine": {"cores": 2, "python": "3.11.7"},
        "loadavg_before": [0.5, 0.6, 0.7],
        "loadavg_after": [4.0, 2.0, 1.0],
        "budget_mb": 3072,
        "session_cap_mb": 1075,
        "largest_asked": "LSTM 1024×3, embedding 256 (22,116,930 parameters)",
        "default_size": "LSTM 256, embedding 64 (349,890 parameters)",
        "defaults": 2,
        "large": 1,
        "browsers": 1,
        "seconds": 75.0,
        "rss_mb": {
            "fresh": 70.0,
            "tf_loaded": 676.0,
            "all_started": 1041.0,
            "trained": 1808.0,
            "closed": 1737.0,
            "final": 802.0,
        },
        "rss_peak_mb": 1986.0,
        "peak_during": "while all sessions trained",
        "setup_s": 7.6,
        "settle_s": 24.0,
        "settled": True,
        "returned_s": 4.0,
        "budget_held": True,
        "cpu": {"replicas_cores": 1.2, "load_test_cores": 0.2, "other_cores": 0.5, "machine_busy_cores": 1.9},
        "sessions": [
            {
                "kind": "default",
                "rate": 3.05,
                "steps": 91,
                "params": 349890,
                "refusals": 0,
                "accepted": [],
                "max_gap_s": 1.2,
                "errors": [],
                "exceptions": 0,
                "lost": False,
                "why": "",
            },
            {
                "kind": "largest",
                "rate": 0.27,
                "steps": 6,
                "params": 9789186,
                "refusals": 1,
                "accepted": ["LSTM 672×3"],
                "max_gap_s": 6.7,
                "errors": [],
                "exceptions": 0,
                "lost": False,
                "why": "",
            },
        ],
        "sessions_lost": 0,
        "lost_why": [],
        "tracebacks": 0,
        "server_log_tracebacks": 0,
        "error_messages": [],
        "refusal_messages": [
            "This model needs about 2,237 MB while it trains, … Nothing was built. The largest that fits now: LSTM "
            "672×3."
        ],
    }
    res.update(over)
    return res


def test_memory_problems_name_what_failed():
    assert lt.memory_problems(_result()) == []
    bad = lt.memory_problems(
        _result(budget_held=False, rss_peak_mb=3300.0, sessions_lost=1, lost_why=[""], tracebacks=2, settled=False)
    )
    assert any("3,300 MB over the 3,072 MB budget" in p for p in bad)
    assert any("1 session(s) lost (stalled)" in p for p in bad)
    assert any("2 traceback(s)" in p for p in bad)
    assert any("still moving" in p for p in bad)


def test_size_taken_in_words():
    res = _result()
    assert lt.size_taken(res["sessions"][0]) == "default size, built as asked"
    assert lt.size_taken(res["sessions"][1]) == "asked for the largest; refused 1×, took LSTM 672×3"


def test_the_memory_report_is_prepended_with_its_figures(tmp_path):
    path = tmp_path / "load-test.md"
    path.write_text(lt.REPORT_HEAD + "## an earlier run\n\nold figures\n")
    lt.write_memory_report(path, _result())
    text = path.read_text()
    assert text.startswith(lt.REPORT_HEAD + "## 2026-11-23 18:00 UTC: memory run")
    assert text.index("memory run") < text.index("## an earlier run")
    assert "peak RSS 1,986 MB, the budget held" in text
    assert "| 24 s later (settled) | 802 |" in text
    assert "back within 20 MB of its final level 4 s after the last tab closed" in text
    assert "+126 MB" in text  # final minus the level with TensorFlow loaded
    assert "refused 1×, took LSTM 672×3 | 9,789,186 |" in text
    lt.write_memory_report(path, _result(budget_held=False, rss_peak_mb=3300.0, date="2026-11-23 19:00 UTC"))
    text = path.read_text()
    assert text.count(lt.REPORT_HEAD) == 1 and "the budget did NOT hold" in text
    assert text.index("19:00 UTC") < text.index("18:00 UTC") < text.index("an earlier run")
