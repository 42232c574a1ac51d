"""Latent-space tools shared by every model with an encoder: codes of a dataset, attribute vectors
(Larsen et al. 2016, Sec. 5), the "can a classifier tell the codes from the prior?" test that measures
how well an adversarial autoencoder matched its prior (Makhzani et al. 2016), and the 2-D latent map
of the AAE paper's figures (test-set codes coloured by digit).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

# Ten distinguishable colours (one per digit), as RGB.
DIGIT_COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def attribute_vector(codes: Tensor, has_attribute: Tensor) -> Tensor:
    """Mean code of the samples with the attribute minus the mean code of those without (latent shape)."""
    mask = has_attribute.to(torch.bool).flatten()
    if codes.shape[0] != mask.shape[0]:
        raise ValueError(f"{codes.shape[0]} codes but {mask.shape[0]} attribute flags; they must match")
    if mask.all() or not mask.any():
        raise ValueError("an attribute vector needs samples both with and without the attribute")
    return codes[mask].mean(0) - codes[~mask].mean(0)


@torch.no_grad()
def encode_images(model, images: Tensor, labels: Tensor | None = None, batch_size: int = 512) -> Tensor:
    """Codes (posterior means) of `images`; labels are passed to class-conditional encoders."""
    encoder = model.components["encoder"]
    conditional = encoder.condition.kind == "class"
    if conditional and labels is None:
        raise ValueError(f"{model.name}: its encoder is class-conditional; pass the labels")
    out = []
    for start in range(0, len(images), batch_size):
        c = labels[start:start + batch_size] if conditional else None
        out.append(model.encode(images[start:start + batch_size], c).cpu())
    return torch.cat(out)


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


def prior_classifier_accuracy(codes: Tensor, prior_samples: Tensor, *, hidden: int = 64, steps: int = 1000,
                              train_fraction: float = 0.5, seed: int = 0) -> float:
    """Held-out accuracy of a fresh classifier trained to tell `codes` from `prior_samples`.

    About 0.5 means the codes are indistinguishable from the prior (the aggregated posterior matches
    it); 1.0 means they are trivially told apart. A two-hidden-layer MLP, trained with Adam on a
    random `train_fraction` of both sets (inputs standardised), tested on the rest.
    """
    if codes.dim() != 2 or prior_samples.dim() != 2 or codes.shape[1] != prior_samples.shape[1]:
        raise ValueError(f"codes and prior samples must be (N, d) with the same d, got {tuple(codes.shape)} "
                         f"and {tuple(prior_samples.shape)}")
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([codes, prior_samples]).float()
    y = torch.cat([torch.zeros(len(codes)), torch.ones(len(prior_samples))])
    order = torch.randperm(len(x), generator=g)
    x, y = x[order], y[order]
    x = (x - x.mean(0)) / x.std(0).clamp_min(1e-6)
    cut = int(len(x) * train_fraction)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                            nn.Linear(hidden, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(steps):
            loss = nn.functional.binary_cross_entropy_with_logits(net(x[:cut]).squeeze(1), y[:cut])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            predicted = net(x[cut:]).squeeze(1) > 0
    return float((predicted == y[cut:].bool()).float().mean())


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
