"""Model cards (README.md) for saved weight sets, written with huggingface_hub's ModelCard so the Hub
reads their metadata: library, tags (the paper as `arxiv:ID`), license, datasets, the measured metrics
as `model-index` eval results, and, for converted official weights, where they came from.

`model_card(model, extra)` takes these keys in `extra` (all optional): name, load_name, license,
dataset, recipe (the training command), training (a mapping shown as a list), metrics (name -> number,
or name -> {numbers..., extractor, against, n, seed} as `zoo eval` records them), and for converted
weights source_file, source_sha256, converter, source_url. The card is deterministic: the same model
and `extra` give the same bytes.
"""
from __future__ import annotations

import json
from numbers import Number
from typing import Any, Mapping

# how `zoo eval` describes a measurement; every other key of a metric's entry is one of its numbers
PROTOCOL_KEYS = ("extractor", "against", "n", "seed")
ORIGIN_KEYS = ("source_file", "source_sha256", "converter", "source_url")
# the Hub's pipeline tag for a model's first task
PIPELINE_TAGS = {"generate": "unconditional-image-generation", "encode": "image-feature-extraction",
                 "reconstruct": "image-to-image", "interpolate": "unconditional-image-generation",
                 "edit": "image-to-image", "upscale": "image-to-image", "inpaint": "image-to-image",
                 "synthesize": "image-to-image", "mix_styles": "unconditional-image-generation",
                 "translate": "image-to-image"}


def arxiv_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def metric_numbers(values: Any) -> dict[str, Any]:
    """The numbers of one metric entry: a bare number is its own value, a mapping less its protocol."""
    if isinstance(values, Mapping):
        return {k: v for k, v in values.items() if k not in PROTOCOL_KEYS}
    return {"value": values}


def eval_results(metrics: Mapping[str, Any], *, task_type: str, dataset: str | None) -> list:
    """huggingface_hub EvalResults (-> model-index) for the numeric values of `metrics`, sorted by name.

    Results are on `dataset` (or, without one, the first word of the metric's `against`). Each number
    is one result: `fid` gives type "fid", `pr` gives "precision" and "recall"; the protocol
    (extractor, against, n, seed) goes in the result's args.
    """
    from huggingface_hub import EvalResult

    results = []
    for metric in sorted(metrics):
        values = metrics[metric]
        protocol = {k: values[k] for k in PROTOCOL_KEYS if isinstance(values, Mapping) and k in values}
        # the Hub groups results by dataset id, so what exactly was measured against goes in the args
        data_id = str(dataset or str(protocol.get("against") or "unspecified").split(" ")[0])
        for key, number in sorted(metric_numbers(values).items()):
            if isinstance(number, bool) or not isinstance(number, Number):
                continue
            name = metric if key in ("value", metric) else key
            results.append(EvalResult(
                task_type=task_type, dataset_type=data_id, dataset_name=data_id, metric_type=name, metric_name=name,
                metric_value=_plain(number), metric_args={k: _plain(v) for k, v in protocol.items()} or None))
    return results


def card_text(data, body: str) -> str:
    """A README.md: the ModelCardData as YAML front matter, then the markdown body."""
    return f"---\n{data.to_yaml()}\n---\n\n{body.lstrip(chr(10))}"


def model_card(model, extra: Mapping[str, Any]) -> str:
    from huggingface_hub import ModelCardData

    arch = model.architecture
    name = str(extra.get("name", arch.name))
    dataset = extra.get("dataset")
    task_type = PIPELINE_TAGS.get(arch.tasks[0] if arch.tasks else "generate", "unconditional-image-generation")
    metrics = extra.get("metrics") or {}
    origin = {k: str(extra[k]) for k in ORIGIN_KEYS if extra.get(k)}
    tags = ["genzoo", arch.name, "generative"] + ([f"arxiv:{arch.paper.arxiv}"] if arch.paper.arxiv else [])
    data = ModelCardData(
        library_name="genzoo", license=extra.get("license", "mit"), tags=tags, pipeline_tag=task_type,
        datasets=[str(dataset)] if dataset else None, model_name=name,
        eval_results=eval_results(metrics, task_type=task_type, dataset=dataset) or None,
        genzoo={"architecture": arch.name, **origin})
    return card_text(data, _body(model, extra, name, metrics, origin))


def _body(model, extra: Mapping[str, Any], name: str, metrics: Mapping[str, Any], origin: Mapping[str, str]) -> str:
    arch, paper = model.architecture, model.architecture.paper
    reference = f"[{paper}]({arxiv_url(paper.arxiv)})" if paper.arxiv else str(paper)
    lines = [f"# {name}", "",
             (f"A `{arch.name}` model for [genzoo](https://pypi.org/project/genzoo/): "
              f"{arch.description or paper.title}."), "",
             f"**Paper**: {reference}", "",
             "## Use", "", "```python", "import zoo",
             f"model = zoo.load({extra.get('load_name', 'local-dir:PATH')!r})", "```", "",
             "## Components", "", "| role | parameters |", "|---|---|"]
    lines += [f"| {role} | {n:,} |" for role, n in model.parameter_counts().items()]
    lines += ["", "## Config", "", "```json", json.dumps(model.config, indent=2, sort_keys=True), "```", ""]
    if origin:
        lines += ["## Origin", "", "Converted from the authors' official weights:", ""]
        lines += [f"- {key.replace('_', ' ')}: `{value}`" for key, value in origin.items()] + [""]
    if extra.get("recipe"):
        lines += ["## Training recipe", "", "```", str(extra["recipe"]), "```", ""]
    if extra.get("dataset"):
        lines += [f"**Data**: {extra['dataset']}", ""]
    if extra.get("training"):
        lines += ["## Training run", ""] + [f"- {k}: {v}" for k, v in extra["training"].items()] + [""]
    lines += ["## Measured metrics", ""] + (metric_table(metric_rows(metrics)) if metrics else ["None measured yet."])
    return "\n".join(lines) + "\n"


def metric_rows(metrics: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """metric -> (its numbers, how it was measured), as the "Measured metrics" table shows them."""
    rows = {}
    for metric, values in metrics.items():
        numbers = metric_numbers(values)
        shown = str(numbers["value"]) if list(numbers) == ["value"] else ", ".join(f"{k}={v}" for k, v in numbers.items())
        rows[metric] = (shown, describe_protocol(values) if isinstance(values, Mapping) else "")
    return rows


def describe_protocol(values: Mapping[str, Any]) -> str:
    return (f"{values.get('extractor')} vs {values.get('against')}, n={values.get('n')}, "
            f"seed={values.get('seed')}")


def metric_table(rows: Mapping[str, tuple[str, str]]) -> list[str]:
    return ["| metric | value | measured with |", "|---|---|---|"] + [
        f"| {m} | {v} | {p} |" for m, (v, p) in sorted(rows.items())]


def _plain(value: Any) -> Any:
    """Numbers as YAML can write them (numpy and torch scalars become Python ones)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    item = getattr(value, "item", None)
    return _plain(item()) if callable(item) else str(value)
