"""ImageNet classifiers' convolutional trunks as plain torch modules, laid out like torchvision's so its
checkpoints load as they are (`features.N.weight`, N counting ReLU and max-pool layers too): VGG16,
VGG19 (Simonyan & Zisserman 2015) and AlexNet ("one weird trick" variant, Krizhevsky 2014). The
classifier heads are left out: these networks give intermediate activations for perceptual losses
and LPIPS."""
from __future__ import annotations

import torch
from torch import Tensor, nn

# conv widths, "M" a 2x2 max-pool; torchvision's configurations "D" and "E"
VGG_LAYOUTS = {
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"),
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FeatureTrunk(nn.Module):
    """`features` (an nn.Sequential) and names for its ReLU outputs (relu1_1, relu1_2, ..., or relu1..5),
    and, for VGG, for its convolutions' outputs before the activation (conv1_1, ..., conv5_4): ESRGAN
    takes its perceptual loss there (Wang et al. 2018, Sec. 3.3)."""

    features: nn.Sequential
    relu_names: dict[int, str]
    conv_names: dict[int, str]

    def __init__(self) -> None:
        super().__init__()
        self.conv_names = {}
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def normalize(self, images: Tensor) -> Tensor:
        """Images in [0, 1] to the ImageNet statistics the trunk was trained on."""
        return (images - self.mean) / self.std

    def forward(self, x: Tensor, layers: tuple[str, ...] | None = None, *, normalize: bool = False) -> dict[str, Tensor]:
        """Activations at `layers` (ReLU or pre-activation conv names; every ReLU when None) of an
        already-normalized batch, or of images in [0, 1] with normalize=True. Stops after the last layer
        asked for."""
        names = {**self.conv_names, **self.relu_names}
        wanted = set(self.relu_names.values()) if layers is None else set(layers)
        unknown = wanted - set(names.values())
        if unknown:
            raise KeyError(f"unknown layer(s) {sorted(unknown)}; known: {list(names.values())}")
        if normalize:
            x = self.normalize(x)
        out = {}
        for index, layer in enumerate(self.features):
            x = layer(x)
            name = names.get(index)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out


class VGGFeatures(FeatureTrunk):
    def __init__(self, depth: str = "vgg19") -> None:
        super().__init__()
        layers, self.relu_names = [], {}
        block, conv, channels = 1, 0, 3
        for item in VGG_LAYOUTS[depth]:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
                block, conv = block + 1, 0
                continue
            conv += 1
            # inplace=False: the convolution's output stays intact for the pre-activation name
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU(inplace=False)]
            self.conv_names[len(layers) - 2] = f"conv{block}_{conv}"
            self.relu_names[len(layers) - 1] = f"relu{block}_{conv}"
            channels = item
        self.features = nn.Sequential(*layers)


class AlexNetFeatures(FeatureTrunk):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.relu_names = {1: "relu1", 4: "relu2", 7: "relu3", 9: "relu4", 11: "relu5"}
