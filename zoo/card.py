"""Model cards (README.md with Hub metadata) generated for saved weight sets."""
from __future__ import annotations

import json
from typing import Any, Mapping


def model_card(model, extra: Mapping[str, Any]) -> str:
    arch = model.architecture
    counts = model.parameter_counts()
    meta = {
        "library_name": "genzoo",
        "license": extra.get("license", "mit"),
        "tags": ["genzoo", arch.name, "generative"],
    }
    if extra.get("dataset"):
        meta["datasets"] = [extra["dataset"]]
    lines = ["---"] + [f"{k}: {json.dumps(v)}" for k, v in meta.items()] + ["---", ""]
    lines += [f"# {extra.get('name', arch.name)}", "",
              f"A `{arch.name}` model for [genzoo](https://pypi.org/project/genzoo/): "
              f"{arch.description or arch.paper.title}.", "",
              f"**Paper**: {arch.paper}", "",
              "## Use", "", "```python", "import zoo",
              f"model = zoo.load({extra.get('load_name', 'local-dir:PATH')!r})", "```", "",
              "## Components", "", "| role | parameters |", "|---|---|"]
    lines += [f"| {role} | {n:,} |" for role, n in counts.items()]
    lines += ["", "## Config", "", "```json", json.dumps(model.config, indent=2, sort_keys=True), "```", ""]
    if extra.get("recipe"):
        lines += ["## Training recipe", "", "```", str(extra["recipe"]), "```", ""]
    if extra.get("dataset"):
        lines += [f"**Data**: {extra['dataset']}", ""]
    if extra.get("training"):
        lines += ["## Training run", ""] + [f"- {k}: {v}" for k, v in extra["training"].items()] + [""]
    metrics = extra.get("metrics") or {}
    lines += ["## Measured metrics", ""]
    if metrics:
        lines += ["| metric | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in metrics.items()]
    else:
        lines += ["None measured yet."]
    return "\n".join(lines) + "\n"
