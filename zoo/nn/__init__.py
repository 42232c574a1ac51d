"""Building blocks used by more than one paper."""
from zoo.nn.init import normal_init_

__all__ = ["normal_init_"]
