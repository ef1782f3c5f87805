"""CPU seconds used by process trees, from Linux's ``/proc``: where a benchmark's time went.

Throughput moves with whatever else the machine runs; CPU seconds per request much less so. Each
tree is a root process and every live descendant (gunicorn's workers, PostgreSQL's backends);
children that already exited and were waited for are in the root's ``cutime``/``cstime``.
Elsewhere than Linux every figure is ``None``.
"""

import os
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own CPU seconds, waited-for children's CPU seconds), or None if gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / ticks
    children = (int(fields[13]) + int(fields[14])) / ticks
    return int(fields[1]), own, children


def _processes() -> dict[int, tuple[int, float, float]]:
    """Every process's ``_stat``, read once."""
    stats = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def _tree_seconds(root: int, stats: dict, children_of: dict) -> float | None:
    """CPU seconds of ``root`` and all its descendants so far."""
    if root not in stats:
        return None
    total, pending = stats[root][2], [root]
    while pending:
        pid = pending.pop()
        total += stats[pid][1]
        pending.extend(children_of.get(pid, ()))
    return total


def snapshot(roots: dict[str, list[int]]) -> dict[str, float | None]:
    """CPU seconds so far of each named group of process trees (one reading of ``/proc``)."""
    if not PROC.is_dir():
        return dict.fromkeys(roots)
    stats = _processes()
    children_of: dict[int, list[int]] = {}
    for pid, (parent, _own, _waited) in stats.items():
        children_of.setdefault(parent, []).append(pid)
    result = {}
    for name, pids in roots.items():
        values = [_tree_seconds(pid, stats, children_of) for pid in pids]
        result[name] = None if None in values else sum(values)
    return result
