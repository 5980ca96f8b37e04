"""The worker process: ``python -m pyfleet.worker``.

Start-up: the protocol moves to private duplicates of fds 0 and 1; fd 0
becomes /dev/null and fds 1 and 2 become pipes whose lines are sent as log
frames, so nothing user code or a C extension prints can corrupt the protocol.
Then the worker sends its hello and serves requests one at a time, in order.

Exit status: 0 end of input (or the node is gone), 2 bad configuration,
3 oversize frame declared, 4 msgpack missing, 1 internal failure.
"""
from __future__ import annotations

import sys

try:
    import msgpack  # noqa: F401  (checked first: the node reports this line)
except ImportError:
    sys.stderr.write(
        f"pyfleet-worker: missing package msgpack for interpreter {sys.executable}: "
        f"install it with '{sys.executable} -m pip install msgpack'\n"
    )
    sys.stderr.flush()
    raise SystemExit(4)

import os
import platform
import select
import signal
import threading
import traceback
from typing import Any, Callable, List, Optional

from . import __version__, context
from .codec import Decoder, Encoder, peek_header
from .errors import (
    KIND_ENCODE, KIND_PROTOCOL, DecodeError, EncodeError, FrameTooLargeError,
    ProtocolError, python_error, qualified_name, safe_str,
)
from .handles import Handle, HandleTable, Identity, identity_from_env
from .ops import DEFAULT_OPTIONS, PROTOCOL_VERSION, numpy_version, parse_options, prepare
from .wire import FrameReader, FrameWriter, max_frame_from_env

__all__ = [
    "Worker", "main", "python_error", "capture_stdio", "LogPump", "start_watchdog",
    "EXIT_OK", "EXIT_INTERNAL", "EXIT_CONFIG", "EXIT_OVERSIZE", "EXIT_NO_MSGPACK",
    "LOG_LINE_MAX",
]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_OVERSIZE = 3
EXIT_NO_MSGPACK = 4

MSG_REQUEST, MSG_REPLY, MSG_ERROR, MSG_EVENT, MSG_LOG, MSG_HELLO = range(6)
_ID_MAX = (1 << 63) - 1

LOG_LINE_MAX = 64 * 1024  # bytes of one log frame's text; longer lines are split

def _own_error(exc: Exception) -> List[str]:
    return [getattr(exc, "kind", KIND_PROTOCOL), qualified_name(type(exc)), safe_str(exc), ""]


def _scrub(text: str, limit: int) -> str:
    # Strings from exceptions may hold lone surrogates (not UTF-8) or be huge.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "... [truncated]"


