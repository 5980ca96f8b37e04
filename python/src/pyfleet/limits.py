"""Limits a worker puts on itself at start, before any user code runs.

The node passes them in the environment (0 or unset means none):

- ``PYFLEET_MEMORY_LIMIT`` (bytes; key ``pyfleet.worker.memory-limit``):
  ``RLIMIT_DATA``, which counts the heap, anonymous mappings (NumPy arrays)
  and thread stacks, not shared libraries or reserved-but-inaccessible
  address space (``RLIMIT_AS`` counted those, and malloc's per-thread arenas).
  Thread stacks are accounted for: the soft limit is the configured value
  plus `C_THREAD_ALLOWANCE` (glibc's cache of freed stacks, 40 MiB, and
  C-level threads started between two Python ones) plus one stack for every
  thread the process has (recomputed when a Python thread starts and ends),
  so 200 idle threads fit under any limit the heap fits under.
  An allocation past it raises MemoryError in the call, whose error names
  the key. The limit is per process: a child (fork, subprocess) gets its own.
- ``PYFLEET_PROCESS_LIMIT`` (key ``pyfleet.worker.process-limit``): the
  tasks (processes and threads) of the worker's whole tree, through a cgroup
  of its own with ``pids.max`` where the pids controller is writable (cgroup
  v1, or v2 where it is delegated); else, when not root, ``RLIMIT_NPROC``
  set to the tasks its user has now plus the limit (a per-user count: best
  effort); else (root without a writable cgroup) not enforced, and the worker
  says so in a log line. A fork or thread start past it fails with an error
  that names the key.
- ``PYFLEET_OOM_SCORE_ADJ`` (key ``pyfleet.worker.oom-score-adj``): written
  to /proc/self/oom_score_adj, so the kernel's OOM killer picks a runaway
  worker before the node.
"""
from __future__ import annotations

import errno
import os
import threading

__all__ = [
    "C_THREAD_ALLOWANCE",
    "MEMORY_KEY",
    "PROCESS_KEY",
    "Limits",
    "apply",
    "current",
    "explain",
    "format_bytes",
]

MEMORY_KEY = "pyfleet.worker.memory-limit"
PROCESS_KEY = "pyfleet.worker.process-limit"
C_THREAD_ALLOWANCE = 64 * 1024 * 1024
_CGROUP_PREFIX = "pyfleet-"


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def _int_env(environ: os._Environ[str] | dict, name: str, default: int = 0) -> int:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


