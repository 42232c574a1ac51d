"""Datasets that need no download, and batch iteration over them."""
from __future__ import annotations

from typing import Any, Mapping


def build_dataset(name: str, options: Mapping[str, Any] | None = None, **required: Any):
    """The registered dataset `name`, built with `required` keyword arguments (an error if it takes one
    not) and those of `options` it accepts (e.g. a resolution a procedural set may not have)."""
    from zoo import registry
    from zoo.build import instantiate
    from zoo.records import import_object

    cls = import_object(registry.catalog().get("dataset", name).builder)
    return instantiate(cls, options or {}, required, what=f"dataset {name!r}",
                       names={"root": "data root", "size": "data size"})