class Worker:
    """Serves requests read from `in_fd`, writes replies to `out_fd`."""

    def __init__(self, in_fd: int, out_fd: int, max_frame: int, identity: Optional[Identity] = None) -> None:
        self.identity = identity or Identity()
        self.max_frame = max_frame
        self.table = HandleTable(self.identity)
        self.reader = FrameReader(in_fd, max_frame)
        self.writer = FrameWriter(out_fd, max_frame)
        # Handles made while encoding one reply, released if that reply fails.
        self._fresh: List[int] = []
        self._encoder = Encoder(self._handle_for_reply)
        self._decoder = Decoder(self.table.resolve)
        self._encode = self._encoder.encode  # bound once: used for every reply
        self._decode = self._decoder.decode
        self._local = threading.local()
        self._current: Optional[int] = None  # id of the request being served
        #: set once the hello is out: nothing (not even a log line) may precede it
        self.started = threading.Event()

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
        handle = self._handle
        try:
            for frame in self.reader.frames():
                try:
                    handle(frame)
                except OSError:
                    raise  # the channel itself failed
                except Exception as exc:  # a bug of ours: still answer, keep serving
                    self._internal_error(frame, exc)
        except FrameTooLargeError as exc:
            # The rest of the stream cannot be trusted: report and leave.
            self._send_error(0, _own_error(ProtocolError(str(exc))))
            return EXIT_OVERSIZE
        return EXIT_OK

    def emit(self, value: Any) -> None:
        """Send an event for the current request (any thread)."""
        rid = self._current
        if rid is None:
            raise RuntimeError("pyfleet.emit() called while no request is being served")
        payload = self._thread_encoder().encode([MSG_EVENT, rid, value])
        self.writer.check(payload)
        with self.writer.lock:
            if self._current != rid:  # events never follow their reply
                raise RuntimeError(f"pyfleet.emit(): request {rid} has already been answered")
            self.writer.write_locked(payload)

    def log(self, stream: str, text: str) -> None:
        """Send one captured line as a log frame (called by the log pumps)."""
        self.started.wait()  # the hello is always the first frame
        payload = self._thread_encoder().encode([MSG_LOG, 0, [stream, text]])
        try:
            self.writer.write(payload)
        except FrameTooLargeError:
            pass  # only with an absurdly small PYFLEET_MAX_FRAME

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
        if type(mtype) is not int or mtype != MSG_REQUEST or type(rid) is not int or not 0 < rid <= _ID_MAX:
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
        except BaseException as exc:  # SystemExit & co. from user code are errors too
            self._send_error(rid, python_error(exc))
            return
        self._reply(rid, result)

    def _reply(self, rid: int, result: Any) -> None:
        try:
            payload = self._encode([MSG_REPLY, rid, result])
            if len(payload) > self.max_frame:
                raise FrameTooLargeError(len(payload), self.max_frame)
        except (EncodeError, FrameTooLargeError) as exc:
            del result
            self._drop_fresh()
            self._send_error(rid, [KIND_ENCODE, qualified_name(type(exc)),
                                   f"cannot encode the result: {safe_str(exc)}", ""])
            return
        if self._fresh:
            self._fresh.clear()
        writer = self.writer
        with writer.lock:
            self._current = None
            writer.write_locked(payload)

    def _stream(self, rid: int, result: Any, options: Any) -> None:
        count = 0
        coerce = options.coerce
        try:
            iterator = iter(result)
        except BaseException as exc:
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
            except BaseException as exc:
                self._send_error(rid, python_error(exc))
                return
            try:
                payload = self._encoder.encode([MSG_EVENT, rid, item])
                self.writer.check(payload)
            except (EncodeError, FrameTooLargeError) as exc:
                self._drop_fresh()
                self._send_error(rid, [KIND_ENCODE, qualified_name(type(exc)),
                                       f"cannot encode stream item {count}: {safe_str(exc)}", ""])
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

    def _send_error(self, rid: int, fields: List[str]) -> None:
        """Answer `rid` with an error frame; `fields` is [kind, type, message, traceback]."""
        try:
            payload = self._encoder.encode([MSG_ERROR, rid, fields])
        except EncodeError:
            payload = b""
        if not payload or len(payload) > self.max_frame:
            limit = max(64, self.max_frame // 4)
            fields = [_scrub(f, limit) for f in fields]
            payload = self._encoder.encode([MSG_ERROR, rid, fields])
            if len(payload) > self.max_frame:
                fields[2] = fields[2][:32]
                fields[3] = ""
                payload = self._encoder.encode([MSG_ERROR, rid, fields])
        writer = self.writer
        with writer.lock:
            self._current = None
            writer.write_locked(payload)

    def _reject(self, frame: bytes, message: str) -> None:
        """A frame that is not a valid message: protocol error with its id if it can be read."""
        mtype, rid = peek_header(frame)
        self._send_error(self._reply_id(rid), _own_error(ProtocolError(message)))

    @staticmethod
    def _reply_id(rid: Any) -> int:
        # Echo any id the protocol allows (0..2^63-1), so the node can match the
        # error to its call; anything else gets id 0, which no call has.
        if type(rid) is int and 0 <= rid <= _ID_MAX:
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
            elif type(raw_id) is not int or not 0 < raw_id <= _ID_MAX:
                problem = f"request id must be an int in 1..2^63-1, not {raw_id!r}"
            else:
                problem = f"a request must be an array of 7 items, got {len(msg)}"
        self._send_error(rid, _own_error(ProtocolError(problem)))

    def _internal_error(self, frame: bytes, exc: Exception) -> None:
        rid = self._current
        if rid is None:
            rid = self._reply_id(peek_header(frame)[1])
        self._send_error(rid, python_error(exc))


# -- stdio capture ---------------------------------------------------------------

class LogPump(threading.Thread):
    """Reads one captured descriptor and sends each line as a log frame."""

    def __init__(self, fd: int, stream: str, send: Callable[[str, str], None]) -> None:
        super().__init__(name=f"pyfleet-log-{stream}", daemon=True)
        self.fd = fd
        self.stream = stream
        self.send = send

    def run(self) -> None:
        pending = b""
        try:
            while True:
                data = os.read(self.fd, 65536)
                if not data:
                    break
                pending += data
                if b"\n" in data:
                    lines = pending.split(b"\n")
                    pending = lines.pop()
                    for line in lines:
                        self._line(line[:-1] if line.endswith(b"\r") else line)
                while len(pending) > LOG_LINE_MAX:  # a long line without newline yet
                    cut = _utf8_cut(pending, LOG_LINE_MAX)
                    self._text(pending[:cut])
                    pending = pending[cut:]
            if pending:
                self._line(pending)
        except OSError:
            pass  # the protocol channel is gone: nothing left to report to

    def _line(self, line: bytes) -> None:
        while len(line) > LOG_LINE_MAX:
            cut = _utf8_cut(line, LOG_LINE_MAX)
            self._text(line[:cut])
            line = line[cut:]
        self._text(line)

    def _text(self, raw: bytes) -> None:
        self.send(self.stream, raw.decode("utf-8", "replace"))


def _utf8_cut(data: bytes, limit: int) -> int:
    """Where to split `data` (longer than `limit`) at most at `limit`, not inside a UTF-8 sequence."""
    cut = limit
    for _ in range(4):
        if (data[cut] & 0xC0) != 0x80:  # not a continuation byte: a character starts here
            return cut
        cut -= 1
    return limit  # not UTF-8 anyway


def capture_stdio(send: Callable[[str, str], None]) -> List[LogPump]:
    """Point fd 0 at /dev/null and turn fds 1 and 2 into pipes sent as log lines.

    The caller has already taken private duplicates of fds 0 and 1 for the protocol.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    pumps = []
    for fd, name in ((1, "stdout"), (2, "stderr")):
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)  # inheritable: subprocesses' output is captured too
        os.close(write_end)
        pumps.append(LogPump(read_end, name, send))
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    for pump in pumps:
        pump.start()
    return pumps


def start_watchdog(in_fd: int, out_fd: int, interval: float = 0.5) -> threading.Thread:
    """Exit the process when the node is gone, even in the middle of a long call.

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
                    os._exit(EXIT_OK)
            if os.getppid() != parent:
                os._exit(EXIT_OK)

    thread = threading.Thread(target=watch, name="pyfleet-watchdog", daemon=True)
    thread.start()
    return thread


def main() -> None:
    try:
        max_frame = max_frame_from_env()
        identity = identity_from_env()
    except ValueError as exc:
        sys.stderr.write(f"pyfleet-worker: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(EXIT_CONFIG)
    # Ctrl-C in the node's terminal reaches the whole process group: the node
    # shuts its workers down itself, so a worker must not die on SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    apply_memory_limit()

    in_fd = os.dup(0)  # os.dup makes non-inheritable fds: children never see the protocol
    out_fd = os.dup(1)
    worker = Worker(in_fd, out_fd, max_frame, identity)
    pumps = capture_stdio(worker.log)
    start_watchdog(in_fd, out_fd)
    context.set_emitter(worker.emit)
    status = EXIT_INTERNAL
    try:
        status = worker.serve()
    except OSError:
        status = EXIT_OK  # the node closed our output: it is gone
    except BaseException:
        traceback.print_exc()
    finally:
        context.set_emitter(None)
        _drain_logs(pumps)
        # os._exit: never wait for non-daemon threads user code left running.
        os._exit(status)


def apply_memory_limit() -> None:
    """RLIMIT_AS from PYFLEET_MEMORY_LIMIT (bytes, 0 = none): a runaway call then gets a
    MemoryError, or at worst kills this worker, never the node or its neighbours."""
    limit = int(os.environ.get("PYFLEET_MEMORY_LIMIT", "0") or 0)
    if limit <= 0:
        return
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _drain_logs(pumps: List[LogPump]) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # closes our write ends: the pumps read EOF and flush
    os.dup2(null, 2)
    os.close(null)
    for pump in pumps:
        pump.join(timeout=1.0)


if __name__ == "__main__":
    main()
