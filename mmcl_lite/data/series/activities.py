"""Synthetic "activities": a 3-axis accelerometer and a 3-axis gyroscope worn on the torso.

Each item is ``length`` samples at :data:`SAMPLE_RATE` Hz of one activity (the class) from
:data:`ACTIVITIES`. Made offline, deterministic by seed, vectorised over items.

Motion model. World frame: x, y horizontal, z up; time t_k = k / SAMPLE_RATE.
  Gait phase (cycles)      u(t) = s f0 t + phi0        (f0: the activity's step or jump rate,
                                                          s: speed factor, phi0: phase)
  Body acceleration (g), in the heading frame (x forward, y left, z up), turned to the world
  by the heading psi_h(t) = omega_turn t:   a_w = Rz(psi_h) [a_fwd, a_lat, a_up]
      a_fwd = A_f s sin(2 pi u + pi/2),   a_lat = A_l s sin(pi u)     (sway: once per stride)
      a_up  = A_1 s sin(2 pi u) + A_2 s sin(4 pi u + 0.7)             (walk, climb)
      a_up  = -1 in flight (the body falls freely), and P sin(pi v / c) on the ground (run,
              jump), v = u mod 1 < c the contact fraction, P = (1 - c) pi / (2 c) so that a_up
              averages to zero over a cycle (the body neither rises nor sinks on average)
    plus small random "micro-motion": a few sinusoids per axis at (0.1..2 Hz) x s.
  Body orientation  R_b(t) = euler(roll, pitch, yaw) = Rz(yaw) Ry(pitch) Rx(roll):
      pitch = lean + B_p sin(2 pi u + pi/4),  roll = B_r sin(pi u + pi/3),
      yaw = psi_h + B_y sin(pi u),  each plus a slow postural sway, (0.1..0.6 Hz) x s;
    a positive pitch leans forward; sitting leans back.
  Sensor mount: a fixed rotation M (sensor frame -> body frame), the same for both sensors,
  so R(t) = R_b(t) M is the sensor's orientation in the world (``orientation`` below).
  Accelerometer = specific force in the sensor frame, in g (gravity is -1 g along z):
      acc_k  = R_k^T (a_w(t_k) + e_z) + b_a + n_a          (at rest, |acc| = 1 g)
  Gyroscope = angular velocity in the sensor frame, in rad/s, over [t_k, t_{k+1}]:
      gyro_k = log(R_k^T R_{k+1}) * SAMPLE_RATE + b_g(t_k) + n_g,
    so that without errors R_{k+1} = R_k exp(gyro_k / SAMPLE_RATE) (exp, log: .rotations).
  Sensor errors: white noise n_a, n_g (one of three levels per item), a constant accelerometer
  bias b_a and a gyroscope bias that starts random and drifts as a random walk,
  b_g(t_k) = b_0 + sum_{j<=k} w_j.  ``noise`` scales n_a and n_g, ``drift`` scales b_a and b_g
  (both 0: exact kinematics).

Activities differ in rhythm (f0, harmonics), impacts (flight phases of run and jump, where the
accelerometer reads ~0 g), lean (climb leans forward more than walk, sit leans back) and
micro-motion; nuisances shared by all: speed s, phase, amplitude style, lean spread, turning,
sensor mount (``orientation``: "none"; "yaw", any rotation about the body's vertical axis and
a tilt of up to 15 degrees; "full", any rotation), noise and drift.

Returns a SeriesSet: series float32 (N, 6, length), channels acc_x, acc_y, acc_z (g) and
gyro_x, gyro_y, gyro_z (rad/s), not normalised. attributes (N,) int64, names in
``attribute_names``: activity; speed (slow/medium/fast: thirds of the speed range);
orientation (where the sensor's x axis points in the body's horizontal plane); noise.
"""
from __future__ import annotations

import math

import torch

from ...checks import check_choice, check_int, check_number
from ..seriesset import SeriesSet
from . import rotations as rot

