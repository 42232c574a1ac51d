"""Text to image: generate from captions, and interpolate between two captions (Reed et al. 2016,
arXiv:1605.05396, Sec. 5.3-5.4; StackGAN, arXiv:1612.03242, Fig. 7).

For generators whose condition is a text embedding. The captions are embedded by the zoo.text encoder
the generator names in its `text_encoder` attribute (its config's "text_encoder"); latents are drawn as
`generate` draws them, so a seed gives the same z whatever the captions.
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.tasks.checks import InputValueError
from zoo.tasks.generate import check_count


def check_captions(captions) -> list[str]:
    if isinstance(captions, str):
        captions = [captions]
    captions = list(captions)
    if not captions or not all(isinstance(c, str) and c.strip() for c in captions):
        raise InputValueError("captions must be one or more non-empty strings")
    return captions


class TextToImageTask:
    def embed_text(self, captions: str | list[str]) -> Tensor:
        """(N, D) embeddings of the captions by the generator's text encoder."""
        from zoo.text.pretrained import embed_captions

        g = self.sampler
        dim = g.condition.shape[0]
        embeddings = embed_captions(check_captions(captions), getattr(g, "text_encoder", "char-cnn-rnn"), dim)
        if embeddings.shape[1] != dim:
            raise InputValueError(f"{self.name}: its text encoder gives {embeddings.shape[1]}-d embeddings, "
                                  f"the generator takes {dim}-d")
        return embeddings

    @torch.no_grad()
    def generate_from_text(self, captions: str | list[str], n: int = 1, *, seed: int | None = None,
                           batch_size: int = 256) -> Tensor:
        """`n` samples of each caption, caption by caption: (len(captions) * n, C, H, W)."""
        check_count(n)
        c = self.embed_text(captions).repeat_interleave(n, 0)
        return self.generate(len(c), seed=seed, c=c, batch_size=batch_size)

    @torch.no_grad()
    def interpolate_text(self, caption_a: str, caption_b: str, steps: int = 8, *, n: int = 1,
                         seed: int | None = None) -> Tensor:
        """Rows of `steps` images from caption_a to caption_b, their text embeddings interpolated linearly
        and z fixed along each row; `n` rows (one z each): (n * steps, C, H, W)."""
        check_count(n)
        if check_count(steps, "steps") < 2:
            raise InputValueError(f"steps must be at least 2 (both ends), got {steps}")
        a, b = self.embed_text([caption_a, caption_b])
        w = torch.linspace(0, 1, steps)[:, None]
        c = ((1 - w) * a + w * b).repeat(n, 1)
        g = self.sampler
        if seed is None:
            seed = int(torch.randint(2 ** 62, (1,)))
        z = g.sample_latent(n, generator=torch.Generator().manual_seed(seed), device="cpu")
        z = z.repeat_interleave(steps, 0)
        return g(z.to(self.device), c.to(self.device))
