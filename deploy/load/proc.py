"""What Linux's /proc says about processes while a test runs: resident memory of a process and its children, CPU
seconds of a process, of the whole machine, and a meter that splits the CPU used between two moments into the
replicas, the test itself and everything else (so a noisy run can be told from a fair one)."""

from __future__ import annotations

import os
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


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
