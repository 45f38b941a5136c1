"""Pretrained CLIP: the offline path (no network, a clear OfflineError) and the wrapper."""
import time
from types import SimpleNamespace

import pytest
import torch

from mmcl_lite.models import pretrained
from mmcl_lite.evaluation import zero_shot_pretrained
from mmcl_lite.models.pretrained import OfflineError, PretrainedCLIP, load_pretrained_clip


def test_offline_raises_a_helpful_error_quickly(monkeypatch, tmp_path):
    import socket

    from transformers import CLIPModel, CLIPProcessor  # noqa: F401  (import time not measured)

    def no_network(*args, **kwargs):
        raise AssertionError("load_pretrained_clip tried to open a connection while offline")
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    start = time.perf_counter()
    with pytest.raises(OfflineError) as info:
        load_pretrained_clip("openai/clip-vit-base-patch32", cache_dir=tmp_path)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    for needed in ("openai/clip-vit-base-patch32", "HF_HUB_OFFLINE", "hf download", "offline"):
        assert needed in message
    assert isinstance(info.value, RuntimeError)


def test_connection_failures_become_offline_errors_and_others_do_not(monkeypatch):
    from transformers import CLIPProcessor

    def no_network(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")
    monkeypatch.setattr(CLIPProcessor, "from_pretrained", no_network)
    with pytest.raises(OfflineError, match="could not be reached"):
        load_pretrained_clip(offline=False)

    def typo(*args, **kwargs):
        raise OSError("not-a-model is not a valid model identifier")
    monkeypatch.setattr(CLIPProcessor, "from_pretrained", typo)
    monkeypatch.setattr(pretrained, "hub_reachable", lambda timeout=3.0: True)  # online
    with pytest.raises(OSError, match="valid model identifier") as info:
        load_pretrained_clip("not-a-model", offline=False)
    assert not isinstance(info.value, OfflineError)


def test_no_network_without_the_offline_switch_fails_fast(monkeypatch, tmp_path):
    """HF_HUB_OFFLINE unset and no network: a quick probe, then the cache only, then a clear
    OfflineError (huggingface_hub alone retries for minutes before giving up)."""
    import socket

    from transformers import CLIPModel, CLIPProcessor  # noqa: F401  (import time not measured)

    def no_network(*args, **kwargs):
        raise OSError("[Errno -2] Name or service not known")
    monkeypatch.setattr(socket, "create_connection", no_network)
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy",
                "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    assert pretrained.hub_reachable(timeout=1.0) is False
    start = time.perf_counter()
    with pytest.raises(OfflineError, match="could not be reached"):
        load_pretrained_clip("openai/clip-vit-base-patch32", cache_dir=tmp_path)
    assert time.perf_counter() - start < 10


def _tiny_clip():
    """A randomly initialised CLIPModel of a few thousand parameters and a stand-in processor."""
    from transformers import CLIPConfig, CLIPModel

    from mmcl_lite.models.text import build_caption_tokenizer

    tok = build_caption_tokenizer(["a red circle", "a blue square", "a green ring"])
    config = CLIPConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=16,
                         eos_token_id=tok.sep_token_id, bos_token_id=tok.cls_token_id,
                         pad_token_id=tok.pad_token_id),
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                           num_attention_heads=2, image_size=32, patch_size=8),
        projection_dim=8)
    processor = SimpleNamespace(
        tokenizer=tok, image_processor=SimpleNamespace(
            image_mean=[0.48, 0.46, 0.41], image_std=[0.27, 0.26, 0.28],
            crop_size={"height": 32, "width": 32}))
    return PretrainedCLIP(CLIPModel(config), processor, "tiny")


def test_wrapper_encodes_kit_batches_and_classifies(tiny_shapes):
    clip = _tiny_clip()
    z = clip.encode_image(tiny_shapes.images[:5])  # uint8 16x16 -> resized to 32
    assert z.shape == (5, 8)
    torch.testing.assert_close(z.norm(dim=1), torch.ones(5))
    assert clip.encode_image(tiny_shapes.images[:2, :1]).shape == (2, 8)  # grey images work
    t = clip.encode_text(["a red circle", "a blue square"])
    assert t.shape == (2, 8)
    with pytest.raises(TypeError, match="captions"):
        clip.encode_text([1, 2])
    out = zero_shot_pretrained(tiny_shapes.images[:4], ["circle", "square", "ring"],
                                          templates=["a {}"], model=clip)
    assert out["probs"].shape == (4, 3)
    torch.testing.assert_close(out["probs"].sum(1), torch.ones(4))
    assert all(n in ("circle", "square", "ring") for n in out["pred_names"])
