"""A discriminator run at several image scales (pix2pixHD, Wang et al. 2018, Sec. 3.2; SPADE reuses it)."""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.interfaces.components import (
    Discriminator,
    DiscriminatorOutput,
    discriminator_outputs,
)
from zoo.interfaces.specs import ConditionSpec, OutputSpec


def downsample(x: Tensor) -> Tensor:
    """pix2pixHD's 2x downsampling between scales: 3x3 average pooling, stride 2, padding 1, padded
    cells left out of the mean."""
    return F.avg_pool2d(x, kernel_size=3, stride=2, padding=1, count_include_pad=False)


def _downsampled_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    c, h, w = shape
    return c, (h - 1) // 2 + 1, (w - 1) // 2 + 1  # avg_pool2d(3, 2, 1): floor((n + 2 - 3) / 2) + 1


class MultiScaleDiscriminator(Discriminator):
    """k discriminators of one design, the i-th judging the input downsampled i times.

    `factory(input_shape)` builds the discriminator for one scale, given the (C, H, W) it will see; it
    may ignore the shape (a fully convolutional PatchGAN). `outputs` gives one logit entry and one
    feature list per scale, full resolution first. `forward` gives every scale's logits flattened and
    concatenated (N, total), for losses that average over all scores; objectives that weight scales
    (or match features, zoo.losses.feature_matching_loss) use `outputs`.
    """

    def __init__(self, factory: Callable[[tuple[int, ...]], nn.Module], input: OutputSpec, num_scales: int = 3):
        super().__init__()
        if num_scales < 1:
            raise ValueError(f"num_scales must be >= 1, got {num_scales}")
        if input.kind != "image":
            raise ValueError(f"a multi-scale discriminator judges images, got {input.kind!r}")
        self.input = input
        shapes = [tuple(input.shape)]
        for _ in range(num_scales - 1):
            shapes.append(_downsampled_shape(shapes[-1]))
        self.scale_shapes = shapes
        self.scales = nn.ModuleList(factory(shape) for shape in shapes)
        first = self.scales[0]
        if isinstance(first, Discriminator):
            self.condition = first.condition

    def scale_inputs(self, x: Tensor) -> list[Tensor]:
        """The input as each scale sees it: x, downsample(x), downsample(downsample(x)), ..."""
        inputs = [x]
        for _ in range(len(self.scales) - 1):
            inputs.append(downsample(inputs[-1]))
        return inputs

    def outputs(self, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
        self.check_inputs(x, c)
        logits, features = [], []
        for d, xi in zip(self.scales, self.scale_inputs(x)):
            if not hasattr(d, "outputs") and hasattr(d, "features"):
                # a plain module with features() (zoo.nn.patchgan.PatchGAN): its last block is the logits
                blocks = d.features(xi) if c is None else d.features(xi, c)
                logits.append(blocks[-1])
                features.append(list(blocks))
                continue
            out = discriminator_outputs(d, xi, c)
            heads = out.heads()
            logits.append(heads[0] if len(heads) == 1 else torch.cat([h.flatten(1) for h in heads], 1))
            features.append(out.features[0] if out.features else [])
        return DiscriminatorOutput(logits, features)

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return torch.cat([h.flatten(1) for h in self.outputs(x, c).heads()], dim=1)

    def features(self, x: Tensor, c: Tensor | None = None) -> list[Tensor]:
        """Every scale's features in one list, full resolution first."""
        return [f for scale in self.outputs(x, c).features for f in scale]


class LabelImageDiscriminator(Discriminator):
    """[label map, image] pairs judged by `num_scales` PatchGANs, each on the pair downsampled once more
    (pix2pixHD, Wang et al. 2018, Sec. 3.2; SPADE, Park et al. 2019, App. A). `patchgan(in_channels)`
    builds one scale's network; its input is the label map's channels then the image's three.

    `outputs` gives every scale's patch logits and features (the losses read those); `forward` one score
    per sample (N,), each scale's mean patch logit averaged over scales, for generic code and benchmarks.
    """

    def __init__(self, label_channels: int, resolution: int, patchgan: Callable[[int], nn.Module],
                 num_scales: int, aspect_ratio: float = 1.0) -> None:
        super().__init__()
        wide = round(resolution * aspect_ratio)
        self.condition = ConditionSpec("segmentation", shape=(label_channels, resolution, wide))
        self.input = OutputSpec((3, resolution, wide), value_range=(-1.0, 1.0))
        joint = OutputSpec((label_channels + 3, resolution, wide), value_range=(-1.0, 1.0))
        self.multiscale = MultiScaleDiscriminator(lambda shape: patchgan(label_channels + 3), joint, num_scales)

    def outputs(self, x: Tensor, c: Tensor | None = None) -> DiscriminatorOutput:
        self.check_inputs(x, c)
        return self.multiscale.outputs(torch.cat([c, x], 1))

    def forward(self, x: Tensor, c: Tensor | None = None) -> Tensor:
        return torch.stack([h.flatten(1).mean(1) for h in self.outputs(x, c).heads()], 1).mean(1)
