"""Writing measured metrics down: into a weight set's registry.yaml entry (`metrics:`) and its model card
("Measured metrics"), or a `local-dir:` folder's card (`zoo eval --write-card`)."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping


def round_value(v):
    return round(float(v), 6) if isinstance(v, float) else v


def metric_entries(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The registry's `metrics:` mapping: each metric's numbers and how they were measured."""
    return {metric: {**values, **result["protocol"]} for metric, values in result["metrics"].items()}


def update_card(card_path: Path, entries: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace (or add) the card's "## Measured metrics" section and its model-index eval results (the
    Hub's metadata), keeping metrics measured before; a card without metadata gains it."""
    from huggingface_hub import ModelCard, ModelCardData

    from zoo.card import PIPELINE_TAGS, card_text, eval_results, metric_rows, metric_table

    text = card_path.read_text() if card_path.is_file() else ""
    card = ModelCard(text, ignore_metadata_errors=True) if text.startswith("---") else None
    data, body = (card.data, card.text) if card else (ModelCardData(), text)
    known = _card_rows(body)
    known.update(metric_rows(entries))
    section = "\n".join(["## Measured metrics", ""] + metric_table(known)) + "\n"
    match = re.search(r"^## Measured metrics\n.*?(?=^## |\Z)", body, flags=re.S | re.M)
    if match:
        rest = body[match.end():]
        body = body[:match.start()] + section + ("\n" + rest if rest else "")
    else:
        body = (body.rstrip("\n") + "\n\n" if body.strip() else "") + section
    old = list(data.eval_results or [])
    task_type = old[0].task_type if old else (data.pipeline_tag or PIPELINE_TAGS["generate"])
    datasets = [data.datasets] if isinstance(data.datasets, str) else (data.datasets or [None])
    new = eval_results(entries, task_type=task_type, dataset=datasets[0])
    measured = {r.metric_type for r in new}
    data.eval_results = sorted([r for r in old if r.metric_type not in measured] + new,
                               key=lambda r: (r.metric_type, r.dataset_type))
    data.model_name = data.model_name or card_path.parent.name or "model"
    card_path.write_text(card_text(data, body))


def _card_rows(text: str) -> dict[str, tuple[str, str]]:
    rows = {}
    match = re.search(r"^## Measured metrics\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    for line in (match.group(1).splitlines() if match else []):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) in (2, 3) and cells[0] not in ("metric", "---") and line.lstrip().startswith("|"):
            rows[cells[0]] = (cells[1], cells[2] if len(cells) == 3 else "")
    return rows


def update_registry(path: Path, name: str, entries: Mapping[str, Mapping[str, Any]]) -> None:
    """Set `metrics:` of entry `name` in registry.yaml by a targeted text edit (comments and the other
    entries stay as they are), keeping metrics measured before; the result is validated before it is
    written (atomically)."""
    import yaml

    from zoo.errors import RegistryError
    from zoo.registry import parse_registry

    text = path.read_text()
    data = yaml.safe_load(text) or {}
    if name not in data:
        raise RegistryError(f"{path}: no entry {name!r} to write metrics into")
    merged = {**(data[name].get("metrics") or {}), **{k: dict(v) for k, v in entries.items()}}
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^['\"]?{re.escape(name)}['\"]?\s*:\s*$")
    start = next(i for i, line in enumerate(lines) if head.match(line.rstrip("\n")))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and column-0 comments before the next entry belong to it
    fields = [i for i in range(start + 1, end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    indent = len(lines[fields[0]]) - len(lines[fields[0]].lstrip()) if fields else 2
    block = yaml.safe_dump({"metrics": merged}, sort_keys=True, default_flow_style=None, width=100,
                           allow_unicode=True)
    block_lines = [" " * indent + line + "\n" for line in block.splitlines()]
    at = next((i for i in fields if re.match(rf"^ {{{indent}}}metrics\s*:", lines[i])), None)
    if at is None:
        lines[end:end] = block_lines
    else:
        stop = at + 1
        while stop < end and (not lines[stop].strip() or len(lines[stop]) - len(lines[stop].lstrip()) > indent):
            stop += 1
        lines[at:stop] = block_lines
    new_text = "".join(lines)
    parse_registry(yaml.safe_load(new_text))  # refuse to write an invalid registry
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".registry-", suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(new_text)
    os.replace(tmp, path)


def write_results(name: str, result: Mapping[str, Any]) -> list[Path]:
    """Record the numbers in the registry entry and model card of `name`; returns the files written."""
    from zoo import hub, registry

    entries = metric_entries(result)
    written = []
    if name.startswith("local-dir:"):
        card = Path(name[len("local-dir:"):]).expanduser() / hub.CARD_NAME
        update_card(card, entries)
        return [card]
    if name.startswith("hf-hub:"):
        raise ValueError("--write-card needs a registry name or local-dir:PATH; an hf-hub: repo is not ours to edit")
    ws = registry.catalog().weight_set(name)
    if ws.plugin == "registry.yaml":
        path = registry.registry_yaml_path()
        update_registry(path, ws.name, entries)
        written.append(path)
    if ws.shipped:
        card = hub.shipped_folder(ws) / hub.CARD_NAME
        update_card(card, entries)
        written.append(card)
    return written