class Limits:
    """The limits in force in this worker, and what it could not enforce."""

    def __init__(self) -> None:
        self.memory = 0
        self.processes = 0
        self.process_mechanism = "none"
        #: cgroup directories this worker made for itself (removed at exit)
        self.cgroups: list[str] = []
        self.pids_events_base = -1
        self.oom_score_adj: int | None = None
        #: lines for the node's log, sent once the hello is out
        self.notices: list[str] = []
        self._stack = 0
        self._threads = 0
        self._settle = False
        self._settle_tries = 0
        self._lock = threading.Lock()

    # -- memory: RLIMIT_DATA with thread stacks accounted for ------------------------

    def _set_data_limit(self) -> None:
        import resource
        # The kernel's count of this process's threads, not Python's: a joined thread's
        # stack stays mapped until its OS thread is gone, a moment after join() returns.
        threads = max(_os_threads(), self._threads + 1)
        soft = self.memory + C_THREAD_ALLOWANCE + threads * self._stack
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))

    def thread_starting(self) -> int:
        """Make room for one more Python thread's stack; returns what to give back at its end."""
        if not self.memory:
            return 0
        with self._lock:
            self._threads += 1
            try:
                self._set_data_limit()
            except (OSError, ValueError):
                pass
        return self._stack

    def thread_ended(self, size: int) -> None:
        if not size:
            return
        with self._lock:
            self._threads -= 1
            self._settle = True
            try:
                self._set_data_limit()
            except (OSError, ValueError):
                pass

    def settle(self) -> None:
        """Before each read of requests and at every watchdog tick: once threads have ended, recount until
        their OS threads are gone too, so the limit comes back down to what live threads need."""
        if not self._settle:
            return
        with self._lock:
            try:
                self._set_data_limit()
            except (OSError, ValueError):
                pass
            self._settle_tries += 1
            if _os_threads() <= threading.active_count() or self._settle_tries >= 20:
                self._settle = False
                self._settle_tries = 0

    def _apply_memory(self, limit: int) -> None:
        if limit <= 0:
            return
        try:
            import resource
            stack = threading.stack_size() or resource.getrlimit(resource.RLIMIT_STACK)[0]
            if stack == resource.RLIM_INFINITY or stack <= 0 or stack > (64 << 20):
                stack = 8 << 20
            self._stack = stack + 64 * 1024  # guard page and TLS, rounded up
            self.memory = limit
            self._set_data_limit()
        except (ImportError, OSError, ValueError) as exc:
            self.memory = 0
            self.notices.append(f"{MEMORY_KEY} not enforced: RLIMIT_DATA: {exc}")

    # -- processes: a pids cgroup of our own, else RLIMIT_NPROC ------------------------

    def _apply_processes(self, limit: int) -> None:
        if limit <= 0:
            return
        made = _own_cgroup("pids", {"pids.max": str(limit)})
        if made is not None:
            path, version = made
            self.cgroups.append(path)
            self.processes = limit
            self.process_mechanism = f"cgroup {version} pids.max ({path})"
            self.pids_events_base = _pids_max_events(path)
            return
        if os.geteuid() != 0:
            try:
                import resource
                tasks = _tasks_of_user(os.getuid())
                _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
                soft = tasks + limit
                if hard != resource.RLIM_INFINITY:
                    soft = min(soft, hard)
                resource.setrlimit(resource.RLIMIT_NPROC, (soft, hard))
                self.processes = limit
                self.process_mechanism = (f"RLIMIT_NPROC {soft} (best effort: a per-user count, "
                                          f"{tasks} tasks of this user at start)")
                return
            except (ImportError, OSError, ValueError) as exc:
                self.notices.append(f"{PROCESS_KEY} not enforced: RLIMIT_NPROC: {exc}")
                return
        self.notices.append(f"{PROCESS_KEY} = {limit} not enforced: no writable pids cgroup, "
                            "and RLIMIT_NPROC does not apply to root")

    def _apply_oom_score(self, adj: int) -> None:
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write(str(adj))
            self.oom_score_adj = adj
        except OSError as exc:
            self.notices.append(f"pyfleet.worker.oom-score-adj = {adj} not set: {exc}")

    # -- errors that name the limit --------------------------------------------------

    def explain(self, exc: BaseException) -> str | None:
        """A note naming the limit `exc` most likely hit, or None."""
        if isinstance(exc, MemoryError):
            if self.memory:
                return self._memory_note()
            return None
        thread_start = isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)
        fork_failed = isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.ENOMEM)
        if not (thread_start or fork_failed):
            return None
        if self.processes and self._process_limit_hit(exc):
            return (f"{PROCESS_KEY} = {self.processes} reached (processes and threads, {self.process_mechanism}): "
                    f"start fewer at once, or raise {PROCESS_KEY} (0: none)")
        if self.memory and (thread_start or exc.errno == errno.ENOMEM):  # type: ignore[attr-defined]
            return self._memory_note()
        return None

    def _memory_note(self) -> str:
        return (f"{MEMORY_KEY} = {format_bytes(self.memory)} reached (RLIMIT_DATA of this worker process): "
                f"work on the data in parts, or raise {MEMORY_KEY} (0: none)")

    def _process_limit_hit(self, exc: BaseException) -> bool:
        if self.cgroups and self.pids_events_base >= 0:
            return _pids_max_events(self.cgroups[0]) > self.pids_events_base
        return isinstance(exc, OSError) and exc.errno == errno.EAGAIN

    # -- the end ---------------------------------------------------------------------

    def kill_tree(self) -> None:
        """Kill every other process of this worker's cgroup and process group, then
        leave and remove the cgroup. Called on the way out."""
        me = os.getpid()
        victims = set(_group_members(os.getpgrp()))
        for path in self.cgroups:
            victims.update(_cgroup_members(path))
        victims.discard(me)
        for pid in victims:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for path in self.cgroups:
            try:
                _write(os.path.join(os.path.dirname(path), "cgroup.procs"), str(me))
                os.rmdir(path)
            except OSError:
                pass


