"""The worker process, started by the node as ``python -c <bootstrap> <path>...``
(spec/PROTOCOL.md, "Starting a worker"), or as ``python -m pyfleet.worker``.

Start-up, before any user code: a session and process group of its own
(`guard`), the limits (`limits`), the protocol on private duplicates of fds
0 and 1 that forked children close at once, fd 0 on /dev/null, fd 1 a pipe
whose lines are sent as log frames, fd 2 left to the node (which reads it)
with faulthandler writing there on a fatal signal (`stdio`). Then the worker
sends its hello and serves requests one at a time, in order; before each
read of requests it puts back any of fds 0-2 that user code closed or replaced.

Exit status (`messages`): 0 end of input (or the node is gone), 2 bad
configuration, 3 oversize frame declared, 4 msgpack missing, 5 Python too old
(the node's bootstrap checks that), 1 internal failure. Before 4 and 5 the
worker writes a "cannot start" report line on stderr that the node reads.
"""
from __future__ import annotations

import sys

from .messages import EXIT_NO_MSGPACK

try:
    import msgpack  # noqa: F401  (checked first: the node reads the report line below)
except ImportError:
    # The report line (spec/PROTOCOL.md, "Starting a worker"), then the same for a person.
    version = ".".join(map(str, sys.version_info[:3]))
    sys.stderr.write(
        f"pyfleet-worker: cannot start\texecutable={sys.executable}\tversion={version}\tmissing=msgpack\n"
        f"pyfleet-worker: this Python lacks msgpack: install it with '{sys.executable} -m pip install msgpack'\n"
    )
    sys.stderr.flush()
    raise SystemExit(EXIT_NO_MSGPACK) from None

import faulthandler
import os
import platform
import select
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any

from . import __version__, context, guard, limits
from .codec import Decoder, Encoder, peek_header
from .errors import (
    KIND_ENCODE,
    KIND_PROTOCOL,
    DecodeError,
    EncodeError,
    FrameTooLargeError,
    ProtocolError,
    python_error,
    qualified_name,
    safe_str,
    set_error_note,
)
from .handles import Handle, HandleTable, Identity, identity_from_env
from .messages import (
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_OVERSIZE,
    ID_MAX,
    MSG_ERROR,
    MSG_EVENT,
    MSG_HELLO,
    MSG_LOG,
    MSG_REPLY,
    MSG_REQUEST,
)
from .ops import DEFAULT_OPTIONS, PROTOCOL_VERSION, as_array, numpy_version, parse_options, prepare
from .stdio import LOG_LINE_MAX, LogPump, Stdio
from .wire import FrameReader, FrameWriter, max_frame_from_env

__all__ = [
    "EXIT_CONFIG",
    "EXIT_INTERNAL",
    "EXIT_NO_MSGPACK",
    "EXIT_OK",
    "EXIT_OVERSIZE",
    "LOG_LINE_MAX",
    "NOTICE_STREAM",
    "LogPump",
    "Stdio",
    "Worker",
    "main",
    "python_error",
    "start_watchdog",
]

#: log frames of the worker's own notices (a dropped event, a limit not enforced)
NOTICE_STREAM = "pyfleet"

def _own_error(exc: Exception) -> list[str]:
    return [getattr(exc, "kind", KIND_PROTOCOL), qualified_name(type(exc)), safe_str(exc), ""]


def _scrub(text: str, limit: int) -> str:
    # Strings from exceptions may hold lone surrogates (not UTF-8) or be huge.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "... [truncated]"


