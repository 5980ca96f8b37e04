"""User code for the Java tests of Fleet.bind: functions whose results the tests declare as every
return type the binding converts to, keyword arguments, and a call with a side effect."""
import collections

import numpy as np

_seen = []


def identity(x):
    return x


def nothing(x):
    _seen.append(x)


def last_seen():
    return _seen[-1] if _seen else None


def vector(n):
    return np.arange(n, dtype=np.float64)


def ivector(n):
    return np.arange(n, dtype=np.int32)


def uvector():
    return np.array([2**64 - 1], dtype=np.uint64)


def matrix():
    return np.arange(6.0).reshape(2, 3)


def flags():
    return np.array([True, False, True])


def counter(text):
    return collections.Counter(text)


def power(base, exp=2, mod=None):
    return pow(base, exp, mod)


def join(*parts, sep="-"):
    return sep.join(parts)


def total(values, scale=1.0):
    return float(np.sum(values)) * scale


# -- names for the bind-time lookup: snake_case found from camelCase, the exact name first, a constant

LIMIT = 10


def fail_deep(n):
    return -n


def to_html(text):
    return "<p>" + text + "</p>"


def get_x2():
    return "x2"


def both_ways():
    return "snake"


def bothWays():  # the exact Java name: it wins over both_ways
    return "exact"
