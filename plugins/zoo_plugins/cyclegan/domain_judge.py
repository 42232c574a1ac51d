"""The seasons domain judge: a small CNN that tells winter `layouts-seasons` renders (B) from summer ones
(A), shipped as a tool to measure how often CycleGAN's translations land in the target domain.

Three 4×4 stride-2 convolutions (16, 32, 64 channels, LeakyReLU 0.2), a global average and one linear
logit (> 0: winter). Trained here on real renders only, from scenes the translation models never see
(`layouts-seasons`, split "train", seed 1; the models train on seed 0): summer renders of the first half,
winter renders of the second, Adam(1e-3), 400 steps of 64. Its held-out accuracy on the fixed validation
scenes (both seasons of each) is in VALIDATION below.

    OMP_NUM_THREADS=1 python -m zoo_plugins.cyclegan.domain_judge --out plugins/zoo_plugins/cyclegan/weights/domain-judge.safetensors
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

WEIGHTS = Path(__file__).parent / "weights" / "domain-judge.safetensors"
WEIGHTS_SHA256 = "6676f153c64d853957bfe1050dbc6801707da2dc4d3c46d2ad010a973caf2ad4"
# held-out accuracy on the 600 fixed validation scenes, each in both seasons (39 s wall on this machine)
VALIDATION = {"accuracy": 1.0}


class DomainJudge(nn.Module):
    """(N, 3, R, R) renders in [-1, 1] -> (N,) logits of "winter"."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1), nn.LeakyReLU(0.2))
        self.head = nn.Linear(4 * width, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.net(x).mean((2, 3))).squeeze(1)

    @torch.no_grad()
    def winter_rate(self, x: Tensor) -> float:
        """The share of images judged winter."""
        return (self(x) > 0).float().mean().item()

    @classmethod
    def pretrained(cls, path: str | Path | None = None) -> "DomainJudge":
        from zoo.hub import verify
        from zoo.readers import read_safetensors

        path = Path(path) if path is not None else WEIGHTS
        if path == WEIGHTS:
            verify(path, WEIGHTS_SHA256, what=f"seasons domain judge {path}", cached=False)
        judge = cls()
        judge.load_state_dict(read_safetensors(path))
        return judge.eval().requires_grad_(False)


def accuracy(judge: DomainJudge, summer: Tensor, winter: Tensor) -> float:
    with torch.no_grad():
        return 0.5 * ((judge(summer) <= 0).float().mean().item() + (judge(winter) > 0).float().mean().item())


def train(steps: int = 400, batch_size: int = 64, resolution: int = 64, size: int = 512, seed: int = 0) -> DomainJudge:
    from zoo_plugins.cyclegan.seasons import LayoutsSeasons

    data = LayoutsSeasons(resolution=resolution, split="train", seed=1, size=size).tensors()
    images = torch.cat([data["image"], data["image_b"]])
    labels = torch.cat([torch.zeros(size), torch.ones(size)])
    torch.manual_seed(seed)
    judge = DomainJudge()
    opt = torch.optim.Adam(judge.parameters(), lr=1e-3)
    for _ in range(steps):
        index = torch.randint(len(images), (batch_size,))
        loss = F.binary_cross_entropy_with_logits(judge(images[index]), labels[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return judge.eval()


def main(argv=None) -> int:
    from safetensors.torch import save_file

    from zoo.hub.checksums import sha256_of
    from zoo_plugins.cyclegan.seasons import LayoutsSeasons

    p = argparse.ArgumentParser(prog="python -m zoo_plugins.cyclegan.domain_judge")
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=400)
    args = p.parse_args(argv)
    judge = train(args.steps)
    val = LayoutsSeasons(resolution=64, split="val", size=600).tensors()
    print(f"held-out accuracy (600 summer + their 600 winter renders): "
          f"{accuracy(judge, val['image'], val['image_b_true']):.4f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in judge.state_dict().items()}, args.out)
    print(f"{args.out}: sha256 {sha256_of(Path(args.out))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
