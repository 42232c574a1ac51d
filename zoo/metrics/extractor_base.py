"""The feature-extractor protocol every extractor implements (zoo.metrics.extractors builds them by name),
and the checks and identity hash they share."""
from __future__ import annotations

import hashlib
from typing import Any

from torch import Tensor, nn

from zoo.errors import ShapeError


class FeatureExtractor(nn.Module):
    """Base of all extractors (duck typing with the same attributes works too)."""

    name: str = ""
    feature_dim: int = 0
    num_classes: int | None = None
    input_range = (-1.0, 1.0)

    def features(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def logits(self, images: Tensor) -> Tensor:
        raise NotImplementedError(f"extractor {self.name!r} has no classifier (num_classes is None)")

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Both at once; subclasses that get them from one forward pass override this."""
        feats = self.features(images)
        return feats, (self.logits(images) if self.num_classes else None)

    def identity(self) -> dict[str, Any]:
        """What determines this extractor's outputs (the feature-cache key): name and a weights hash."""
        return {"name": self.name, "state": state_dict_hash(self)}


def state_dict_hash(module: nn.Module) -> str:
    from zoo.metrics.cache import hash_tensor

    digest = hashlib.sha256()
    for key, t in sorted(module.state_dict().items()):
        digest.update(key.encode())
        hash_tensor(digest, t)
    return digest.hexdigest()


def check_images(images: Tensor, channels: tuple[int, ...] = (1, 3)) -> Tensor:
    """Float (N, C, H, W) images with C in `channels`; a clear error otherwise."""
    if not isinstance(images, Tensor) or images.ndim != 4 or images.shape[1] not in channels:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ShapeError(f"expected float images of shape (N, C, H, W) with C in {channels}, "
                         f"values in [-1, 1]; got {shape}")
    if not images.is_floating_point():
        raise ShapeError(f"expected float images in [-1, 1], got dtype {images.dtype} "
                         "(convert uint8 with x / 127.5 - 1)")
    return images
