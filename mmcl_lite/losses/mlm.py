"""Masked language modelling (BERT; Devlin et al., NAACL 2019), here conditioned on an image.

In a fusion model the text tokens attend to the image, so a masked word that the sentence
alone cannot tell ("a [MASK] circle left of a blue square") can be read off the picture.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..augment.text.masking import IGNORE  # the label of an unmasked position (-100)
from ..checks import check_tensor, fail, said


def mlm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    r"""Cross-entropy over the masked positions only:

        loss = -(1/|M|) sum_{(b, l) in M} log softmax(logits_{b,l})[labels_{b,l}],
        M = {(b, l): labels_{b,l} != -100}

    Args:
        logits: (B, L, V) scores over the vocabulary at every token position.
        labels: (B, L) int64, the original token id where a token was masked, -100 elsewhere.
    Returns:
        A scalar; 0 (with a gradient of zeros) when nothing was masked.
    """
    check_tensor(logits, "logits", "(B, L, V)")
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point():
        fail("labels", "an int64 tensor (B, L) of token ids and -100", labels, TypeError)
    if labels.shape != logits.shape[:2]:
        fail("labels", f"shape {tuple(logits.shape[:2])} (one per token of logits)",
             said(f"{tuple(labels.shape)}"))
    masked = labels != IGNORE
    if bool(((labels[masked] < 0) | (labels[masked] >= logits.shape[2])).any()):
        fail("labels", f"token ids in [0, {logits.shape[2]}) or -100", said("ids out of range"))
    if not bool(masked.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[masked], labels[masked].long())
