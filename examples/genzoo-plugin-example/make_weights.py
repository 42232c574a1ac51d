"""Re-create the shipped weight set lsgan-mlp.digits-16 and print its sha256 block.

Run it with this package installed (`pip install --no-build-isolation -e .`), from this folder:

    OMP_NUM_THREADS=1 python make_weights.py

It trains with genzoo's generic trainer (the plugin's own objective drives it), writes
src/genzoo_plugin_example/weights/digits-16/ (config.json, generator/discriminator safetensors, model
card) and prints the `files` mapping to paste into WEIGHT_FILES in genzoo_plugin_example/__init__.py.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from zoo.hub import file_hashes
from zoo.training.recipe import train_architecture

STEPS, BATCH_SIZE, SEED = 3000, 64, 0
TARGET = Path(__file__).resolve().parent / "src" / "genzoo_plugin_example" / "weights" / "digits-16"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        recipe = f"python make_weights.py  (train_architecture('lsgan-mlp', dataset='digits', steps={STEPS}, " \
                 f"batch_size={BATCH_SIZE}, seed={SEED}))"
        out = train_architecture("lsgan-mlp", dataset="digits", steps=STEPS, batch_size=BATCH_SIZE, seed=SEED,
                                 out=Path(tmp) / "run", recipe=recipe, progress=False)
        hashes = file_hashes(out)
        TARGET.mkdir(parents=True, exist_ok=True)
        for old in TARGET.iterdir():
            old.unlink()
        for entry in [*hashes.values(), {"filename": "README.md"}]:
            shutil.copyfile(out / entry["filename"], TARGET / entry["filename"])
        print((out / "log.jsonl").read_text().splitlines()[-1])
    print("WEIGHT_FILES = {")
    for role, entry in hashes.items():
        print(f"    {role!r}: ({entry['filename']!r}, {entry['sha256']!r}),".replace("'", '"'))
    print("}")


if __name__ == "__main__":
    main()