SAMPLE_RATE = 50.0  # Hz
ACTIVITIES = ("walk", "run", "climb", "jump", "sit", "stand")
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
ORIENTATIONS = ("none", "yaw", "full")
SPEED_RANGE = (0.75, 1.3)
SPEEDS = ["slow", "medium", "fast"]
HEADINGS = ["front", "left", "back", "right"]
NOISE_LEVELS = {"low": (0.005, 0.005), "medium": (0.02, 0.02), "high": (0.05, 0.05)}  # g, rad/s
MAX_TILT = math.radians(15.0)

# one row per activity, columns as in the module docstring. Accelerations in g, angles in
# degrees, f0 in Hz, contact fraction c (0: no flight phase), turn in rad/s (a bound).
_COLUMNS = ("f0", "A_1", "A_2", "c", "A_f", "A_l", "lean", "lean_spread", "B_p", "B_r", "B_y",
            "turn", "micro", "sway")
_TABLE = {
    #         f0   A_1   A_2   c     A_f   A_l   lean  spread B_p  B_r  B_y  turn  micro  sway
    "walk":  (1.8, 0.22, 0.08, 0.0,  0.12, 0.06,  3.0,  3.0,  2.0, 4.0, 5.0, 0.30, 0.030, 1.0),
    "run":   (2.7, 0.0,  0.0,  0.6,  0.30, 0.12,  8.0,  3.0,  4.0, 6.0, 7.0, 0.30, 0.050, 1.0),
    "climb": (1.4, 0.25, 0.15, 0.0,  0.08, 0.08, 12.0,  4.0,  3.0, 5.0, 4.0, 0.10, 0.030, 1.0),
    "jump":  (1.1, 0.0,  0.0,  0.45, 0.05, 0.02,  4.0,  3.0,  8.0, 2.0, 1.0, 0.05, 0.030, 1.0),
    "sit":   (0.0, 0.0,  0.0,  0.0,  0.0,  0.0, -20.0, 10.0,  0.0, 0.0, 0.0, 0.0,  0.010, 0.8),
    "stand": (0.0, 0.0,  0.0,  0.0,  0.0,  0.0,  1.0,  4.0,  0.0, 0.0, 0.0, 0.05, 0.015, 2.0),
}
_ANGLES = ("lean", "lean_spread", "B_p", "B_r", "B_y", "sway")


def _table(dtype) -> dict:
    """Column name -> (K,) tensor over ACTIVITIES, angles in radians."""
    rows = torch.tensor([_TABLE[a] for a in ACTIVITIES], dtype=dtype)
    return {c: torch.deg2rad(rows[:, i]) if c in _ANGLES else rows[:, i]
            for i, c in enumerate(_COLUMNS)}


def _draw(n: int, length: int, orientation: str, g: torch.Generator) -> dict:
    """Every random quantity of n items, drawn in a fixed order whatever the options, so that
    changing ``orientation``, ``noise`` or ``drift`` changes nothing else."""
    d = torch.float32
    u = lambda *shape: torch.rand(*shape, generator=g, dtype=d)  # noqa: E731
    z = lambda *shape: torch.randn(*shape, generator=g, dtype=d)  # noqa: E731
    f = {"label": torch.randperm(n, generator=g) % len(ACTIVITIES)}  # balanced classes
    f["speed"] = SPEED_RANGE[0] + (SPEED_RANGE[1] - SPEED_RANGE[0]) * u(n)
    f["phase"], f["style_acc"], f["style_ang"] = u(n), 0.8 + 0.4 * u(n), 0.8 + 0.4 * u(n)
    f["lean"], f["turn"], f["contact"] = 2 * u(n) - 1, 2 * u(n) - 1, 0.9 + 0.2 * u(n)
    f["micro_freq"], f["micro_phase"], f["micro_amp"] = (0.1 + 1.9 * u(n, 3, 3),
                                                         2 * math.pi * u(n, 3, 3), z(n, 3, 3))
    f["sway_freq"], f["sway_phase"], f["sway_amp"] = (0.1 + 0.5 * u(n, 3, 2),
                                                      2 * math.pi * u(n, 3, 2), z(n, 3, 2))
    yaw, tilt, full = 2 * math.pi * u(n), rot.tilt(n, MAX_TILT, g, d), rot.random_rotation(n, g, d)
    zeros = torch.zeros_like(yaw)
    f["mount"] = {"none": torch.eye(3, dtype=d).expand(n, 3, 3),
                  "yaw": tilt @ rot.euler(zeros, zeros, yaw), "full": full}[orientation]
    f["noise_level"] = torch.randint(len(NOISE_LEVELS), (n,), generator=g)
    f["noise_acc"], f["noise_gyro"] = z(n, length, 3), z(n, length, 3)
    f["bias_acc"], f["bias_gyro"], f["walk_gyro"] = z(n, 3), z(n, 3), z(n, length, 3)
    return f


