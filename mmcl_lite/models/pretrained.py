"""Real CLIP weights through ``transformers`` (online, or from a local Hugging Face cache).

``load_pretrained_clip("openai/clip-vit-base-patch32")`` returns a :class:`PretrainedCLIP` with
the same ``encode_image`` / ``encode_text`` interface as ``methods.CLIP``, so every function of
:mod:`mmcl_lite.evaluation.zeroshot` works with it. Nothing here runs at import time; the network is used
only when you call the loader while online and the weights are not cached yet (~600 MB once).

Offline (``HF_HUB_OFFLINE=1`` or ``TRANSFORMERS_OFFLINE=1``, or no connection) the loader looks in
the local cache only and, when the weights are not there, raises :class:`OfflineError` with a
message saying how to get them, so a notebook can skip the section. "No connection" is found out
by :func:`hub_reachable` (one TCP connect, a few seconds at most) before ``huggingface_hub`` is
asked, because its own retries take minutes to give up when the machine has no network:

    try:
        clip = load_pretrained_clip()
    except OfflineError as err:
        print(err)
"""
from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checks import check_type, fail, said
from ..runtime import OfflineError  # noqa: E402,F401 (raised here, defined in runtime)

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
_TRUE = {"1", "true", "yes", "on"}


def is_offline() -> bool:
    """True when the Hugging Face offline switches are set in the environment."""
    return any(os.environ.get(v, "").strip().lower() in _TRUE
               for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Can a TCP connection to the Hugging Face Hub (``$HF_ENDPOINT``) be opened within
    ``timeout`` seconds? Name lookup runs in a helper thread, so this returns in about
    ``timeout`` seconds even where DNS hangs. Behind an HTTPS proxy the direct probe says nothing
    about the proxy, so it answers True and leaves the decision to ``huggingface_hub``."""
    if any(os.environ.get(v) for v in _PROXY_VARS):
        return True
    url = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    result = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=probe, name="hub-probe", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(result and result[0])


def _is_connection_error(exc: BaseException) -> bool:
    """Does ``exc`` (or anything it was raised from) say that the Hub could not be reached?"""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        name, text = type(exc).__name__, str(exc).lower()
        if ("connect" in name.lower() or "timeout" in name.lower()
                or name in ("LocalEntryNotFoundError", "OfflineModeIsEnabled")
                or "couldn't connect" in text or "offline mode" in text
                or "failed to resolve" in text or "network is unreachable" in text):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _offline_message(name: str, offline: bool, cache_dir) -> str:
    where = cache_dir or os.environ.get("HF_HOME", "~/.cache/huggingface")
    why = ("offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)" if offline
           else "the Hugging Face Hub could not be reached")
    return (f"Pretrained CLIP {name!r} is not available: {why}, and its weights are not in the "
            f"local cache ({where}). To use it: (1) online, unset HF_HUB_OFFLINE and call "
            f"load_pretrained_clip({name!r}) again (it downloads ~600 MB once); or (2) on a "
            f"machine with network run `hf download {name}` (huggingface_hub's CLI) and "
            f"copy the cache folder here (or pass a local folder as name=...). Everything else "
            f"in the kit works offline: train your own CLIP with mmcl_lite.methods.CLIP.")


class PretrainedCLIP(nn.Module):
    """A Hugging Face ``CLIPModel`` + ``CLIPProcessor`` behind ``encode_image``/``encode_text``.

    ``encode_image`` takes the kit's image batches (uint8 0..255 or float 0..1, (B, C, H, W),
    1 or 3 channels), resizes them to the model's input size (bicubic) and normalises with the
    processor's mean/std, all as tensor ops on the model's device.
    """

    def __init__(self, model, processor, name: str = ""):
        super().__init__()
        self.model = model.eval()
        self.processor = processor
        self.name = name
        ip = processor.image_processor
        crop = getattr(ip, "crop_size", None) or {}
        size = crop.get("height") if isinstance(crop, dict) else None
        self.image_size = int(size or getattr(model.config.vision_config, "image_size", 224))
        self.register_buffer("mean", torch.tensor(ip.image_mean).view(1, 3, 1, 1), False)
        self.register_buffer("std", torch.tensor(ip.image_std).view(1, 3, 1, 1), False)

    def _pixels(self, images: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(images):
            fail("images", "a (B, C, H, W) tensor with C in (1, 3)", images, TypeError)
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            fail("images", "a (B, C, H, W) tensor with C in (1, 3)",
                 said(f"shape {tuple(images.shape)}"))
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        x = x.to(self.mean.device)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bicubic",
                          align_corners=False, antialias=True).clamp(0, 1)
        return (x - self.mean) / self.std

    @staticmethod
    def _features(out) -> torch.Tensor:
        return out if torch.is_tensor(out) else out.pooler_output  # transformers 4.x / 5.x

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) images -> L2-normalised (B, 512) embeddings."""
        out = self.model.get_image_features(pixel_values=self._pixels(images))
        return F.normalize(self._features(out), dim=-1)

    def encode_text(self, captions) -> torch.Tensor:
        """A list of str -> L2-normalised (N, 512) embeddings (CLIP's tokenizer, 77 tokens)."""
        from .text import check_captions

        enc = self.processor.tokenizer(check_captions(captions), padding=True, truncation=True,
                                       max_length=77, return_tensors="pt")
        enc = {k: v.to(self.mean.device) for k, v in enc.items()}
        out = self.model.get_text_features(input_ids=enc["input_ids"],
                                           attention_mask=enc["attention_mask"])
        return F.normalize(self._features(out), dim=-1)

    @property
    def logit_scale(self) -> float:
        return float(self.model.logit_scale.detach().exp())


def load_pretrained_clip(name: str = DEFAULT_CLIP, device=None, cache_dir=None,
                         offline: bool | None = None) -> PretrainedCLIP:
    """A pretrained CLIP through ``transformers`` (``CLIPModel``, ``CLIPProcessor``).

    name: a Hub id (default ``openai/clip-vit-base-patch32``, ViT-B/32, ~150M parameters) or a
        local folder holding one. offline: None reads HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE;
        True looks only in the local cache. When not offline, the Hub is probed first
        (:func:`hub_reachable`); if it cannot be reached, only the local cache is used, so a
        machine without network gets its answer in seconds. Raises :class:`OfflineError` (a
        RuntimeError) with what to do when the weights are neither cached nor downloadable.
    """
    from transformers import CLIPModel, CLIPProcessor

    from ..runtime import as_device

    check_type(name, "name", str, "a Hub id or a folder as a str")
    if not name:
        fail("name", "a Hub id or a folder (a non-empty str)", name)
    offline = is_offline() if offline is None else bool(offline)
    local = os.path.isdir(name)
    # no network: look in the cache only (huggingface_hub's retries would take minutes)
    cache_only = not local and (offline or not hub_reachable())
    kwargs = {"cache_dir": cache_dir, "local_files_only": cache_only}
    try:
        processor = CLIPProcessor.from_pretrained(name, **kwargs)
        model = CLIPModel.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as exc:  # transformers wraps Hub failures in OSError
        if cache_only or _is_connection_error(exc):
            raise OfflineError(_offline_message(name, offline, cache_dir)) from exc
        raise
    return PretrainedCLIP(model, processor, name).to(as_device(device))
