"""BERT's masking of token ids for masked language modelling, batched, with a generator."""
from __future__ import annotations

import torch

from ...checks import check_probability, check_tensor, fail, said

IGNORE = -100  # the label of an unmasked position (PyTorch's ignore_index)


def mask_tokens(input_ids: torch.Tensor, attention_mask: torch.Tensor, mask_prob: float,
                mask_token_id: int, special_ids=(), vocab_size: int | None = None,
                generator: torch.Generator | None = None, keep_one: bool = True):
    """Choose each real, non-special token with probability ``mask_prob``; of those, 80% become
    [MASK], 10% a random token, 10% stay (Devlin et al. 2019; random needs ``vocab_size``,
    else they become [MASK] too).

    Args:
        input_ids, attention_mask: (B, L) int64; padding (mask 0) is never chosen.
        mask_prob: in [0, 1).
        special_ids: ids never chosen ([CLS], [SEP], [PAD], ...).
        keep_one: choose at least one token per caption (the likeliest-to-be-chosen position
            is forced when the draw chose none), so that every row trains.
    Returns:
        (masked_ids, labels), both (B, L): labels hold the original id where a token was
        chosen and -100 elsewhere.
    """
    check_tensor(input_ids, "input_ids", "(B, L)", floating=False)
    if attention_mask.shape != input_ids.shape:
        fail("attention_mask", f"shape {tuple(input_ids.shape)}", said(f"{tuple(attention_mask.shape)}"))
    p = check_probability(mask_prob, "mask_prob", allow_one=False)
    dev = input_ids.device
    candidate = attention_mask.bool()
    for i in special_ids:
        candidate &= input_ids != i
    u = torch.rand(input_ids.shape, generator=generator, device=dev)
    chosen = candidate & (u < p)
    if keep_one:
        none = ~chosen.any(1) & candidate.any(1)
        if bool(none.any()):
            pick = torch.where(candidate, u, torch.full_like(u, 2.0)).argmin(1)
            chosen[none, pick[none]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE))
    action = torch.rand(input_ids.shape, generator=generator, device=dev)
    masked = input_ids.clone()
    to_mask = chosen & ((action < 0.8) | (vocab_size is None))
    masked[to_mask] = mask_token_id
    if vocab_size is not None:
        to_random = chosen & (action >= 0.8) & (action < 0.9)
        random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, device=dev)
        masked[to_random] = random_ids[to_random]
    return masked, labels
