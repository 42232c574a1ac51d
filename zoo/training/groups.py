"""Which parameters an update group holds, and which of them a loss actually reaches.

A group's role is a component ("discriminator") or one of its sub-modules ("generator.stage2",
resolved with `get_submodule`). Under DDP every parameter of a wrapped component must receive a
gradient in each backward, so the trainer adds a zero-weighted term that touches them all; to know
which parameters had a real gradient (and so may step) it walks the loss's autograd graph first.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from torch import Tensor, nn

from zoo.errors import ZooError


class UpdateGroupError(ZooError, ValueError):
    """An update group names a component or sub-module the model does not have."""


def resolve_role(models: Mapping[str, nn.Module], role: str, group: str) -> nn.Module:
    """The module `role` names: a component, or "component.path.to.submodule"."""
    component, _, path = role.partition(".")
    if component not in models:
        raise UpdateGroupError(f"update group {group!r} needs component {component!r}; have {sorted(models)}")
    if not path:
        return models[component]
    try:
        return models[component].get_submodule(path)
    except AttributeError:
        children = [name for name, _ in models[component].named_children()]
        raise UpdateGroupError(f"update group {group!r}: component {component!r} has no sub-module {path!r}; "
                               f"its top-level children are {children}") from None


def group_parameters(models: Mapping[str, nn.Module], roles: Iterable[str], group: str) -> list[nn.Parameter]:
    """The trainable parameters of `roles`, each once, in module order."""
    seen: set[int] = set()
    params = []
    for role in roles:
        for p in resolve_role(models, role, group).parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def reached_parameters(loss: Tensor, params: Iterable[Tensor]) -> set[int]:
    """The ids of those `params` whose gradient `loss.backward()` would compute (its graph reaches them)."""
    wanted = {id(p) for p in params}
    reached: set[int] = set()
    if loss.grad_fn is None:
        return reached
    stack, visited = [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        variable = getattr(node, "variable", None)  # AccumulateGrad: the leaf it accumulates into
        if variable is not None and id(variable) in wanted:
            reached.add(id(variable))
        stack.extend(next_node for next_node, _ in node.next_functions)
    return reached


def split_batch(batch: Mapping[str, object], parts: int) -> list[tuple[dict, float]]:
    """`batch` cut into `parts` micro-batches along dim 0, each with its share of the batch (len/len)."""
    sizes = {len(v) for v in batch.values() if isinstance(v, Tensor) and v.dim() > 0}
    if len(sizes) != 1:
        raise ValueError(f"gradient accumulation splits the batch's tensors along their first dimension, "
                         f"which must be one length; got lengths {sorted(sizes)}")
    n = sizes.pop()
    if parts > n:
        raise ValueError(f"cannot split a batch of {n} into {parts} micro-batches")
    bounds = [i * n // parts for i in range(parts + 1)]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        micro = {k: v[lo:hi] if isinstance(v, Tensor) and v.dim() > 0 else v for k, v in batch.items()}
        out.append((micro, (hi - lo) / n))
    return out
