"""Shared pieces: run settings per mode, machine facts, corpora, timing helpers."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository root
DATA = ROOT / "data"
SHAKESPEARE = DATA / "shakespeare.txt"  # bundled, always present
DINOS = DATA / "dinos.txt"
TINY_SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"  # reference data, read in place, optional
RESULTS = ROOT / "bench" / "results"
DOCS_MD = ROOT / "docs" / "benchmarks.md"
LIMITS_MD = ROOT / "bench" / "limits.md"  # hand-written notes the report includes verbatim

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# no TensorFlow import here: core.models.keras_model loads it lazily
from core.models.keras_model import RNNConfig  # noqa: E402

DEFAULT_HIDDEN = RNNConfig.hidden  # the Text lab's default size: throughput row 1c and the quality table use it


@dataclass(frozen=True)
class Settings:
    """Everything that differs between --smoke, --quick and the full run."""

    mode: str
    repeats: int  # timed repeats per competitor (median reported); warm-up is extra
    # 1. training throughput
    tp_seconds: float  # target wall time of one timed repeat
    tp_hidden: tuple[int, ...] = (128,)  # hidden sizes for plain fit vs project (seed style is always LSTM 128)
    tp_xla: bool = False  # also plain fit with jit_compile=True
    tp_decompose: bool = False  # also the project's slices without the page's validation pass / live sample
    tp_browser_s: float = 0.0  # > 0: also the Text lab in a real browser (Playwright + Chromium) for this long
    corpus_chars: int | None = None  # use only the first N characters of the bundled text (smoke)
    # 2. sampling
    sample_hidden: tuple[int, ...] = (128, 512)
    sample_chars: int = 500  # characters per timed generation (project, tf.function)
    predict_chars: int = 30  # characters per timed generation with model.predict per step (slow)
    sample_pretrain_steps: int = (
        200  # train first (lr 1e-2, batch 16 x 50), so the distributions are peaked, not uniform
    )
    equal_chars: int = 200  # teacher-forced characters for the probability comparison
    # 3. quality vs time
    quality_budgets: tuple[float, ...] = (60.0, 300.0)  # bundled Shakespeare
    tiny_budgets: tuple[float, ...] = (60.0, 120.0, 300.0)  # tiny Shakespeare, when present (the quality table)
    quality_cells: tuple[str, ...] = ("gru", "lstm")  # bundled Shakespeare
    tiny_cells: tuple[str, ...] = ("simplernn", "gru", "lstm")  # tiny Shakespeare (the quality table)
    quality_hidden: int = DEFAULT_HIDDEN
    val_windows: int | None = None  # None: the whole validation 10% in non-overlapping windows of 100
    # 4. numpy dinosaur RNN
    dino_seconds: float = 30.0
    dino_check_every_s: float = 1.0
    # 5. app start
    app_first_loss: bool = True
    # the Music lab's best weights, reproducibility
    music_max_steps: int = 2000  # the Music lab's step limit (its default)
    repro_steps: int = 100  # steps compared between two fresh trainers
    repro_repeats: int = 2  # probes with / without op determinism
    click_repeats: int = 10  # clicks timed per lab and state in a real browser (median); 0: none
    speed_rounds: int = 7  # rounds of each lab against the plain way of training its model, in process and in Chromium
    speed_seconds: float = 10.0  # each side's time per round (one round's ratio spreads by ±10% on a shared machine)
    notes: list[str] = field(default_factory=list)


def settings_for(mode: str) -> Settings:
    if mode == "full":
        return Settings(
            mode="full",
            repeats=5,
            tp_seconds=6.0,
            tp_hidden=(128, DEFAULT_HIDDEN),
            tp_xla=True,
            tp_decompose=True,
            tp_browser_s=40.0,
        )
    if mode == "quick":
        return Settings(
            mode="quick",
            repeats=3,
            tp_seconds=1.5,
            tp_decompose=True,
            sample_chars=200,
            predict_chars=8,
            sample_pretrain_steps=40,
            equal_chars=100,
            quality_budgets=(10.0,),
            tiny_budgets=(5.0, 10.0, 20.0),
            val_windows=128,
            dino_seconds=8.0,
            dino_check_every_s=1.0,
            music_max_steps=600,
            speed_rounds=2,
            speed_seconds=5.0,
            repro_steps=30,
            repro_repeats=1,
            notes=["quick mode: short budgets and few repeats; orientation only, not the published figures"],
        )
    if mode == "smoke":
        return Settings(
            mode="smoke",
            repeats=1,
            click_repeats=0,
            tp_seconds=0.3,
            corpus_chars=60_000,
            sample_chars=20,
            predict_chars=3,
            sample_pretrain_steps=0,
            equal_chars=10,
            quality_budgets=(1.0,),
            tiny_budgets=(1.0,),
            quality_cells=("gru", "lstm"),
            quality_hidden=32,
            val_windows=8,
            dino_seconds=1.0,
            dino_check_every_s=0.5,
            app_first_loss=False,
            tiny_cells=("lstm",),
            music_max_steps=60,
            repro_steps=6,
            repro_repeats=1,
            notes=["smoke mode: checks that the harness runs; every figure is meaningless"],
        )
    raise ValueError(mode)


def median(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(statistics.median(xs)) if xs else None


def median_time_s(fn, repeats: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(statistics.median(times))


def now() -> float:
    return time.perf_counter()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    import numpy as np

    info = dict(
        cpu=cpu_model(),
        cores=os.cpu_count(),
        cores_usable=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        platform=platform.platform(),
        python=sys.version.split()[0],
        numpy=np.__version__,
        load_average_at_start=load_average(),
    )
    try:
        info["mem_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return info


def versions() -> dict:
    import numpy as np

    out = dict(python=sys.version.split()[0], numpy=np.__version__)
    for mod in ("tensorflow", "keras", "streamlit"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001
            out[mod] = None
    return out


def today() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def read_text(path: Path, limit: int | None = None) -> str:
    text = path.read_text(encoding="utf-8")
    return text[:limit] if limit else text


def bundled_corpus(s: Settings):
    from core.text.text_data import TextCorpus

    return TextCorpus(read_text(SHAKESPEARE, s.corpus_chars))


def tiny_corpus(s: Settings):
    """Tiny Shakespeare from ../shared/data when present (never copied into the repo), else None."""
    from core.text.text_data import TextCorpus

    if not TINY_SHAKESPEARE.exists():
        return None
    return TextCorpus(read_text(TINY_SHAKESPEARE, s.corpus_chars))


def settings_dict(s: Settings) -> dict:
    return asdict(s)


def quiet_tensorflow() -> None:
    """TensorFlow's Python warnings (retracing notices from the many short-lived trainers) off."""
    try:
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    except Exception:  # noqa: BLE001
        pass


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)
