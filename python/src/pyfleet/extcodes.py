"""msgpack extension type codes of the pyfleet wire protocol (spec/PROTOCOL.md, "Values").

These numbers are part of the contract with the Java codec: never renumber.
"""

__all__ = [
    "ARRAY_REF",
    "BIGINT",
    "COMPLEX",
    "DATE",
    "DATETIME",
    "ERROR",
    "HANDLE",
    "NAMES",
    "NDARRAY",
    "REMOTE_ARRAY",
    "SET",
    "TIME",
    "TIMEDELTA",
    "TUPLE",
]

BIGINT = 1      # int outside [-2^63, 2^64-1]: minimal two's-complement big-endian
TUPLE = 2       # items encoded one after another, no header
SET = 3         # items encoded one after another, sorted by their encoded bytes
DATE = 4        # >hBB
TIME = 5        # >BBBI, aware: + >i offset seconds
DATETIME = 6    # >hBBBBBI, aware: + >i offset seconds
TIMEDELTA = 7   # >iii days, seconds, microseconds (normalised)
NDARRAY = 8     # msgpack [descr, shape, data]
HANDLE = 9      # msgpack [node, worker, generation, id, type]
ERROR = 10      # msgpack [kind, type, message, traceback]
COMPLEX = 11    # >dd real, imaginary
ARRAY_REF = 12  # msgpack [descr, shape, source, owner]: an ndarray in shared memory (shm.py)
# msgpack [descr, shape, node, id]: an array a node keeps for a remote client (gateway only;
# a worker never sees it, the node maps it to ARRAY_REF first)
REMOTE_ARRAY = 13

NAMES = {
    BIGINT: "bigint", TUPLE: "tuple", SET: "set", DATE: "date", TIME: "time",
    DATETIME: "datetime", TIMEDELTA: "timedelta", NDARRAY: "ndarray",
    HANDLE: "handle", ERROR: "error", COMPLEX: "complex", ARRAY_REF: "array reference",
    REMOTE_ARRAY: "remote array",
}
