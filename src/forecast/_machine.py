"""What the machine has to give, read at run time: the memory a run may still take.

:func:`available_memory` is the least of what the system can still hand out (``MemAvailable``
in ``/proc/meminfo``, else the free physical pages from ``os.sysconf``), the room left under
the process's address-space limit (``ulimit -v``), and the room left under its control group's
memory limit (a container's, cgroup v2 or v1). Where none can be read it answers ``None`` and
callers keep their fixed ceiling.
"""

from __future__ import annotations

import os
from pathlib import Path

_CGROUP_V2 = Path("/sys/fs/cgroup")
_CGROUP_V1 = Path("/sys/fs/cgroup/memory")


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_room() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = None
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            used = int(fh.read().split()[0]) * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        used = 0
    return max(0, soft - used)


def _cgroup_room() -> int | None:
    for limit_file, usage_file in (
        (_CGROUP_V2 / "memory.max", _CGROUP_V2 / "memory.current"),
        (_CGROUP_V1 / "memory.limit_in_bytes", _CGROUP_V1 / "memory.usage_in_bytes"),
    ):
        limit = _read_int(limit_file)
        if limit is None or limit >= 2**60:  # "max", or v1's "no limit"
            continue
        usage = _read_int(usage_file) or 0
        return max(0, limit - usage)
    return None


def available_memory() -> int | None:
    """Bytes of memory this process can still take, or None when the system does not say."""
    found = [m for m in (_meminfo_available(), _address_space_room(), _cgroup_room()) if m]
    return min(found) if found else None
