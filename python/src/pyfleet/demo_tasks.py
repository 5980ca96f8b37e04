"""The computation behind ``./pyfleet demo``: the resonance curve of a driven, damped oscillator.

The oscillator is ``x'' + 2*zeta*w0*x' + w0**2*x = F*cos(w*t)``. One task,
:func:`resonance_point`, takes one driving frequency ``w``, integrates an ensemble
of oscillators that start from random states (classical RK4, vectorised with
NumPy over the ensemble) until their transients have died out, and measures the
steady-state amplitude and phase lag by projecting ``x(t)`` on ``cos(w*t)`` and
``sin(w*t)`` over whole drive periods. A sweep over ``w``, spread over the
workers, traces the resonance curve; :func:`resonance_theory` gives the exact
curve to compare it with. NumPy is imported inside the functions, so importing
this module costs nothing in a worker that never runs the demo.
"""

from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["resonance_point", "resonance_theory", "theory_amplitude"]

#: Transients decay as exp(-zeta*w0*t); integrate until they are below exp(-SETTLE).
SETTLE = 14.0

#: RK4 steps per period of the faster of the drive and the natural oscillation.
STEPS_PER_PERIOD = 48

#: Whole drive periods the amplitude and phase are measured over.
MEASURE_PERIODS = 2


def theory_amplitude(omega: float, zeta: float = 0.1, omega0: float = 1.0, force: float = 1.0) -> float:
    """The exact steady-state amplitude ``F / sqrt((w0^2 - w^2)^2 + (2*zeta*w0*w)^2)``."""
    return force / math.hypot(omega0 * omega0 - omega * omega, 2.0 * zeta * omega0 * omega)


def resonance_point(omega: float, zeta: float = 0.1, ensemble: int = 4096, seed: int = 1,
                    omega0: float = 1.0, force: float = 1.0) -> dict[str, Any]:
    """Simulates the oscillator driven at ``omega``; returns the measured steady state.

    The result maps ``omega``, ``amplitude`` (mean over the ensemble), ``spread``
    (largest minus smallest amplitude in the ensemble, relative to the mean: how
    completely the initial states were forgotten), ``phase`` (lag behind the
    drive, radians), ``theory`` (:func:`theory_amplitude`), ``steps``,
    ``ensemble`` and ``pid`` (the worker process that computed it).
    """
    import numpy as np

    if not (omega > 0 and zeta > 0 and omega0 > 0):
        raise ValueError(f"omega, zeta and omega0 must be positive, got {omega}, {zeta}, {omega0}")
    if ensemble < 1:
        raise ValueError(f"ensemble must be at least 1, got {ensemble}")

    rng = np.random.default_rng([seed, int(omega * 1e9)])
    x = rng.uniform(-2.0, 2.0, ensemble)
    v = rng.uniform(-2.0, 2.0, ensemble)

    period = 2.0 * math.pi / omega
    per_period = STEPS_PER_PERIOD * max(1, math.ceil(omega0 / omega))
    dt = period / per_period
    settle_steps = math.ceil(SETTLE / (zeta * omega0) / period) * per_period
    measure_steps = MEASURE_PERIODS * per_period

    damping = 2.0 * zeta * omega0
    stiffness = omega0 * omega0
    half = 0.5 * dt

    def accel(xs: Any, vs: Any, t: float) -> Any:
        return force * math.cos(omega * t) - damping * vs - stiffness * xs

    proj_cos = np.zeros(ensemble)
    proj_sin = np.zeros(ensemble)
    for n in range(settle_steps + measure_steps):
        t = n * dt
        if n >= settle_steps:
            proj_cos += x * math.cos(omega * t)
            proj_sin += x * math.sin(omega * t)
        k1v = accel(x, v, t)
        k2x = v + half * k1v
        k2v = accel(x + half * v, k2x, t + half)
        k3x = v + half * k2v
        k3v = accel(x + half * k2x, k3x, t + half)
        k4x = v + dt * k3v
        k4v = accel(x + dt * k3x, k4x, t + dt)
        x = x + (dt / 6.0) * (v + 2.0 * (k2x + k3x) + k4x)
        v = v + (dt / 6.0) * (k1v + 2.0 * (k2v + k3v) + k4v)

    # x = A cos(w t - phi) gives proj_cos -> A cos(phi), proj_sin -> A sin(phi).
    a = proj_cos * (2.0 / measure_steps)
    b = proj_sin * (2.0 / measure_steps)
    amplitudes = np.hypot(a, b)
    mean = float(amplitudes.mean())
    return {
        "omega": float(omega),
        "amplitude": mean,
        "spread": float(np.ptp(amplitudes) / mean),
        "phase": float(np.arctan2(b, a).mean()),
        "theory": theory_amplitude(omega, zeta, omega0, force),
        "steps": settle_steps + measure_steps,
        "ensemble": int(ensemble),
        "pid": os.getpid(),
    }


def resonance_theory(omega_min: float, omega_max: float, points: int = 400, zeta: float = 0.1,
                     omega0: float = 1.0, force: float = 1.0) -> dict[str, Any]:
    """The exact resonance curve on ``points`` frequencies: ``{"omega": array, "amplitude": array}``."""
    import numpy as np

    omega = np.linspace(omega_min, omega_max, points)
    amplitude = force / np.hypot(omega0 * omega0 - omega * omega, 2.0 * zeta * omega0 * omega)
    return {"omega": omega, "amplitude": amplitude}