def _kinematics(f: dict, length: int):
    """Exact sensor-frame signals of the items in ``f`` (no sensor errors).

    Returns (R (n, length + 1, 3, 3) sensor-to-world orientations, acc (n, length, 3) in g,
    gyro (n, length, 3) in rad/s)."""
    p = {k: v[f["label"]] for k, v in _table(torch.float32).items()}  # (n,) per column
    col = lambda x: x[:, None]  # noqa: E731  (n,) -> (n, 1) to broadcast over time
    t = torch.arange(length + 1, dtype=torch.float32)[None, :] / SAMPLE_RATE   # (1, T+1)
    s = f["speed"]
    u = col(s * p["f0"]) * t + col(f["phase"])                                  # (n, T+1)
    two_pi = 2 * math.pi

    def micro(amp, freq, phase, n_terms):  # sum of random sinusoids, (n, 3, T+1)
        waves = torch.sin(two_pi * freq[..., None] * col(s)[..., None, None] * t[:, None]
                          + phase[..., None])
        return (amp[..., None] * waves).sum(2) / math.sqrt(n_terms)

    # body acceleration in the heading frame, then in the world
    style = col(f["style_acc"] * s)
    c = col((p["c"] * f["contact"]).clamp(0.0, 0.95))
    v = torch.remainder(u, 1.0)
    peak = (1 - c) * math.pi / (2 * c.clamp_min(1e-3))
    flight = torch.where(v < c, peak * torch.sin(math.pi * v / c.clamp_min(1e-3)),
                         -torch.ones_like(v))
    up = torch.where(c > 0, flight, style * (col(p["A_1"]) * torch.sin(two_pi * u)
                                             + col(p["A_2"]) * torch.sin(2 * two_pi * u + 0.7)))
    fwd = style * col(p["A_f"]) * torch.sin(two_pi * u + math.pi / 2)
    lat = style * col(p["A_l"]) * torch.sin(math.pi * u)
    a_h = torch.stack([fwd, lat, up], dim=-1)                                      # (n, T+1, 3)
    a_h = a_h + col(p["micro"])[..., None] * micro(
        f["micro_amp"], f["micro_freq"], f["micro_phase"], 3).transpose(1, 2)
    heading = col(p["turn"] * f["turn"]) * t
    zeros = torch.zeros_like(heading)
    a_w = (rot.euler(zeros, zeros, heading) @ a_h[..., None])[..., 0]

    # body orientation, then the sensor's
    sway = col(p["sway"])[:, None] * micro(f["sway_amp"], f["sway_freq"], f["sway_phase"], 2)
    style = col(f["style_ang"])
    roll = style * col(p["B_r"]) * torch.sin(math.pi * u + math.pi / 3) + sway[:, 0]
    pitch = (col(p["lean"] + p["lean_spread"] * f["lean"])
             + style * col(p["B_p"]) * torch.sin(two_pi * u + math.pi / 4) + sway[:, 1])
    yaw = heading + style * col(p["B_y"]) * torch.sin(math.pi * u) + sway[:, 2]
    r = rot.euler(roll, pitch, yaw) @ f["mount"][:, None]                         # (n, T+1, 3, 3)

    gravity_up = a_w + torch.tensor([0.0, 0.0, 1.0])
    acc = (r.transpose(-1, -2) @ gravity_up[..., None])[..., 0][:, :length]
    gyro = rot.log(r[:, :-1].transpose(-1, -2) @ r[:, 1:]) * SAMPLE_RATE
    return r, acc, gyro


