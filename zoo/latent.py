"""Latent-space tools shared by every model with an encoder: codes of a dataset, attribute vectors
(Larsen et al. 2016, Sec. 5), the "can a classifier tell the codes from the prior?" test that measures
how well an adversarial autoencoder matched its prior (Makhzani et al. 2016), and the 2-D latent map
of the AAE paper's figures (test-set codes coloured by digit).
"""
from __future__ import annotations


import torch
from torch import Tensor, nn

# Ten distinguishable colours (one per digit), as RGB.


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


