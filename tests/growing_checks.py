"""The checks ProGAN's and StyleGAN's tests share: both grow through the same level of detail and schedule
(zoo.nn.progressive, the official TrainingSchedule and process_reals), so shapes at every lod, the reals D sees
mid-fade, exact resume across a fade-in and refusing another schedule's checkpoint are checked alike."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn


class LinearCritic(nn.Module):
    """D(x) = Σ w·x + b, recording the lods it is set to: its input gradient is w everywhere (so WGAN-GP's
    penalty is (‖w‖ − 1)² and R1 is ‖w‖² for every sample)."""

    def __init__(self, shape=(1, 2, 2)):
        super().__init__()
        self.w = nn.Parameter(torch.full(shape, 0.25))
        self.b = nn.Parameter(torch.tensor(0.5))
        self.lods = []

    def set_lod(self, lod):
        self.lods.append(lod)

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1) + self.b


def check_shapes_at_every_lod(G, D, generate):
    """A 16 px, 1-channel G and D at lods 2 to 0: `generate(z)` gives full-size images, nearest up-sampled
    (constant 2^⌊lod⌋ blocks) below the full resolution, D one score per image; a lod past the levels is refused."""
    z = torch.randn(4, 8)
    for lod in (2.0, 1.5, 1.0, 0.25, 0.0):
        G.set_lod(lod)
        D.set_lod(lod)
        x = generate(z)
        assert x.shape == (4, 1, 16, 16) and D(x).shape == (4,)
        k = math.floor(lod)  # below full resolution the image is nearest up-sampled: constant 2^k blocks
        assert torch.equal(x, x[..., ::2 ** k, ::2 ** k].repeat_interleave(2 ** k, -1).repeat_interleave(2 ** k, -2))
    with pytest.raises(ValueError, match="lod must be in"):
        G.set_lod(2.5)


def check_reals_faded_mid_fade(obj, D, G):
    """With `obj` growing 4 -> 8 px (16 images stable, a 32-image fade, batches of 8), one step into the fade D
    (a LinearCritic of 8 px images) is set to lod 0.75 and sees the reals crossfaded with their 2x blur (α 0.25)."""
    seen = []
    D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    obj.begin_step(3, {"generator": G, "discriminator": D})  # 24 images: one step into the 32-image fade
    assert D.lods == [0.75] and obj.state.alpha == pytest.approx(0.25)
    real = torch.randn(2, 1, 8, 8)
    obj.losses("discriminator", {"image": real}, {"generator": G, "discriminator": D})
    blurred = F.avg_pool2d(real, 2).repeat_interleave(2, -1).repeat_interleave(2, -2)
    assert torch.allclose(seen[0], 0.25 * real + 0.75 * blurred, atol=1e-6)


def check_resume_across_a_fade_in(make_trainer, tmp_path, generator_lod_key: str):
    """`make_trainer(seed, data_seed=0)` -> (Trainer, objective) growing 4 -> 8 px (24 images stable, a 32-image
    fade, batches of 8): a run checkpointed mid-fade and resumed by a trainer with other weights and data order
    logs exactly what the uninterrupted run does; the checkpoint holds the growing state (the generator's lod
    under `generator_lod_key`), the EMA generator included."""
    steps, stop = 9, 5  # 4 px for 3 steps, fading in 8 px over steps 3-6, 8 px from step 7
    full, resumed = [], []
    first, _ = make_trainer(0)
    first.fit(steps, log_every=1, callback=lambda s, logs: full.append(logs))
    assert [round(x["lod"], 4) for x in full] == [1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    second, _ = make_trainer(0)
    second.fit(stop, log_every=1, callback=lambda s, logs: resumed.append(logs), checkpoint_dir=tmp_path,
               checkpoint_every=stop)
    state = second.state_dict()
    assert state["objective"]["images_seen"] == 32 and state["objective"]["alpha"] == pytest.approx(0.25)
    assert state["models"]["generator"][generator_lod_key].item() == pytest.approx(0.75)
    third, obj3 = make_trainer(7, data_seed=3)  # other weights and data order: all of it must come from the checkpoint
    assert third.resume(tmp_path) and third.step == stop and obj3.state.lod == pytest.approx(0.75)
    third.fit(steps - stop, log_every=1, callback=lambda s, logs: resumed.append(logs))
    assert resumed == full
    assert third.ema.module.lod.item() == 0.0  # the EMA generator carries the growing state too


def check_other_schedule_refused(obj, other):
    """A checkpoint of `obj` (at step 4) is refused by `other`, an objective on another schedule."""
    obj.begin_step(4, {"generator": LinearCritic(), "discriminator": LinearCritic()})
    with pytest.raises(ValueError, match="another schedule"):
        other.load_state_dict(obj.state_dict())
