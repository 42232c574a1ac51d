"""A test plugin: one tiny architecture per task kind, registered through the plugin manager by
tests/test_tasks.py (as "tiny-tasks"). Each network is small enough to reason about by hand."""
from __future__ import annotations

import torch
from torch import nn

from zoo.hookspecs import hookimpl
from zoo.interfaces import ConditionSpec, Generator, LatentSpec, OutputSpec
from zoo.records import Architecture, Paper

PAPER = Paper(title="Tiny test networks", authors="genzoo tests", year=2026)


class TinySR(Generator):
    """x2 upscaler: two 3x3 convolutions (receptive field radius 2 input pixels) and a pixel shuffle."""

    latent = None
    condition = ConditionSpec("low_res_image", shape=(3, "H", "W"))
    output = OutputSpec((3, 16, 16))
    scale = 2

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 3 * 4, 3, padding=1)

    def forward(self, z, c=None):
        return torch.tanh(nn.functional.pixel_shuffle(self.conv2(torch.relu(self.conv1(c))), 2))


class TinyInpaint(Generator):
    latent = LatentSpec((2,))
    condition = ConditionSpec("masked_image", shape=(4, 8, 8))
    output = OutputSpec((3, 8, 8))

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 3, 3, padding=1)
        self.from_z = nn.Linear(2, 3)
        self.last_c = None

    def forward(self, z, c=None):
        self.last_c = c
        return torch.tanh(self.conv(c) + self.from_z(z)[:, :, None, None])


class TinySpade(Generator):
    latent = LatentSpec((2,))
    condition = ConditionSpec("segmentation", shape=(3, 8, 8))
    output = OutputSpec((3, 8, 8))

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.from_z = nn.Linear(2, 3)

    def forward(self, z, c=None):
        return torch.tanh(self.conv(c) + self.from_z(z)[:, :, None, None])


class TinyTranslator(Generator):
    latent = None
    condition = ConditionSpec("image", shape=(3, 8, 8))
    output = OutputSpec((3, 8, 8))

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, z, c=None):
        return torch.tanh(self.conv(c))


class TinyStyle(Generator):
    """The style protocol at its smallest: mapping z -> w (one Linear), synthesis of per-layer ws (each
    layer adds its own linear picture of its w), one noise buffer, and w_avg for truncation. It records
    the ws synthesis received and the keyword arguments forward received."""

    latent = LatentSpec((4,), truncation=True)
    output = OutputSpec((3, 8, 8))
    num_ws = 4

    def __init__(self) -> None:
        super().__init__()
        self.mapping_layer = nn.Linear(4, 4)
        self.layers = nn.ModuleList(nn.Linear(4, 3 * 8 * 8, bias=False) for _ in range(self.num_ws))
        for layer in self.layers:
            nn.init.normal_(layer.weight, std=0.2)
        self.noise_strength = nn.Parameter(torch.tensor(0.01))
        self.register_buffer("noise", torch.zeros(8, 8))
        self.register_buffer("w_avg", torch.zeros(1, 4))
        self.recorded_ws: list[torch.Tensor] = []
        self.recorded_kwargs: list[dict] = []

    def mapping(self, z, c=None):
        return self.mapping_layer(z)[:, None].expand(-1, self.num_ws, -1)

    def synthesis(self, ws):
        self.recorded_ws.append(ws.detach().clone())
        x = sum(layer(ws[:, i]) for i, layer in enumerate(self.layers))
        return torch.tanh(x.view(-1, 3, 8, 8) + self.noise_strength * self.noise)

    def noise_buffers(self):
        return [self.noise]

    def forward(self, z, c=None, truncation_psi: float = 1.0, noise_mode: str = "const"):
        self.recorded_kwargs.append({"truncation_psi": truncation_psi, "noise_mode": noise_mode})
        ws = self.mapping(z)
        ws = self.w_avg + truncation_psi * (ws - self.w_avg)
        return self.synthesis(ws)


class TinyVoxel(Generator):
    """A ball in a 12^3 grid, its radius set by z (about 3.5 voxels), occupancy in [0, 1]."""

    latent = LatentSpec((2,))
    output = OutputSpec((1, 12, 12, 12), kind="voxels", value_range=(0.0, 1.0))

    def __init__(self) -> None:
        super().__init__()
        self.radius = nn.Linear(2, 1)

    def forward(self, z, c=None):
        r = 3.5 + 0.5 * torch.tanh(self.radius(z))  # (N, 1)
        axis = torch.arange(12.0) - 5.5
        d = (axis[:, None, None] ** 2 + axis[None, :, None] ** 2 + axis[None, None, :] ** 2).sqrt()
        return torch.sigmoid(4 * (r[:, :, None, None] - d[None]))[:, None]  # (N, 1, 12, 12, 12)


class TinyClassConditional(Generator):
    latent = LatentSpec((2,))
    condition = ConditionSpec("class", num_classes=10)
    output = OutputSpec((1, 8, 8))

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, 64)
        self.from_z = nn.Linear(2, 64)

    def forward(self, z, c=None):
        return torch.tanh(self.from_z(z) + self.embed(c)).view(-1, 1, 8, 8)


class TinyNormalisedLatent(Generator):
    """z pixel-normalised first, as ProGAN's generator: the image depends on z's direction only."""
    latent = LatentSpec((4,))
    output = OutputSpec((1, 8, 8))

    def __init__(self) -> None:
        super().__init__()
        self.from_z = nn.Linear(4, 64)

    def forward(self, z, c=None):
        z = z / (z.square().mean(1, keepdim=True) + 1e-8).sqrt()
        return torch.tanh(self.from_z(z)).view(-1, 1, 8, 8)


class DoubleTask:
    """A task the plugin ships itself (named "tiny_tasks:DoubleTask"): twice a generated sample."""

    def double_generate(self, n: int, seed: int = 0):
        return 2 * self.generate(n, seed=seed)


def _arch(name: str, components: dict, tasks: tuple) -> Architecture:
    return Architecture(name=name, paper=PAPER, components={r: f"tiny_tasks:{c}" for r, c in components.items()},
                        tasks=tasks, description=f"tiny {name} for tests")


ARCHITECTURES = [
    _arch("tiny-sr", {"generator": "TinySR"}, ("upscale",)),
    _arch("tiny-inpaint", {"generator": "TinyInpaint"}, ("inpaint",)),
    _arch("tiny-spade", {"generator": "TinySpade"}, ("synthesize",)),
    _arch("tiny-translate", {"generator": "TinyTranslator", "generator_ba": "TinyTranslator"}, ("translate",)),
    _arch("tiny-style", {"generator": "TinyStyle"}, ("generate", "mix_styles", "project")),
    _arch("tiny-voxel", {"generator": "TinyVoxel"}, ("generate",)),
    _arch("tiny-latent", {"generator": "TinyNormalisedLatent"}, ("generate", "project")),
    _arch("tiny-cond", {"generator": "TinyClassConditional"}, ("generate", "tiny_tasks:DoubleTask")),
]


@hookimpl
def register_architectures(register):
    for arch in ARCHITECTURES:
        register(arch)