_current: Limits | None = None


def current() -> Limits | None:
    return _current


def apply(environ: os._Environ[str] | dict | None = None) -> Limits:
    """Read the limits from the environment and put them in force (ValueError if malformed)."""
    global _current
    env = os.environ if environ is None else environ
    memory = _int_env(env, "PYFLEET_MEMORY_LIMIT")
    processes = _int_env(env, "PYFLEET_PROCESS_LIMIT")
    oom = env.get("PYFLEET_OOM_SCORE_ADJ", "")
    limits = Limits()
    limits._apply_memory(memory)
    limits._apply_processes(processes)
    if oom:
        limits._apply_oom_score(_int_env(env, "PYFLEET_OOM_SCORE_ADJ"))
    _current = limits
    return limits


def explain(exc: BaseException) -> str | None:
    limits = _current
    return None if limits is None else limits.explain(exc)


# -- cgroups ----------------------------------------------------------------------------

def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _controller_dirs(controller: str) -> list[tuple]:
    """(directory of this process's cgroup, version) for `controller`, v1 first."""
    try:
        own = _read("/proc/self/cgroup").splitlines()
        mounts = _read("/proc/self/mountinfo").splitlines()
    except OSError:
        return []
    v1_mounts, v2_mounts = [], []
    for line in mounts:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, point = fields[3], fields[4]
        if tail[0] == "cgroup" and controller in tail[2].split(","):
            v1_mounts.append((root, point))
        elif tail[0] == "cgroup2":
            v2_mounts.append((root, point))
    found = []
    for line in own:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _hid, controllers, path = parts
        if controllers and controller in controllers.split(","):
            candidates, version = v1_mounts, "v1"
        elif not controllers and parts[0] == "0":
            candidates, version = v2_mounts, "v2"
        else:
            continue
        for root, point in candidates:
            rel = path
            if root != "/" and (path == root or path.startswith(root + "/")):
                rel = path[len(root):]
            directory = os.path.normpath(point + "/" + rel.lstrip("/"))
            if os.path.isdir(directory):
                found.append((directory, version))
                break
    found.sort(key=lambda item: item[1])  # v1 before v2
    return found


def _own_cgroup(controller: str, settings: dict) -> tuple | None:
    """Make a cgroup for this process under its current one, apply `settings`, move in."""
    me = os.getpid()
    for parent, version in _controller_dirs(controller):
        _sweep(parent)
        path = os.path.join(parent, f"{_CGROUP_PREFIX}{me}")
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except OSError:
            continue
        try:
            for name, value in settings.items():
                _write(os.path.join(path, name), value)
            _write(os.path.join(path, "cgroup.procs"), str(me))
            return path, version
        except OSError:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return None


def _sweep(parent: str) -> None:
    """Remove cgroups of workers that are gone (a killed worker cannot remove its own)."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(_CGROUP_PREFIX):
            continue
        owner = name[len(_CGROUP_PREFIX):]
        if owner.isdigit() and os.path.exists(f"/proc/{owner}"):
            continue  # its worker lives (and may be about to move in): not ours to remove
        try:
            os.rmdir(os.path.join(parent, name))  # fails while a process is in it
        except OSError:
            pass


def _pids_max_events(path: str) -> int:
    try:
        for line in _read(os.path.join(path, "pids.events")).splitlines():
            key, _, value = line.partition(" ")
            if key == "max":
                return int(value)
    except (OSError, ValueError):
        pass
    return -1


def _cgroup_members(path: str) -> list[int]:
    try:
        return [int(p) for p in _read(os.path.join(path, "cgroup.procs")).split()]
    except (OSError, ValueError):
        return []


def _group_members(pgid: int) -> list[int]:
    """Processes whose process group is `pgid` (Linux /proc; empty elsewhere)."""
    members = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return members
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[2]) == pgid:  # state, ppid, pgrp
                members.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return members


def _os_threads() -> int:
    """Threads of this process (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tasks_of_user(uid: int) -> int:
    tasks = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:
                continue
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            tasks += int(stat[stat.rindex(b")") + 2:].split()[17])  # num_threads
        except (OSError, ValueError, IndexError):
            continue
    return tasks
