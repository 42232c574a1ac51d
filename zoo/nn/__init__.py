"""Building blocks used by more than one paper."""
from zoo.nn.attention import SelfAttention
from zoo.nn.conditional_norm import ClassConditionalBatchNorm2d, ConditionalBatchNorm2d
from zoo.nn.init import normal_init_
from zoo.nn.multiscale import MultiScaleDiscriminator, downsample
from zoo.nn.projection import ProjectionHead
from zoo.nn.spectral import has_spectral_norm, sn, sn_conv2d, sn_embedding, sn_linear
from zoo.nn.truncation import WAverage

__all__ = ["ClassConditionalBatchNorm2d", "ConditionalBatchNorm2d", "MultiScaleDiscriminator", "ProjectionHead",
           "SelfAttention", "WAverage", "downsample", "has_spectral_norm", "normal_init_", "sn", "sn_conv2d",
           "sn_embedding", "sn_linear"]
