"""The deep structured joint embedding of Reed et al. 2016 (arXiv:1605.05395, Sec. 3.1), and the small
image encoder it is trained with here.

Compatibility F(v, t) = θ(v)ᵀ φ(t) between an image v and a text t. The image classifier
f_v(v) = argmax_y E_{t~T(y)} F(v, t) and the text classifier f_t(t) = argmax_y E_{v~V(y)} F(v, t) are
trained through the symmetric structured hinge (their Eq. 3-4, with Δ the 0-1 loss):

    (1/N) Σ_n  max_y [Δ(y_n, y) + E_{t~T(y)} F(v_n, t) − E_{t~T(y_n)} F(v_n, t)]
             + max_y [Δ(y_n, y) + E_{v~V(y)} F(v, t_n) − E_{v~V(y_n)} F(v, t_n)]

with the expectations over the batch's members of each class (classes absent from the batch are left
out). Reed's image side is a fixed GoogLeNet; here a small CNN trained jointly (no pretrained one exists
for the digits).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def joint_embedding_loss(image_embeddings: Tensor, text_embeddings: Tensor, classes: Tensor,
                         reduction: str = "max") -> Tensor:
    """The symmetric structured hinge above for a batch of matching pairs (N, D), (N, D) and class ids (N,).
    reduction="sum" sums the hinge max(0, ·) over the other classes instead of taking the largest (what
    Reed's released JointEmbeddingLoss computes, pair by pair), normalised by their number."""
    if reduction not in ("max", "sum"):
        raise ValueError(f"reduction must be 'max' or 'sum', got {reduction!r}")
    if image_embeddings.shape != text_embeddings.shape or classes.shape != image_embeddings.shape[:1]:
        raise ValueError(f"expected image and text embeddings (N, D) and classes (N,), got "
                         f"{tuple(image_embeddings.shape)}, {tuple(text_embeddings.shape)}, {tuple(classes.shape)}")
    scores = image_embeddings @ text_embeddings.T  # scores[i, j] = F(v_i, t_j)
    _, member_class = classes.unique(return_inverse=True)
    onehot = F.one_hot(member_class).to(scores.dtype)  # (N, K): sample n is in class k
    class_mean = onehot / onehot.sum(0, keepdim=True)  # columns average over a class's members
    image_vs_class_texts = scores @ class_mean  # (N, K): E_{t~T(k)} F(v_n, t)
    text_vs_class_images = scores.T @ class_mean  # (N, K): E_{v~V(k)} F(v, t_n)
    margin = 1.0 - onehot  # Δ(y_n, y)

    def structured_hinge(s: Tensor) -> Tensor:
        own = (s * onehot).sum(1, keepdim=True)
        if reduction == "max":
            return (margin + s - own).max(1).values  # the y = y_n term is 0, so this is >= 0
        others = max(s.shape[1] - 1, 1)
        return ((margin + s - own).clamp_min(0) * margin).sum(1) / others

    return structured_hinge(image_vs_class_texts).mean() + structured_hinge(text_vs_class_images).mean()


class ImageEmbedder(nn.Module):
    """32 px grey images in [-1, 1] -> (N, dim): three stride-2 convolutions (32, 64, 128 channels), linear."""

    def __init__(self, dim: int = 64, resolution: int = 32) -> None:
        super().__init__()
        layers, c_in = [], 1
        for c_out in (32, 64, 128):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.project = nn.Linear(128 * (resolution // 8) ** 2, dim)

    def forward(self, images: Tensor) -> Tensor:
        return self.project(self.body(images))


def retrieval_accuracy(image_embeddings: Tensor, text_embeddings: Tensor, image_classes: Tensor,
                       text_classes: Tensor) -> float:
    """Fraction of texts whose best-scoring image (argmax_v F(v, t)) is of the text's class."""
    best = (text_embeddings @ image_embeddings.T).argmax(1)
    return (image_classes[best] == text_classes).to(torch.float32).mean().item()
