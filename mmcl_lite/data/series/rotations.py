"""3-D rotations as batched tensors (..., 3, 3): what the inertial-sensor generator is built on.

A rotation matrix R maps a vector's coordinates in a moving frame to a fixed frame. Conventions:
  euler(roll, pitch, yaw) = Rz(yaw) Ry(pitch) Rx(roll)   (Z-Y-X, angles in radians; with x
      forward, y left, z up, a positive pitch tilts x down: a forward lean)
  hat(w) = [[0, -w3, w2], [w3, 0, -w1], [-w2, w1, 0]],   hat(w) v = w x v
  exp(w) = I + sin|w|/|w| hat(w) + (1 - cos|w|)/|w|^2 hat(w)^2     (Rodrigues)
  log(R) = the w with exp(w) = R, |w| in [0, pi)
An angular velocity w (rad/s, in the moving frame) held for dt turns R into R exp(w dt).
"""
from __future__ import annotations

import math

import torch


def euler(roll: torch.Tensor, pitch: torch.Tensor, yaw: torch.Tensor) -> torch.Tensor:
    """Rz(yaw) Ry(pitch) Rx(roll), (..., 3, 3), from three angle tensors of one shape."""
    cr, sr, cp, sp, cy, sy = (f(a) for a in (roll, pitch, yaw) for f in (torch.cos, torch.sin))
    rows = [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr],
    ]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def hat(w: torch.Tensor) -> torch.Tensor:
    """The skew matrix (..., 3, 3) of vectors (..., 3)."""
    z = torch.zeros_like(w[..., 0])
    x, y, v = w.unbind(-1)
    return torch.stack([torch.stack([z, -v, y], -1), torch.stack([v, z, -x], -1),
                        torch.stack([-y, x, z], -1)], dim=-2)


def exp(w: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula, (..., 3) -> (..., 3, 3); exact for small angles too."""
    theta = w.norm(dim=-1, keepdim=True).unsqueeze(-1)          # (..., 1, 1)
    small = theta < 1e-6
    safe = torch.where(small, torch.ones_like(theta), theta)
    a = torch.where(small, 1 - theta ** 2 / 6, torch.sin(safe) / safe)
    b = torch.where(small, 0.5 - theta ** 2 / 24, (1 - torch.cos(safe)) / safe ** 2)
    k = hat(w)
    eye = torch.eye(3, dtype=w.dtype, device=w.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def log(r: torch.Tensor) -> torch.Tensor:
    """The rotation vector (..., 3) of rotations (..., 3, 3) with angles below pi."""
    # the skew part of R is sin(theta) * hat(axis); its trace gives cos(theta)
    v = 0.5 * torch.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0],
                           r[..., 1, 0] - r[..., 0, 1]], dim=-1)
    sin = v.norm(dim=-1, keepdim=True)
    cos = ((r[..., 0, 0] + r[..., 1, 1] + r[..., 2, 2] - 1) / 2).unsqueeze(-1)
    theta = torch.atan2(sin, cos)
    scale = torch.where(sin < 1e-9, torch.ones_like(sin), theta / sin.clamp_min(1e-12))
    return v * scale


def quaternion_matrix(q: torch.Tensor) -> torch.Tensor:
    """Rotations (n, 3, 3) of unit quaternions q (n, 4) = (w, x, y, z)."""
    w, x, y, z = q.unbind(1)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def random_rotation(n: int, g: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """n rotations (n, 3, 3) drawn uniformly (Haar) from SO(3): unit quaternions from
    normalised Gaussians."""
    q = torch.randn(n, 4, generator=g, dtype=dtype)
    return quaternion_matrix(q / q.norm(dim=1, keepdim=True))


def tilt(n: int, max_angle: float, g: torch.Generator, dtype=torch.float64) -> torch.Tensor:
    """n rotations (n, 3, 3) about a random horizontal axis by an angle uniform in
    [0, max_angle] radians."""
    heading = torch.rand(n, generator=g, dtype=dtype) * 2 * math.pi
    angle = torch.rand(n, generator=g, dtype=dtype) * max_angle
    axis = torch.stack([torch.cos(heading), torch.sin(heading), torch.zeros_like(heading)], 1)
    return exp(axis * angle[:, None])
