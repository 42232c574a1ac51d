"""A toy GAN run, started by test_train_distributed.py under torchrun (2 processes, gloo) or directly
(1 process). Writes the final weights and the logged losses to OUT (rank 0)."""
import json
import sys
from pathlib import Path

import torch
from train_toys import BatchNoiseGAN, PointDiscriminator, PointGenerator, point_batches_tensors

from zoo.data.batches import TensorBatches
from zoo.training.trainer import Trainer
from zoo.training import distributed


def main(out: str, steps: int, global_batch: int) -> None:
    torch.set_num_threads(1)
    ctx, device = distributed.init_from_env("cpu")
    torch.manual_seed(0)
    models = {"generator": PointGenerator(), "discriminator": PointDiscriminator()}
    batches = TensorBatches(point_batches_tensors(), batch_size=global_batch, seed=0)
    objective = BatchNoiseGAN(d_steps=2, r1_gamma=1.0, r1_interval=2, feature_penalty=0.01)
    trainer = Trainer(models, objective, batches, device=device, ema=0.9, dist=ctx)
    losses = []
    trainer.fit(steps, log_every=1, progress=False, callback=lambda s, logs: losses.append(logs),
                checkpoint_dir=Path(out) / "checkpoints", checkpoint_every=steps // 2)
    if ctx.is_main:
        weights = {f"{role}.{k}": v for role, m in trainer.models.items() for k, v in m.state_dict().items()}
        weights.update({f"ema.{k}": v for k, v in trainer.ema.state_dict().items()})
        torch.save(weights, Path(out) / "weights.pt")
        (Path(out) / "losses.json").write_text(json.dumps(losses))
    distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
