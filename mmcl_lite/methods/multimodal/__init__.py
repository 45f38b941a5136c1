"""Methods that align two modalities: CLIP (and its locked-text-tower variant), and a fusion
model that lets text attend to the image (ITC + ITM + MLM), and CLIP that also learns from
unpaired images and captions (pseudo-pairs)."""
from .clip import CLIP
from .fusion import Fusion
from .unpaired import UnpairedCLIP

__all__ = ["CLIP", "Fusion", "UnpairedCLIP"]
