"""A causal context network: a summary c_t of the per-step features z_0..z_t of a series.

    z (B, D, T) -> c (B, Dc, T),   c[:, :, t] depends on z[:, :, :t+1] only

CPC (van den Oord, Li and Vinyals, arXiv:1807.03748, 2018) uses a GRU; TS-TCC (Eldele et al.,
IJCAI 2021) a small transformer over the steps seen so far. ``kind`` picks one of the two:

* ``"gru"``: one GRU layer (``layers`` of them) with hidden size Dc.
* ``"transformer"``: a linear map D -> Dc, then ``layers`` pre-norm transformer layers whose
  attention is masked to the past (step t attends to steps <= t). There is no positional
  encoding, as in TS-TCC: a causal mask alone lets a transformer tell positions apart
  (Haviv et al., "Transformer Language Models without Positional Encodings Still Learn
  Positional Information", EMNLP Findings 2022).

Because the network is causal, c at step t equals what it gives when run on the prefix z_0..z_t
alone, so one pass over the whole series yields every step's context.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..checks import check_choice, check_int, fail, said

KINDS = ("gru", "transformer")


class ContextNetwork(nn.Module):
    """Causal summary of per-step features. ``forward(z)``: (B, D, T) -> (B, Dc, T)."""

    def __init__(self, in_dim: int, context_dim: int = 128, kind: str = "gru",
                 layers: int = 1, heads: int = 4, ff_dim: int = 64, dropout: float = 0.1):
        super().__init__()
        self.in_dim = check_int(in_dim, "in_dim", minimum=1)
        self.context_dim = check_int(context_dim, "context_dim", minimum=1)
        self.kind = check_choice(kind, "kind", KINDS)
        check_int(layers, "layers", minimum=1)
        if self.kind == "gru":
            self.net = nn.GRU(in_dim, context_dim, num_layers=layers, batch_first=True)
        else:
            check_int(heads, "heads", minimum=1)
            if context_dim % heads:
                fail("context_dim", f"a multiple of heads={heads} (each head gets "
                     "context_dim / heads channels)", context_dim)
            self.embed = nn.Linear(in_dim, context_dim)
            layer = nn.TransformerEncoderLayer(context_dim, heads, ff_dim, dropout,
                                               batch_first=True, norm_first=True)
            self.net = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(B, D, T) -> (B, Dc, T); step t sees steps 0..t."""
        if not isinstance(z, torch.Tensor) or not z.is_floating_point():
            fail("z", f"a float tensor (B, {self.in_dim}, T)", z, TypeError)
        if z.ndim != 3 or z.shape[1] != self.in_dim or 0 in z.shape:
            fail("z", f"a (B, {self.in_dim}, T) tensor of per-step features",
                 said(f"shape {tuple(z.shape)}"))
        seq = z.transpose(1, 2)  # (B, T, D): both torch modules take batch-first sequences
        if self.kind == "gru":
            # A recurrence compounds rounding over T steps: run it in float32 under autocast.
            with torch.autocast(seq.device.type, enabled=False):
                c, _ = self.net(seq.float())
        else:
            t = seq.shape[1]
            future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=z.device), 1)
            c = self.net(self.embed(seq), mask=future, is_causal=True)
        return c.transpose(1, 2)
