"""Building blocks used by more than one paper."""
from zoo.nn.init import normal_init_
from zoo.nn.multiscale import MultiScaleDiscriminator, downsample
from zoo.nn.projection import ProjectionHead
from zoo.nn.truncation import WAverage

__all__ = ["MultiScaleDiscriminator", "ProjectionHead", "WAverage", "downsample", "normal_init_"]
