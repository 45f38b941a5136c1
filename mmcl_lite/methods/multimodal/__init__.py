"""Methods that align two modalities: CLIP (and its locked-text-tower variant), and a fusion
model that lets text attend to the image (ITC + ITM + MLM), and CLIP that also learns from
unpaired images and captions (pseudo-pairs), and MIL-NCE for weakly aligned caption bags."""
from .clip import CLIP
from .fusion import Fusion
from .mil_nce import MILNCE
from .unpaired import UnpairedCLIP

__all__ = ["CLIP", "Fusion", "MILNCE", "UnpairedCLIP"]