def _sensor_errors(f: dict, noise: float, drift: float):
    """Additive accelerometer and gyroscope errors (n, length, 3) each."""
    levels = torch.tensor(list(NOISE_LEVELS.values()), dtype=torch.float32)[f["noise_level"]]
    acc = noise * levels[:, 0, None, None] * f["noise_acc"] + drift * 0.02 * f["bias_acc"][:, None]
    gyro_bias = 0.01 * f["bias_gyro"][:, None] + 0.0005 * f["walk_gyro"].cumsum(1)
    gyro = noise * levels[:, 1, None, None] * f["noise_gyro"] + drift * gyro_bias
    return acc, gyro


def _attributes(f: dict) -> dict:
    lo, hi = SPEED_RANGE
    speed = ((f["speed"] - lo) / (hi - lo) * len(SPEEDS)).long().clamp(0, len(SPEEDS) - 1)
    x_axis = f["mount"][:, :, 0]  # the sensor's x axis in the body frame
    angle = torch.remainder(torch.atan2(x_axis[:, 1], x_axis[:, 0]) + math.pi / 4, 2 * math.pi)
    heading = (angle / (math.pi / 2)).long().clamp(0, len(HEADINGS) - 1)
    return {"activity": f["label"].clone(), "speed": speed, "orientation": heading,
            "noise": f["noise_level"].clone()}


def make_activities(n: int = 1200, *, length: int = 128, seed: int = 0, orientation: str = "yaw",
                    noise: float = 1.0, drift: float = 1.0) -> SeriesSet:
    """``n`` synthetic inertial recordings (6 channels x ``length`` steps), balanced over
    :data:`ACTIVITIES`, deterministic by ``seed``; the model is in the module docstring.

    orientation: sensor mount, "none" (aligned with the body), "yaw" (any rotation about the
                 vertical plus a small tilt) or "full" (any 3-D rotation: gravity's direction
                 then carries no posture information)
    noise, drift: scales (>= 0) of the white sensor noise and of the sensor biases/drift.
    """
    check_int(n, "n", minimum=len(ACTIVITIES))
    check_int(length, "length", minimum=16)
    check_int(seed, "seed", minimum=0)
    orientation = check_choice(orientation, "orientation", ORIENTATIONS, case_insensitive=True)
    noise = check_number(noise, "noise", low=0.0)
    drift = check_number(drift, "drift", low=0.0)
    f = _draw(n, length, orientation, torch.Generator().manual_seed(seed))
    chunk = max(1, 400_000 // length)  # bounds the (chunk, length, 3, 3) rotation tensors
    parts = []
    for i in range(0, n, chunk):
        part = {k: v[i:i + chunk] for k, v in f.items()}
        _, acc, gyro = _kinematics(part, length)
        err_acc, err_gyro = _sensor_errors(part, noise, drift)
        parts.append(torch.cat([acc + err_acc, gyro + err_gyro], dim=-1))
    series = torch.cat(parts).transpose(1, 2).to(torch.float32).contiguous()
    return SeriesSet(series=series, labels=f["label"].clone(), class_names=list(ACTIVITIES),
                     channel_names=list(CHANNELS), attributes=_attributes(f),
                     attribute_names={"activity": list(ACTIVITIES), "speed": list(SPEEDS),
                                      "orientation": list(HEADINGS),
                                      "noise": list(NOISE_LEVELS)},
                     name="activities")
