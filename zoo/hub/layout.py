"""The saved layout of a weight set: config.json, one safetensors file per component, a model card.
Reading it, and writing it (`save_pretrained`)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

from zoo.errors import WeightsNotFoundError
from zoo.hub.checksums import sha256_of
from zoo.schema import FORMAT_VERSION  # noqa: F401 (the version save_pretrained writes; public)

CONFIG_NAME = "config.json"
# what `zoo train` leaves beside the weights and `push_to_hub` does not upload
TRAINING_ARTIFACTS = ("checkpoints/*", "samples/*", "tensorboard/*", "log.jsonl", ".genzoo-save-*")
CARD_NAME = "README.md"


def read_config(folder: Path) -> dict[str, Any]:
    """The folder's config.json, validated (zoo.schema.config_file) and migrated to the current format in
    memory: {"genzoo_format", "architecture", "components", "config" (sectioned)}."""
    from zoo.schema.config_file import parse_config_text

    path = folder / CONFIG_NAME
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise WeightsNotFoundError(f"{path}: unreadable config ({exc})") from exc
    return parse_config_text(text, where=str(path))


def load_state_dicts(folder: Path, components: Mapping[str, str], roles=None) -> dict[str, dict]:
    from safetensors.torch import load_file

    return {role: load_file(str(folder / filename)) for role, filename in components.items()
            if roles is None or role in roles}


def save_pretrained(model, folder: str | os.PathLike, *, card: Mapping[str, Any] | None = None) -> Path:
    """Write one safetensors file per component, a model card, and config.json last.

    Files are written to a staging folder and moved in one by one (each move is atomic), config.json
    last, so a reader never finds a config naming a half-written file. Other files in `folder`
    (a training log, say) are left alone.
    """
    from safetensors.torch import save_file

    from zoo.build import section_roles
    from zoo.card import model_card
    from zoo.schema.config_file import config_document

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".genzoo-save-", dir=folder))
    try:
        components = {}
        for role, module in model.components.items():
            filename = f"{role}.safetensors"
            state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
            save_file(state, str(staging / filename), metadata={"format": "pt", "genzoo.role": role})
            components[role] = filename
        config = config_document(model.architecture.name, model.config, components,
                                 section_roles(model.architecture))
        (staging / CARD_NAME).write_text(model_card(model, dict(card or {})))
        (staging / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        for name in [*components.values(), CARD_NAME, CONFIG_NAME]:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def file_hashes(folder: Path) -> dict[str, dict[str, str]]:
    """The `source.files` block of a registry entry for a saved folder."""
    config = read_config(folder)
    files = {"config": CONFIG_NAME, **config["components"]}
    return {role: {"filename": name, "sha256": sha256_of(folder / name)} for role, name in files.items()}
