"""Network interpolation (Wang et al. 2018, ESRGAN, Sec. 3.4): θ_G^INTERP = (1 − α) θ_G^PSNR + α θ_G^GAN,
a continuous trade between the PSNR-oriented model's smoothness and the GAN model's detail without
retraining. Both networks must have one architecture (the GAN stage is trained from the PSNR stage).
"""
from __future__ import annotations

import copy
from typing import Mapping

from torch import Tensor

from zoo.errors import ZooError


def interpolate_weights(psnr: Mapping[str, Tensor], gan: Mapping[str, Tensor], alpha: float) -> dict[str, Tensor]:
    """(1 − α)·psnr + α·gan for every floating tensor; other tensors (counters) taken from `gan`."""
    if not 0.0 <= alpha <= 1.0:
        raise ZooError(f"alpha must lie in [0, 1], got {alpha}")
    if set(psnr) != set(gan):
        missing = sorted(set(psnr) ^ set(gan))[:3]
        raise ZooError(f"the two networks differ in their tensors ({', '.join(missing)}, ...): interpolation needs "
                       "one architecture")
    out = {}
    for key, theta_gan in gan.items():
        theta_psnr = psnr[key]
        if theta_psnr.shape != theta_gan.shape:
            raise ZooError(f"{key}: shapes {tuple(theta_psnr.shape)} and {tuple(theta_gan.shape)} differ")
        out[key] = (1 - alpha) * theta_psnr + alpha * theta_gan if theta_gan.is_floating_point() else theta_gan.clone()
    return out


class InterpolationTask:
    def interpolate_networks(self, psnr_model, alpha: float):
        """A copy of this (GAN-stage) model whose generator is (1 − α)·`psnr_model`'s + α·this one's
        (`psnr_model`: a loaded model or a name zoo.load takes). α = 1: this model; α = 0: the PSNR model."""
        if isinstance(psnr_model, str):
            import zoo

            psnr_model = zoo.load(psnr_model)
        blended = copy.deepcopy(self)
        state = interpolate_weights(psnr_model.components["generator"].state_dict(),
                                    self.components["generator"].state_dict(), float(alpha))
        blended.components["generator"].load_state_dict(state)
        return blended
