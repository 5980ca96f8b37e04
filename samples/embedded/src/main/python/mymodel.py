"""The project's own Python code, bound to the Java interface com.example.embedded.Model."""

import sys

import numpy as np


def score(features):
    """A weighted sum of the features: the stand-in for a model's prediction."""
    print(f"mymodel.score: {len(features)} features")  # print goes to the Java program's log
    weights = np.linspace(1.0, 2.0, len(features))
    return float(np.dot(weights, features))


def rms(signal):
    """The root mean square of an array; a PyArray from Java arrives mapped, not copied."""
    print(f"mymodel.rms: {signal.size} values, {signal.nbytes // 2**20} MiB")
    return float(np.sqrt(np.dot(signal, signal) / signal.size))


def python_version():
    """The worker's Python and NumPy versions."""
    return f"Python {sys.version.split()[0]}, NumPy {np.__version__}"
