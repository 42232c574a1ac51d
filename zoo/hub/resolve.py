"""From a model name to the folder of its files: `local-dir:PATH`, `hf-hub:org/repo[@rev]`, a registered
weight set in genzoo's layout (zoo.hub.fetch), or an official checkpoint converted once and cached
(zoo.hub.official)."""
from __future__ import annotations

from pathlib import Path

from zoo import records
from zoo.errors import WeightsNotFoundError
from zoo.hub.fetch import fetch_hf_hub, fetch_weight_set
from zoo.hub.folder_swap import recover_interrupted_save
from zoo.hub.layout import CONFIG_NAME
from zoo.hub.names import parse_hf_hub
from zoo.hub.official import fetch_official


def resolve_folder(name: str, catalog, *, trust_unpinned: bool = False) -> tuple[Path, records.WeightSet | None]:
    """Where the files of `name` are: `local-dir:`, `hf-hub:`, or a registered weight set (an official
    one is converted once and cached by zoo.hub.official; `trust_unpinned` lets an unpinned file in)."""
    if name.startswith("local-dir:"):
        folder = Path(name[len("local-dir:"):]).expanduser()
        recover_interrupted_save(folder)  # a save killed half-way is resolved before reading
        if not (folder / CONFIG_NAME).is_file():
            raise WeightsNotFoundError(f"{name!r}: no {CONFIG_NAME} in {folder}")
        return folder, None
    if name.startswith("hf-hub:"):
        return fetch_hf_hub(parse_hf_hub(name)), None
    ws = catalog.weight_set(name)
    if ws.source.official:
        return fetch_official(ws, catalog, trust_unpinned=trust_unpinned), ws
    return fetch_weight_set(ws), ws


