"""Methods that align two modalities: CLIP (and its locked-text-tower variant), and a fusion
model that lets text attend to the image (ITC + ITM + MLM)."""
from .clip import CLIP
from .fusion import Fusion

__all__ = ["CLIP", "Fusion"]
