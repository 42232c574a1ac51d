"""The digits judge: a small CNN classifier of the 32 px digits, used to score generated digits.

It plays the part the Inception network plays for FID (Heusel et al., "GANs Trained by a Two Time-Scale
Update Rule Converge to a Local Nash Equilibrium", 2017, arXiv:1706.08500) and IS (Salimans et al.,
"Improved Techniques for Training GANs", 2016, arXiv:1606.03498): its penultimate features feed the
Fréchet distance and its class probabilities the IS-style score and the conditional accuracy
(zoo/metrics/digits_scores.py). An ImageNet network knows nothing useful about 8×8-born digits, so the
judge is trained here, on the digits training split only; the held-out split measures it.

Shipped weights: zoo/metrics/weights/digits-judge.safetensors (pinned by sha256 below), made by

    OMP_NUM_THREADS=1 python -m zoo.metrics.train_judge --out zoo/metrics/weights/digits-judge.safetensors

(seed 0, 25 epochs; about 1 CPU-minute, 3.5–5 min wall on this busy shared machine). Held-out accuracy:
99.72 % (358 of 359 "val" digits). The file is 739 KiB (188k float32 parameters). A retrained file is
byte-identical (checked twice), so the pinned sha256 doubles as a reproducibility check.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import WeightsNotFoundError
from zoo.metrics.extractor_base import FeatureExtractor, check_images
from zoo.metrics.resize import resize

RESOLUTION = 32
WEIGHTS_PATH = Path(__file__).parent / "weights" / "digits-judge.safetensors"
WEIGHTS_SHA256 = "e47830baef47305a1bcae42dd3f1322d861a4d31899723ecfd2efabb1a4adfe2"


def to_judge_input(images: Tensor) -> Tensor:
    """Bring digits (N, 1 or 3, R, R) in [-1, 1] to the judge's (N, 1, 32, 32).

    Upsampling is exactly zoo.data.digits' call (bicubic, align_corners=False, then a clamp), so 8 or 16 px
    digits reach the network as the dataset's own 32 px digits do; downsampling (64 px) is antialiased
    bicubic. (PyTorch's antialiased bicubic uses the kernel a = -0.5, not -0.75, so it would not match the
    dataset when upsampling.)
    """
    images = check_images(images).float()
    if images.shape[1] == 3:  # a grey digit rendered as RGB
        images = images.mean(1, keepdim=True)
    if images.shape[-2] > RESOLUTION or images.shape[-1] > RESOLUTION:
        images = resize(images, (RESOLUTION, RESOLUTION), "bicubic-antialias").clamp(-1, 1)
    elif images.shape[-2:] != (RESOLUTION, RESOLUTION):
        images = F.interpolate(images, size=(RESOLUTION, RESOLUTION), mode="bicubic", align_corners=False)
        images = images.clamp(-1, 1)
    return images


class _ConvBlock(nn.Sequential):
    """conv 3×3 → batch norm → ReLU → 2×2 max-pool: halves the resolution."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


class DigitsJudge(FeatureExtractor):
    """32 px digit classifier: three conv blocks (32→16→8→4 px; 32, 64, 64 channels), a 128-d feature
    layer (the penultimate features), 10 logits."""

    name = "digits-judge"
    num_classes = 10
    input_range = (-1.0, 1.0)

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 64), feature_dim: int = 128,
                 dropout: float = 0.3) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.feature_dim = feature_dim
        self.body = nn.Sequential(_ConvBlock(1, c1), _ConvBlock(c1, c2), _ConvBlock(c2, c3))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(c3 * 4 * 4, feature_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, self.num_classes)

    def features(self, images: Tensor) -> Tensor:
        """Penultimate features (N, feature_dim): the space the Fréchet distance is measured in."""
        return self.embed(self.body(to_judge_input(images)))

    def logits(self, images: Tensor) -> Tensor:
        """Class logits (N, 10)."""
        return self.head(self.dropout(self.features(images)))

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        feats = self.features(images)
        return feats, self.head(self.dropout(feats))

    def forward(self, images: Tensor) -> Tensor:
        return self.logits(images)

    @classmethod
    def pretrained(cls, device: str | torch.device = "cpu", path: str | Path | None = None) -> "DigitsJudge":
        """The shipped judge in eval mode; its file is refused (ChecksumError) unless its sha256 matches."""
        from safetensors.torch import load_file

        from zoo.hub import verify

        path = Path(path) if path is not None else WEIGHTS_PATH
        if not path.is_file():
            raise WeightsNotFoundError(f"digits judge weights not found at {path}; make them with "
                                       "`python -m zoo.metrics.train_judge --out PATH`")
        verify(path, WEIGHTS_SHA256, what=f"digits judge weights {path}", cached=False)
        judge = cls()
        judge.load_state_dict(load_file(str(path)))
        return judge.to(device).eval().requires_grad_(False)
