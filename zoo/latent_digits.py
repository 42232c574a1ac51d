"""Latent-space pictures and vectors on the digits dataset: held-out digits at a model's resolution,
attribute vectors of the measured digit attributes, and the AAE paper's 2-D latent map (codes coloured
by digit over samples of the prior). The generic tools are in zoo.latent."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from zoo.latent import attribute_vector, encode_images

DIGIT_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def digits(model, split: str):
    """The digits dataset at the model's resolution (the shipped models are trained on it)."""
    from zoo.data.digits import Digits

    return Digits(resolution=model.config.get("resolution", 32), split=split)


def digits_attribute_vector(model, attribute: str, split: str = "train") -> Tensor:
    """The attribute vector of a measured digits attribute ("thickness", "slant", "width", "height"):
    codes of digits above the attribute's median minus codes of those below."""
    data = digits(model, split)
    names = tuple(getattr(data, "attribute_names", ()))
    if attribute not in names:
        raise ValueError(f"unknown attribute {attribute!r}; the digits dataset measures {names}")
    codes = encode_images(model, data.images, data.labels)
    return attribute_vector(codes, data.binary_attribute(attribute))


def latent_map(codes: Tensor, labels: Tensor, path: str | Path, *, prior_samples: Tensor | None = None,
               size: int = 512) -> Path:
    """A PNG scatter of 2-D codes coloured by digit (with prior samples in grey behind them)."""
    from PIL import Image, ImageDraw

    if codes.dim() != 2 or codes.shape[1] != 2:
        raise ValueError(f"a latent map needs 2-D codes (N, 2), got {tuple(codes.shape)}; "
                         "train the model with latent_dim=2")
    points = torch.cat([codes, prior_samples]) if prior_samples is not None else codes
    lo, hi = torch.quantile(points, 0.005, dim=0), torch.quantile(points, 0.995, dim=0)
    centre, half = (lo + hi) / 2, ((hi - lo).max() / 2 * 1.1).clamp_min(1e-6)
    margin = 24

    def pixel(p: Tensor) -> tuple[float, float]:
        u = (p - centre) / half  # in [-1, 1]
        return (margin + (u[0].item() + 1) / 2 * (size - 2 * margin),
                margin + (1 - u[1].item()) / 2 * (size - 2 * margin))  # y axis up

    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if prior_samples is not None:
        for p in prior_samples:
            x, y = pixel(p)
            draw.point((x, y), fill=(200, 200, 200))
    for p, label in zip(codes, labels.tolist()):
        x, y = pixel(p)
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=DIGIT_COLOURS[int(label) % 10])
    for digit, colour in enumerate(DIGIT_COLOURS):  # legend
        draw.rectangle((6 + 22 * digit, 6, 16 + 22 * digit, 16), fill=colour)
        draw.text((6 + 22 * digit, 17), str(digit), fill=(0, 0, 0))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
