"""Feature extractors: the networks whose features and class logits the metrics are computed on.

Any extractor can stand in for any other, so FID on digits (the digits judge) and FID on photographs
(the 2015 Inception graph, or a timm backbone) are the same code. The protocol (fixed in
notes/INTERFACES.md):

    name: str; feature_dim: int; num_classes: int | None; input_range = (-1.0, 1.0)
    features(images) -> (N, feature_dim)      penultimate features (FID, KID, precision/recall)
    logits(images)   -> (N, num_classes)      class logits (IS, conditional accuracy)

Images arrive as float (N, C, H, W) in [-1, 1]; each extractor converts channels and resizes itself.
`get_extractor(name)` builds one: "inception-fid", "digits-judge", "timm:<model>", or "module:attr".
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import Tensor, nn

from zoo.errors import UnknownNameError
from zoo.metrics.extractor_base import FeatureExtractor, check_images, state_dict_hash  # noqa: F401 (public here)
from zoo.metrics.resize import RESIZE_FILTERS, resize

# Preprocessing of the Inception graph's input, by reference implementation:
#   "tf": the original TF code and torch-fidelity: uint8 → TF1 bilinear to 299 → (x − 128) / 128
#   "pytorch-fid": uint8/255 → PyTorch bilinear to 299 → 2x − 1
INCEPTION_PRESETS = {"tf": ("tf1-bilinear", "tf"), "pytorch-fid": ("bilinear", "unit")}


@contextlib.contextmanager
def tf32(allowed: bool):
    """Set TF32 for CUDA matmuls and convolutions inside the block (off by default: FID's references run
    in full float32, and TF32 changes Inception features by ~1e-3 relative on Ampere and later)."""
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = allowed
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


class InceptionExtractor(FeatureExtractor):
    """The FID Inception network with its reference preprocessing.

    preset: "tf" (default: the original TF graph's resize and scaling, as torch-fidelity reproduces it)
        or "pytorch-fid"; `resize_filter` overrides the preset's filter.
    quantize: round images to 256 levels first (default True), as every reference sees uint8 images.
    logits_bias: add the classifier bias to the logits (default False, as the IS references).
    allow_tf32: let CUDA use TF32 (default False).
    """

    name = "inception-fid"
    num_classes = 1008

    def __init__(self, network=None, *, preset: str = "tf", resize_filter: str | None = None,
                 quantize: bool = True, logits_bias: bool = False, allow_tf32: bool = False,
                 weights_id: str = "") -> None:
        super().__init__()
        from zoo.metrics.inception import FEATURE_DIM, FIDInceptionV3

        if preset not in INCEPTION_PRESETS:
            raise ValueError(f"preset must be one of {sorted(INCEPTION_PRESETS)}, got {preset!r}")
        default_filter, self.scaling = INCEPTION_PRESETS[preset]
        self.resize_filter = resize_filter or default_filter
        if self.resize_filter not in RESIZE_FILTERS:
            raise ValueError(f"resize_filter must be one of {RESIZE_FILTERS}, got {self.resize_filter!r}")
        self.preset, self.quantize, self.logits_bias, self.allow_tf32 = preset, quantize, logits_bias, allow_tf32
        self.network = network if network is not None else FIDInceptionV3()
        self.feature_dim = FEATURE_DIM
        self.weights_id = weights_id

    def prepare(self, images: Tensor) -> Tensor:
        """[-1, 1] images → the network's 299×299 input."""
        from zoo.metrics.inception import INPUT_SIZE

        x = check_images(images).float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = (x + 1) * 127.5  # [0, 255]
        if self.quantize:  # round half up, as zoo.images.to_uint8 and PIL
            x = (x + 0.5).clamp(0, 255).floor()
        if self.scaling == "tf":
            return (resize(x, (INPUT_SIZE, INPUT_SIZE), self.resize_filter) - 128) / 128
        return resize(x / 255, (INPUT_SIZE, INPUT_SIZE), self.resize_filter) * 2 - 1

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        with tf32(self.allow_tf32):
            feats = self.network.pool_features(self.prepare(images))
            return feats, self.network.logits(feats, bias=self.logits_bias)

    def features(self, images: Tensor) -> Tensor:
        with tf32(self.allow_tf32):
            return self.network.pool_features(self.prepare(images))

    def logits(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[1]

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "weights": self.weights_id or state_dict_hash(self.network),
                "preset": self.preset, "resize": self.resize_filter, "quantize": self.quantize,
                "logits_bias": self.logits_bias}


class TimmExtractor(FeatureExtractor):
    """A timm backbone: pre-logits features and its classifier's logits, with the model's own input
    size and normalisation (from timm's pretrained config). Hub weights need the network; tests use
    pretrained=False."""

    def __init__(self, model_name: str, *, pretrained: bool = True, resize_filter: str = "bicubic-antialias",
                 **create_kwargs) -> None:
        super().__init__()
        import timm

        self.model = timm.create_model(model_name, pretrained=pretrained, **create_kwargs).eval()
        self.name = f"timm:{model_name}"
        self.feature_dim = int(self.model.num_features)
        self.num_classes = int(self.model.num_classes) or None
        cfg = timm.data.resolve_data_config({}, model=self.model)
        self.input_size = tuple(cfg["input_size"][-2:])
        self.register_buffer("mean", torch.tensor(cfg["mean"]).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg["std"]).view(1, -1, 1, 1), persistent=False)
        self.resize_filter, self.pretrained = resize_filter, pretrained

    def prepare(self, images: Tensor) -> Tensor:
        x = check_images(images).float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = resize((x + 1) / 2, self.input_size, self.resize_filter)
        return (x - self.mean) / self.std

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        h = self.model.forward_features(self.prepare(images))
        feats = self.model.forward_head(h, pre_logits=True)
        return feats, (self.model.get_classifier()(feats) if self.num_classes else None)

    def features(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[0]

    def logits(self, images: Tensor) -> Tensor:
        if not self.num_classes:
            raise NotImplementedError(f"{self.name} was built without a classifier")
        return self.features_and_logits(images)[1]


EXTRACTOR_NAMES = ("inception-fid", "digits-judge", "layouts-segmenter", "timm:<model>", "package.module:callable")


def get_extractor(name: str, device: str | torch.device = "cpu", **options) -> nn.Module:
    """An extractor by name, in eval mode on `device`, with frozen parameters.

    "inception-fid" options: weights_path (a local pt_inception file), seed (seeded random weights:
    tests and benchmarks only), preset, resize_filter, quantize, logits_bias, allow_tf32.
    "timm:<model>" options: pretrained (default True), resize_filter, and timm.create_model kwargs.
    "package.module:callable": called with the options; must return an extractor.
    """
    if name in ("inception-fid", "inception"):
        extractor = _inception(**options)
    elif name == "digits-judge":
        from zoo.metrics.digits_judge import DigitsJudge

        extractor = DigitsJudge.pretrained(device=device, **options)
    elif name == "layouts-segmenter":
        from zoo.metrics.layouts_segmenter import LayoutsSegmenter

        extractor = LayoutsSegmenter.pretrained(device=device, **options)
    elif name.startswith("timm:"):
        extractor = TimmExtractor(name[len("timm:"):], **options)
    elif ":" in name:
        from zoo.records import import_object

        extractor = import_object(name)(**options)
    else:
        raise UnknownNameError("feature extractor", name, EXTRACTOR_NAMES)
    for attr in ("name", "feature_dim", "num_classes", "features", "logits"):
        if not hasattr(extractor, attr):
            raise TypeError(f"extractor {name!r} lacks {attr!r}; see zoo.metrics.extractors.FeatureExtractor")
    return extractor.to(device).eval().requires_grad_(False)


def _inception(*, weights_path=None, seed: int | None = None, download: bool = True, **options):
    from zoo.metrics import extractor_weights
    from zoo.metrics.inception import FIDInceptionV3, seeded_random_inception

    if seed is not None:
        return InceptionExtractor(seeded_random_inception(seed), weights_id=f"seeded-random:{seed}", **options)
    entry = extractor_weights.EXTRACTOR_WEIGHTS["inception-fid"]
    network = FIDInceptionV3()
    network.load_state_dict(extractor_weights.load_state_dict("inception-fid", weights_path, download=download))
    return InceptionExtractor(network, weights_id=entry.sha256, **options)
