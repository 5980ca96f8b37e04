"""Message types, request ids and exit statuses of the worker protocol (spec/PROTOCOL.md).

Plain constants only: no import of msgpack or anything else, so the worker can
name its exit status before it knows whether msgpack is installed.
"""

__all__ = [
    "EXIT_CONFIG", "EXIT_INTERNAL", "EXIT_NO_MSGPACK", "EXIT_OK", "EXIT_OVERSIZE", "EXIT_TOO_OLD",
    "ID_MAX", "MSG_ERROR", "MSG_EVENT", "MSG_HELLO", "MSG_LOG", "MSG_REPLY", "MSG_REQUEST",
]

# Message types: the first item of every message, [type, id, ...].
MSG_REQUEST = 0  # [0, id, op, target, args, kwargs, opts]   node -> worker
MSG_REPLY = 1    # [1, id, value]                             worker -> node
MSG_ERROR = 2    # [2, id, [kind, type, message, traceback]]  worker -> node
MSG_EVENT = 3    # [3, id, value]                             worker -> node
MSG_LOG = 4      # [4, 0, [stream, text]]                     worker -> node
MSG_HELLO = 5    # [5, 0, {protocol, pid, ...}]               worker -> node

#: the largest request id; ids are 1..ID_MAX, 0 means "no request"
ID_MAX = (1 << 63) - 1

# Exit statuses of a worker process.
EXIT_OK = 0          # end of input, or the node is gone
EXIT_INTERNAL = 1    # internal failure
EXIT_CONFIG = 2      # bad configuration (environment)
EXIT_OVERSIZE = 3    # a frame declared over the maximum
EXIT_NO_MSGPACK = 4  # msgpack is not installed
EXIT_TOO_OLD = 5     # Python older than 3.11 (the node's bootstrap program exits with it, before any import)