class Worker:
    """Serves requests read from `in_fd`, writes replies to `out_fd`."""

    def __init__(self, in_fd: int, out_fd: int, max_frame: int, identity: Identity | None = None) -> None:
        self.identity = identity or Identity()
        self.max_frame = max_frame
        self.table = HandleTable(self.identity)
        self.reader = FrameReader(in_fd, max_frame)
        self.writer = FrameWriter(out_fd, max_frame)
        # Handles made while encoding one reply, released if that reply fails.
        self._fresh: list[int] = []
        self._encoder = Encoder(self._handle_for_reply)
        self._decoder = Decoder(self.table.resolve)
        self._encode = self._encoder.encode  # bound once: used for every reply
        self._decode = self._decoder.decode
        self._local = threading.local()
        self._current: int | None = None  # id of the request being served
        self._call = 0   # number of the call being served (0: none); events check it
        self._calls = 0  # calls served so far: numbers are never reused, unlike ids
        #: set once the hello is out: nothing (not even a log line) may precede it
        self.started = threading.Event()
        #: lines for the node's log, sent right after the hello
        self.notices: list[str] = []

    # -- handle hooks ----------------------------------------------------------

    def _handle_for_reply(self, obj: Any) -> Handle:
        handle = self.table.add(obj)
        self._fresh.append(handle.id)  # type: ignore[attr-defined]
        return handle

    def _thread_encoder(self) -> Encoder:
        enc = getattr(self._local, "encoder", None)
        if enc is None:
            enc = self._local.encoder = Encoder(self.table.add)
        return enc

    # -- serving -----------------------------------------------------------------

    def hello(self) -> dict:
        return {
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "python": platform.python_version(),
            "numpy": numpy_version(),
            "package": __version__,
            "worker": self.identity.worker,
            "max_frame": self.max_frame,
        }

    def serve(self) -> int:
        """Send the hello, serve until EOF; return the exit status."""
        self.writer.write(self._encoder.encode([MSG_HELLO, 0, self.hello()]))
        self.started.set()
        for line in self.notices:
            self.notice(line)
        context.set_call_source(threading.current_thread(), self._call_number)
        handle = self._handle
        try:
            for frame in self.reader.frames():
                try:
                    handle(frame)
                except OSError:
                    if guard.in_child():
                        guard.child_exit(1)
                    raise  # the channel itself failed
                except Exception as exc:  # noqa: BLE001 (a bug of ours: still answer, keep serving)
                    self._internal_error(frame, exc)
        except FrameTooLargeError as exc:
            # The rest of the stream cannot be trusted: report and leave.
            self._send_error(0, _own_error(ProtocolError(str(exc))))
            return EXIT_OVERSIZE
        return EXIT_OK

    def _call_number(self) -> int:
        return self._call

    def emit(self, value: Any, call: int) -> bool:
        """Send an event for call number `call` while it is being served (any thread).

        Returns False, and logs a notice, when that call has ended (or never was):
        the event is dropped, it never reaches another call.
        """
        if guard.forked:
            raise RuntimeError("pyfleet.emit() cannot reach the caller from a process forked by the worker")
        rid = self._current
        if call == 0 or call != self._call or rid is None:
            self._dropped(call)
            return False
        payload = self._thread_encoder().encode([MSG_EVENT, rid, value])
        self.writer.check(payload)
        with self.writer.lock:
            if self._call != call:  # answered meanwhile: events never follow their reply
                sent = False
            else:
                self.writer.write_locked(payload)
                sent = True
        if not sent:
            self._dropped(call)
        return sent

    def _dropped(self, call: int) -> None:
        thread = threading.current_thread()
        if getattr(thread, "_pyfleet_dropped", False):
            return  # one notice per thread is enough
        try:
            thread._pyfleet_dropped = True  # type: ignore[attr-defined]
        except AttributeError:
            pass
        if call:
            why = f"the call that started it (call {call} of this worker) has ended"
        else:
            why = "it was not started by a call (emit from the call's own thread, or pass pyfleet.emitter())"
        self.notice(f"pyfleet.emit() from thread {thread.name!r} dropped: {why}")

    def log(self, stream: str, text: str) -> None:
        """Send one captured line as a log frame (called by the log pumps)."""
        self.started.wait()  # the hello is always the first frame
        payload = self._thread_encoder().encode([MSG_LOG, 0, [stream, text]])
        try:
            self.writer.write(payload)
        except FrameTooLargeError:
            pass  # only with an absurdly small PYFLEET_MAX_FRAME

    def notice(self, text: str) -> None:
        """A line of the worker's own for the node's log (stream "pyfleet")."""
        try:
            self.log(NOTICE_STREAM, text)
        except OSError:
            pass

    def _handle(self, frame: bytes) -> None:
        try:
            msg = self._decode(frame)
        except DecodeError as exc:
            self._reject(frame, safe_str(exc))
            return
        if type(msg) is not list or len(msg) != 7:
            self._bad_message(msg)
            return
        mtype, rid, op, target, args, kwargs, opts = msg
        if type(mtype) is not int or mtype != MSG_REQUEST or type(rid) is not int or not 0 < rid <= ID_MAX:
            self._bad_message(msg)
            return
        if self._decoder.stale is not None:
            self._send_error(rid, _own_error(self._decoder.stale))
            return
        try:
            options = DEFAULT_OPTIONS if opts is None else parse_options(opts)
            runner = prepare(self.table, op, target, args, kwargs)
        except ProtocolError as exc:
            self._send_error(rid, _own_error(exc))
            return
        self._calls += 1
        self._call = self._calls
        self._current = rid
        try:
            result = runner()
            if options is not DEFAULT_OPTIONS:
                if options.stream:
                    self._stream(rid, result, options)
                    return
                if options.coerce is not None:
                    result = options.coerce(result)
                if options.handle:
                    result = self.table.add(result)
                elif options.array:
                    result = as_array(result)
        except BaseException as exc:  # noqa: BLE001 (SystemExit & co. from user code are errors too)
            if guard.forked:  # user code forked and its child came back here: leave
                guard.child_exit(guard.exit_code(exc))
            self._send_error(rid, python_error(exc))
            return
        if guard.forked:
            guard.child_exit(0)
        if options.array_min is None:
            self._reply(rid, result)
            return
        encoder = self._encoder
        encoder.array_min = 0 if options.array else options.array_min
        try:
            self._reply(rid, result)
        finally:
            encoder.array_min = None

    def _reply(self, rid: int, result: Any) -> None:
        try:
            payload = self._encode([MSG_REPLY, rid, result])
            if len(payload) > self.max_frame:
                raise FrameTooLargeError(len(payload), self.max_frame)
        except (EncodeError, FrameTooLargeError) as exc:
            del result
            self._drop_fresh()
            self._send_error(rid, [KIND_ENCODE, qualified_name(type(exc)),
                                   f"cannot send the result (the call ran): {safe_str(exc)}", ""])
            return
        if self._fresh:
            self._fresh.clear()
        writer = self.writer
        with writer.lock:
            self._current = None
            self._call = 0
            writer.write_locked(payload)

    def _stream(self, rid: int, result: Any, options: Any) -> None:
        count = 0
        coerce = options.coerce
        try:
            iterator = iter(result)
        except BaseException as exc:  # noqa: BLE001 (user code, as in _handle)
            self._send_error(rid, python_error(exc))
            return
        del result
        while True:
            try:
                item = next(iterator)
                if coerce is not None:
                    item = coerce(item)
                if options.handle:
                    item = self.table.add(item)
            except StopIteration:
                break
            except BaseException as exc:  # noqa: BLE001 (user code, as in _handle)
                if guard.forked:
                    guard.child_exit(guard.exit_code(exc))
                self._send_error(rid, python_error(exc))
                return
            if guard.forked:
                guard.child_exit(0)
            try:
                payload = self._encoder.encode([MSG_EVENT, rid, item])
                self.writer.check(payload)
            except (EncodeError, FrameTooLargeError) as exc:
                self._drop_fresh()
                self._send_error(rid, [KIND_ENCODE, qualified_name(type(exc)),
                                       (f"cannot send stream item {count} (the items before it were sent): "
                                        f"{safe_str(exc)}"), ""])
                return
            self._fresh.clear()
            self.writer.write(payload)
            count += 1
        self._reply(rid, count)

    def _drop_fresh(self) -> None:
        if self._fresh:
            self.table.release(self._fresh)
            self._fresh.clear()

    # -- errors ----------------------------------------------------------------

    def _send_error(self, rid: int, fields: list[Any]) -> None:
        """Answer `rid` with an error frame; `fields` is [kind, type, message, traceback(, frames)]."""
        try:
            payload = self._encoder.encode([MSG_ERROR, rid, fields])
        except EncodeError:
            payload = b""
        if not payload or len(payload) > self.max_frame:
            limit = max(64, self.max_frame // 4)
            frames = fields[4] if len(fields) > 4 else []
            fields = [_scrub(f, limit) for f in fields[:4]]
            if frames:
                fields.append([[_scrub(f[0], 1024), f[1], _scrub(f[2], 1024), _scrub(f[3], 1024)] for f in frames])
            payload = self._encoder.encode([MSG_ERROR, rid, fields])
            if len(payload) > self.max_frame:
                fields = [fields[0], fields[1], fields[2][:32], ""]
                payload = self._encoder.encode([MSG_ERROR, rid, fields])
        writer = self.writer
        with writer.lock:
            self._current = None
            self._call = 0
            writer.write_locked(payload)

    def _reject(self, frame: bytes, message: str) -> None:
        """A frame that is not a valid message: protocol error with its id if it can be read."""
        _mtype, rid = peek_header(frame)
        self._send_error(self._reply_id(rid), _own_error(ProtocolError(message)))

    @staticmethod
    def _reply_id(rid: Any) -> int:
        # Echo any id the protocol allows (0..2^63-1), so the node can match the
        # error to its call; anything else gets id 0, which no call has.
        if type(rid) is int and 0 <= rid <= ID_MAX:
            return rid
        return 0

    def _bad_message(self, msg: Any) -> None:
        if type(msg) is not list:
            problem = f"a message must be an array, not {type(msg).__name__}"
            rid = 0
        elif len(msg) < 2:
            problem = f"a message must be an array of at least 2 items, got {len(msg)}"
            rid = 0
        else:
            mtype, raw_id = msg[0], msg[1]
            rid = self._reply_id(raw_id)
            if type(mtype) is not int or not (MSG_REQUEST <= mtype <= MSG_HELLO):
                problem = f"unknown message type {mtype!r}"
            elif mtype != MSG_REQUEST:
                problem = f"message type {mtype} is not accepted by a worker (only 0, request)"
            elif type(raw_id) is not int or not 0 < raw_id <= ID_MAX:
                problem = f"request id must be an int in 1..2^63-1, not {raw_id!r}"
            else:
                problem = f"a request must be an array of 7 items, got {len(msg)}"
        self._send_error(rid, _own_error(ProtocolError(problem)))

    def _internal_error(self, frame: bytes, exc: Exception) -> None:
        rid = self._current
        if rid is None:
            rid = self._reply_id(peek_header(frame)[1])
        self._send_error(rid, python_error(exc))


# -- the process ---------------------------------------------------------------------

def start_watchdog(in_fd: int, out_fd: int, leave: Callable[[int], None],
                   interval: float = 0.5, tick: Callable[[], None] | None = None) -> threading.Thread:
    """Leave (`leave(EXIT_OK)`) when the node is gone, even in the middle of a long call;
    call `tick` at every interval.

    poll() with an empty event mask still reports POLLHUP (input's writer
    closed) and POLLERR (output's reader closed); a changed parent pid means
    the node died and we were re-parented.
    """
    parent = os.getppid()
    poller = select.poll()
    poller.register(in_fd, 0)
    poller.register(out_fd, 0)
    gone = select.POLLHUP | select.POLLERR | select.POLLNVAL

    def watch() -> None:
        while True:
            for _fd, events in poller.poll(int(interval * 1000)):
                if events & gone:
                    leave(EXIT_OK)
            if os.getppid() != parent:
                leave(EXIT_OK)
            if tick is not None:
                tick()

    thread = threading.Thread(target=watch, name="pyfleet-watchdog", daemon=True)
    thread.start()
    return thread


def main() -> None:
    try:
        max_frame = max_frame_from_env()
        identity = identity_from_env()
        guard.own_process_group()  # first: nothing may start outside the worker's group
        in_force = limits.apply()
    except ValueError as exc:
        sys.stderr.write(f"pyfleet-worker: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_CONFIG) from None
    # The node shuts its workers down itself: a worker must not die on SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    in_fd = os.dup(0)  # os.dup makes non-inheritable fds: spawned children never see the protocol
    out_fd = os.dup(1)
    worker = Worker(in_fd, out_fd, max_frame, identity)
    stdio = Stdio(worker.log)
    stdio.capture()
    stdio.watch_os_calls()
    # A fatal signal (SIGSEGV in a C extension...) writes the Python trace of every
    # thread to the node's stderr, which the node reads itself.
    faulthandler.enable(file=stdio.err_fd, all_threads=True)

    # SIGTERM is blocked across a fork: one sent to the new child at once (multiprocessing's
    # terminate() right after start()) waits until the child has the default action back;
    # caught by the worker's handler there, CPython's fork clean-up could lose it.
    fork_masks: list[set[int]] = []

    def before_fork() -> None:
        fork_masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}))

    def restore_mask() -> None:
        if fork_masks:
            signal.pthread_sigmask(signal.SIG_SETMASK, fork_masks.pop())

    def in_child() -> None:
        worker.reader.fd = -1  # closed numbers may be reused by the child: never touch them
        worker.writer.fd = -1
        stdio.close_in_child()
        try:  # the worker's SIGTERM handler is not the child's (multiprocessing terminates with it)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError):
            pass
        restore_mask()

    # Forked children (os.fork, multiprocessing's fork) close the protocol at once.
    os.register_at_fork(before=before_fork, after_in_parent=restore_mask)
    guard.install_fork_guard([in_fd, out_fd], [in_child])

    def leave(status: int, drain: bool = False) -> None:
        if guard.in_child():
            guard.child_exit(status)
        context.set_emitter(None)
        in_force.kill_tree()  # nothing the worker started outlives it
        if drain:
            stdio.drain()
        os._exit(status)  # never wait for non-daemon threads user code left running

    def on_sigterm(_sig: int, _frame: Any) -> None:
        if guard.in_child():  # a fork's child that got SIGTERM before its fork hook reset it
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        leave(EXIT_OK, drain=True)  # the worker: end its tree, flush its logs, exit

    signal.signal(signal.SIGTERM, on_sigterm)
    start_watchdog(in_fd, out_fd, leave, tick=in_force.settle)
    guard.track_threads(context.current_call, in_force.thread_starting, in_force.thread_ended)
    set_error_note(limits.explain)
    context.set_emitter(worker.emit)
    repair, settle = stdio.repair, in_force.settle

    def before_read() -> None:
        # Once per batch of pipelined requests (a few microseconds: not per call), and
        # before the worker waits for input: put fds 0-2 back, recount thread stacks.
        if guard.in_child():
            guard.child_exit(0)
        repair()
        settle()

    worker.reader.before_read = before_read
    worker.notices = list(in_force.notices)
    status = EXIT_INTERNAL
    try:
        status = worker.serve()
    except OSError:
        status = EXIT_OK  # the node closed our output: it is gone
    except BaseException:  # noqa: BLE001 (reported on stderr, then leave with EXIT_INTERNAL)
        traceback.print_exc()
    finally:
        leave(status, drain=True)


if __name__ == "__main__":
    main()
