"""The saved layout of a weight set: config.json, one safetensors file per component, a model card.
Reading it, and writing it (`save_pretrained`)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

from zoo.errors import WeightsFormatError, WeightsNotFoundError
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
    return {role: read_safetensors(folder, role, filename) for role, filename in components.items()
            if roles is None or role in roles}


def read_safetensors(folder: Path, role: str, filename: str) -> dict:
    """One component's tensors; a bad name or a truncated or foreign file is a one-line error."""
    from safetensors.torch import load_file

    from zoo.hub.names import check_filename

    check_filename(filename, what=f"{folder / CONFIG_NAME}: component {role!r}'s file")
    path = folder / filename
    try:
        return load_file(str(path))
    except Exception as exc:  # SafetensorError, OSError, a header the library rejects
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise WeightsFormatError(f"{path}: the {role!r} weights are not a readable safetensors file ({detail}); "
                                 f"the file is missing, truncated or corrupt: save or download it again") from None


def save_pretrained(model, folder: str | os.PathLike, *, card: Mapping[str, Any] | None = None) -> Path:
    """Write one safetensors file per component, a model card and config.json, as one folder swap.

    The complete new folder is staged beside `folder` and swapped in (zoo.hub.folder_swap), so a save
    killed at any moment leaves the whole old folder or the whole new one. Files that are not part of
    the weight set (log.jsonl, checkpoints/, samples/ of `zoo train`) are carried into the new folder.
    The bytes depend only on the weights, config and card: saving the same model twice gives the same
    sha256s.
    """
    from zoo.build import section_roles
    from zoo.card import model_card
    from zoo.hub import folder_swap
    from zoo.schema.config_file import config_document

    folder = Path(os.path.abspath(folder))
    folder_swap.recover_interrupted_save(folder)
    staging = folder_swap.staging_folder(folder)
    try:
        components = {}
        for role, module in model.components.items():
            filename = f"{role}.safetensors"
            state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
            folder_swap.write_file(staging / filename, folder_swap.stable_safetensors(
                state, {"format": "pt", "genzoo.role": role}))
            components[role] = filename
        config = config_document(model.architecture.name, model.config, components,
                                 section_roles(model.architecture))
        folder_swap.write_file(staging / CARD_NAME, model_card(model, dict(card or {})).encode())
        folder_swap.write_file(staging / CONFIG_NAME,
                               (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
        folder_swap.carry_over(folder, staging, skip=_weight_set_names(folder) | set(staging_names(staging)))
        folder_swap.swap_in(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def staging_names(staging: Path) -> list[str]:
    return [p.name for p in staging.iterdir()]


def _weight_set_names(folder: Path) -> set[str]:
    """The names the old folder's weight set occupies (config, card, its component files)."""
    names = {CONFIG_NAME, CARD_NAME}
    try:
        components = json.loads((folder / CONFIG_NAME).read_text()).get("components", {})
        names |= {str(f).split("/")[0] for f in components.values()} if isinstance(components, dict) else set()
    except (OSError, ValueError, AttributeError):
        pass
    return names


def file_hashes(folder: Path) -> dict[str, dict[str, str]]:
    """The `source.files` block of a registry entry for a saved folder."""
    config = read_config(folder)
    files = {"config": CONFIG_NAME, **config["components"]}
    return {role: {"filename": name, "sha256": sha256_of(folder / name)} for role, name in files.items()}
