"""The layouts segmenter: a small encoder-decoder CNN that maps a rendered `layouts` scene (3×64×64) to its
label map (7 classes), used to score semantic image synthesis as the SPADE paper does (Park et al. 2019,
arXiv:1903.07291, Sec. 4: "we run a semantic segmentation model on the synthesized images and compare the
predicted maps with the ground-truth input", mIoU and pixel accuracy), with this network in the place of
the paper's DeepLabV2 / UperNet / DRN segmenters, which know nothing of these scenes.

It is also the FID feature extractor for renders (name "layouts-segmenter"): its penultimate features are
the global average of the bottleneck (64-d) concatenated with the average of the last decoder block
(32-d), 96-d in all — ImageNet's Inception has never seen procedural scenes at 64 px, and the
segmenter's features are what separates classes and textures here. FID with these features is only
comparable with itself.

It is trained here on real renders only (zoo.data.layouts, split "train", seed 1: not the generative
models' seed-0 scenes); the fixed validation scenes measure it, and its score on them is the ceiling a
synthesised image can reach. Shipped weights: zoo/metrics/weights/layouts-segmenter.safetensors (pinned
by sha256 below), made by

    OMP_NUM_THREADS=1 python -m zoo.metrics.train_layouts_segmenter --out zoo/metrics/weights/layouts-segmenter.safetensors

(seed 0, 8 epochs of 1,024 scenes; 307 s wall on this shared machine). Held-out, on the 600 validation
scenes: mIoU 0.9849, pixel accuracy 0.9956; per class IoU sky 0.998, mountain 0.988, grass 0.995, water
0.993, road 0.981, building 0.972, tree 0.969 (thin trunks and window edges are what it misses). These
are the ceiling the synthesised images are read against. The file is 530 KiB (133k float32 parameters).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ShapeError, WeightsNotFoundError
from zoo.metrics.extractor_base import FeatureExtractor, check_images
from zoo.metrics.resize import resize

RESOLUTION = 64
NUM_CLASSES = 7  # zoo.data.layouts.CLASSES
WEIGHTS_PATH = Path(__file__).parent / "weights" / "layouts-segmenter.safetensors"
WEIGHTS_SHA256 = "fd62f276da76ddf40d65fb48148b37463599d8c5e88902cf1924b14f547f5749"


def to_segmenter_input(images: Tensor) -> Tensor:
    """RGB renders (N, 3, R, R) in [-1, 1] → (N, 3, 64, 64); other sizes are resized (antialiased
    bicubic when shrinking, bilinear when growing)."""
    images = check_images(images, channels=(3,)).float()
    if images.shape[-2:] != (RESOLUTION, RESOLUTION):
        if images.shape[-2] != images.shape[-1]:
            raise ShapeError(f"the layouts segmenter takes square renders, got {tuple(images.shape)}")
        images = resize(images, (RESOLUTION, RESOLUTION),
                        "bicubic-antialias" if images.shape[-1] > RESOLUTION else "bilinear")
    return images


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    """Two conv 3×3 → batch norm → ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class LayoutsSegmenter(FeatureExtractor):
    """64 px: encoder 16 → 32 → 64 channels (64, 32, 16 px), decoder with skips back to 64 px, 7 logits per pixel."""

    name = "layouts-segmenter"
    num_classes = None  # no image-level classes: FID only (per-pixel classes come from `segment`)
    num_pixel_classes = NUM_CLASSES

    def __init__(self, widths: tuple[int, int, int] = (16, 32, 64)) -> None:
        super().__init__()
        a, b, c = widths
        self.enc1, self.enc2, self.enc3 = _conv(3, a), _conv(a, b), _conv(b, c)
        self.dec2, self.dec1 = _conv(c + b, b), _conv(b + a, b)
        self.head = nn.Conv2d(b, NUM_CLASSES, 1)
        self.feature_dim = c + b

    def _run(self, images: Tensor) -> tuple[Tensor, Tensor]:
        x = to_segmenter_input(images)
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2.0, mode="nearest"), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0, mode="nearest"), e1], 1))
        feats = torch.cat([e3.mean((2, 3)), d1.mean((2, 3))], 1)
        return feats, self.head(d1)

    def forward(self, images: Tensor) -> Tensor:
        """Per-pixel class logits (N, 7, 64, 64)."""
        return self._run(images)[1]

    def features(self, images: Tensor) -> Tensor:
        return self._run(images)[0]

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, None]:
        return self._run(images)[0], None

    @torch.no_grad()
    def segment(self, images: Tensor) -> Tensor:
        """Predicted label maps (N, 64, 64) of class indices."""
        return self.forward(images).argmax(1)

    @torch.no_grad()
    def features_and_segments(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """`features(images)` and `segment(images)` from one pass of the network."""
        feats, logits = self._run(images)
        return feats, logits.argmax(1)

    @classmethod
    def pretrained(cls, path: str | Path | None = None, device: str | torch.device = "cpu") -> "LayoutsSegmenter":
        """The shipped segmenter in eval mode; its file is refused (ChecksumError) unless its sha256 matches."""
        from zoo.hub import verify
        from zoo.readers import read_safetensors

        path = Path(path) if path is not None else WEIGHTS_PATH
        if not path.is_file():
            raise WeightsNotFoundError(f"the layouts segmenter's weights are missing: {path} (make them with "
                                       "python -m zoo.metrics.train_layouts_segmenter --out PATH)")
        verify(path, WEIGHTS_SHA256, what=f"layouts segmenter weights {path}", cached=False)
        net = cls()
        net.load_state_dict(read_safetensors(path))
        return net.to(device).eval().requires_grad_(False)
