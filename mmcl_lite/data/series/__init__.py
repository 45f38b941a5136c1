"""Series datasets: the UEA/UCR archive (bundled with aeon, or downloaded on request) and a
synthetic accelerometer + gyroscope activity generator."""
from .activities import ACTIVITIES, make_activities
from .uea import UEA_BUNDLED, load_uea

__all__ = ["ACTIVITIES", "make_activities", "UEA_BUNDLED", "load_uea"]
