"""Does a model bind attributes to objects? Hard-negative matching, re-ranking, masked words.

* :func:`binding_accuracy`: for each image, its caption against a caption with the binding
  swapped (colours, relation, objects; ``data.text.relations``); a model scores both and is
  right when the true one scores higher (ties count half). Chance is 50%. A dual encoder
  scores by cosine; a fusion model (``match_probability``) by its matching head. This is the
  two-caption test of Winoground (Thrush et al., CVPR 2022) and of Yuksekgonul et al.'s
  attribute and relation sets (ICLR 2023), on data where every swap keeps the bag of words.
* :func:`rerank_retrieval`: the dual encoder ranks all captions (images), the fusion head
  re-scores its top ``top``; Recall@K before and after.
* :func:`masked_word_accuracy`: the fusion model fills in one masked attribute word at a time,
  seeing the image or a blank one: how much of the text prediction comes from the picture.
"""
from __future__ import annotations

import torch

from ..checks import check_choice, check_int, fail, said
from ..data.text.relations import ATTRIBUTE_WORDS, SWAP_KINDS, binding_negatives
from .retrieval import retrieval_metrics
from .zeroshot import image_embeddings, text_embeddings

SCORERS = ("itm", "cosine")
RERANK_ITEMS = 500  # query-gallery pairs that rerank_retrieval scores by default


def _scorer(model, scorer):
    if scorer == "auto":
        return "itm" if hasattr(model, "match_probability") else "cosine"
    scorer = check_choice(scorer, "scorer", SCORERS)
    if scorer == "itm" and not hasattr(model, "match_probability"):
        fail("scorer", "'cosine' for a dual encoder (this model has no matching head)", scorer)
    return scorer


def pair_scores(model, images, captions, scorer: str = "auto") -> torch.Tensor:
    """A score per (image i, caption i), (N,): the matching probability (``"itm"``) or the
    cosine of the two embeddings (``"cosine"``); ``"auto"``: ITM when the model has it."""
    scorer = _scorer(model, scorer)
    if scorer == "itm":
        return model.match_probability(images, captions)
    return (image_embeddings(model, images) * text_embeddings(model, list(captions))).sum(1)


def binding_accuracy(model, data, scorer: str = "auto", kinds=SWAP_KINDS,
                     max_items: int | None = None) -> dict:
    """{kind: fraction of images whose true caption outscores the ``kind``-swapped one} for
    each swap kind, and their "mean". ``data``: a relations set (make_relations)."""
    scorer = _scorer(model, scorer)
    if max_items is not None:
        data = data.subset(slice(0, check_int(max_items, "max_items", minimum=1)))
    negatives = binding_negatives(data, kinds)
    true = pair_scores(model, data.images, data.captions, scorer)
    out = {}
    for kind, captions in negatives.items():
        false = pair_scores(model, data.images, captions, scorer)
        out[kind] = float(((true > false).float() + 0.5 * (true == false).float()).mean())
    out["mean"] = sum(out.values()) / len(out)
    return out


def rerank_retrieval(model, data, top: int = 10, ks=(1, 5, 10),
                     max_items: int = RERANK_ITEMS) -> dict:
    """Recall@K both ways on the first ``max_items`` pairs: ``"dual"`` ranks by cosine; in
    ``"reranked"`` the fusion head re-scores each query's ``top`` candidates (the rest keep
    their order behind them). Returns {"dual": {...}, "reranked": {...}} with keys such as
    "i2t_R@1" (fractions; chance K/N)."""
    if not hasattr(model, "match_probability"):
        fail("model", "a fusion model with match_probability (to re-rank)", model, TypeError)
    top = check_int(top, "top", minimum=1)
    n = min(len(data), check_int(max_items, "max_items", minimum=2))
    images, captions = data.images[:n], list(data.captions[:n])
    sim = image_embeddings(model, images) @ text_embeddings(model, captions).T  # (n, n)
    out = {"dual": {}, "reranked": {}}
    for direction, s in (("i2t", sim), ("t2i", sim.T)):
        k = min(top, n)
        cand = s.topk(k, dim=1).indices                     # (n, k) candidates per query
        query = torch.arange(n).repeat_interleave(k)
        img = query if direction == "i2t" else cand.reshape(-1)
        txt = cand.reshape(-1) if direction == "i2t" else query
        p = model.match_probability(images[img], [captions[j] for j in txt.tolist()])
        # the re-ranked order: the candidates by ITM, above everything outside the top k
        rescored = s.clone()
        rescored.scatter_(1, cand, 10.0 + p.view(n, k).to(s.dtype))
        for name, scores in (("dual", s), ("reranked", rescored)):
            true = scores.diagonal()
            rank = 1 + (scores > true[:, None]).sum(1)
            for kk in ks:
                out[name][f"{direction}_R@{kk}"] = float((rank <= kk).float().mean())
    return out


def masked_word_accuracy(model, data, blank: bool = False, kinds=tuple(ATTRIBUTE_WORDS),
                         max_items: int = 500, batch_size: int = 256) -> dict:
    """{kind: accuracy} of filling in each attribute word (colour, shape, size, relation) of the
    first ``max_items`` captions, masked one at a time, the prediction restricted to that kind's
    words (chance: 1 / their number). ``blank=True`` shows a uniform grey image instead."""
    if not hasattr(model, "mlm_logits"):
        fail("model", "a fusion model with an MLM head (mlm_logits)", model, TypeError)
    n = min(len(data), check_int(max_items, "max_items", minimum=1))
    enc = model.tokenize(list(data.captions[:n]))
    ids, mask = enc["input_ids"], enc["attention_mask"]
    images = data.images[:n]
    if blank:
        images = torch.full_like(images, 128)
    tok = model.tokenizer
    out = {}
    for kind in kinds:
        words = ATTRIBUTE_WORDS[check_choice(kind, "kinds", ATTRIBUTE_WORDS)]
        vocab = torch.tensor(tok.convert_tokens_to_ids(words))
        where = torch.isin(ids, vocab).nonzero()               # (M, 2): item, position
        if len(where) == 0:
            fail("data", f"captions with {kind} words {words}", said("none"))
        correct = 0
        for s in range(0, len(where), batch_size):
            item, pos = where[s:s + batch_size].unbind(1)
            masked = ids[item].clone()
            masked[torch.arange(len(item)), pos] = tok.mask_token_id
            logits = model.mlm_logits(images[item], masked, mask[item])
            guess = vocab[logits[torch.arange(len(item)), pos][:, vocab].argmax(1)]
            correct += int((guess == ids[item, pos]).sum())
        out[kind] = correct / len(where)
    return out


def binding_report(model, test) -> dict:
    """Every number of one trained image-text model on a held-out relations set: "cosine"
    (binding_accuracy by the towers), "retrieval" (R@K both ways) and, for a fusion model,
    "itm" (binding_accuracy by its head), "rerank", "mlm_image" and "mlm_blank"."""
    row = {"cosine": binding_accuracy(model, test, "cosine")}
    retrieval = retrieval_metrics(image_embeddings(model, test.images),
                                  text_embeddings(model, list(test.captions)))
    row["retrieval"] = {k: v for k, v in retrieval.items() if "R@" in k}
    if hasattr(model, "match_probability"):
        row["itm"] = binding_accuracy(model, test, "itm")
        row["rerank"] = rerank_retrieval(model, test)
        row["mlm_image"] = masked_word_accuracy(model, test)
        row["mlm_blank"] = masked_word_accuracy(model, test, blank=True)
    return row
