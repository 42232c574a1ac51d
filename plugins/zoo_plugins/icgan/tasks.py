"""IcGAN's editing (Perarnau et al. 2016, Sec. 3.1 and Fig. 1): encode a real image x to (z, y) with E_z
and E_y, change y, decode G(z, y').

y is [one-hot class, attributes] (zoo.nn.conditional_dcgan). E_y regresses the one-hot part; it is
snapped to the one-hot row of its largest entry before decoding, since G only ever saw one-hot classes.
Attributes are in units of the digits' standard deviation (zoo.data.digits), so thickness=+1 is one
standard deviation thicker.

A class change keeps the digit's attributes relative to its class by default: each attribute moves by the
difference of the two classes' mean attributes (over the training digits), so a narrow 1 becomes a
narrow-for-a-0 0, not a 0 as narrow as a 1. Width and height depend strongly on the class, and y's that
pair a class with another class's typical shape lie off the training distribution (the literal edit, the
paper's y' with only the class entries changed, is `relative_to_class=False`; both are measured in
registry.yaml).
"""
from __future__ import annotations

import difflib
import functools
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.errors import ZooError
from zoo.tasks.checks import image_batch

ATTRIBUTE_NAMES = ("thickness", "slant", "width", "height")  # zoo.data.digits.ATTRIBUTE_NAMES, in y's order


class ConditionChangeError(ZooError, ValueError):
    """A --set change names an unknown condition or gives a value that does not parse."""


def parse_change(name: str, value: str | float | int, names: tuple[str, ...], num_classes: int):
    """One change as (name, kind, number): kind "class", "absolute" or "relative" ("+1", "-0.5")."""
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConditionChangeError(f"unknown condition {name!r}{hint} (known: {', '.join(names)})")
    text = str(value).strip()
    if name == "class":
        try:
            k = int(text)
        except ValueError:
            raise ConditionChangeError(f"class takes a digit 0-{num_classes - 1}, got {text!r}") from None
        if not 0 <= k < num_classes:
            raise ConditionChangeError(f"class takes a digit 0-{num_classes - 1}, got {k}")
        return name, "class", k
    try:
        number = float(text)
    except ValueError:
        raise ConditionChangeError(f"{name} takes a number of standard deviations (2, or +1/-1 to shift it), "
                                   f"got {text!r}") from None
    return name, "relative" if text[:1] in "+-" else "absolute", number


@functools.lru_cache(maxsize=1)
def class_attribute_means() -> Tensor:
    """(10, 4) mean standardised attributes of each class over the digits' training split."""
    from zoo.data.digits import Digits

    data = Digits(8, "train")
    return torch.stack([data.attributes[data.labels == k].mean(0) for k in range(10)])


def apply_changes(y: Tensor, changes: Mapping[str, str | float | int], num_classes: int,
                  class_means: Tensor | None = None) -> Tensor:
    """y (N, classes + attributes) with `changes` applied: a new class, attributes set or shifted. With
    `class_means` (classes, attributes), a class change also moves the attributes by
    class_means[new] − class_means[old] before any attribute change is applied."""
    names = ("class", *ATTRIBUTE_NAMES[: y.shape[1] - num_classes])
    parsed = [parse_change(k, v, names, num_classes) for k, v in changes.items()]
    y = y.clone()
    for name, kind, number in sorted(parsed, key=lambda change: change[1] != "class"):  # the class first
        if kind == "class":
            if class_means is not None:
                old = y[:, :num_classes].argmax(1)
                y[:, num_classes:] += (class_means[number] - class_means[old]).to(y)
            y[:, :num_classes] = F.one_hot(torch.full((len(y),), number), num_classes).to(y)
            continue
        j = num_classes + names.index(name) - 1
        y[:, j] = y[:, j] + number if kind == "relative" else torch.full_like(y[:, j], number)
    return y


class IcGANTask:
    """encode (z, y), reconstruct, edit_conditions: the IcGAN's image-editing tasks."""

    @property
    def condition_names(self) -> tuple[str, ...]:
        G = self.components["generator"]
        return ("class", *ATTRIBUTE_NAMES[: G.y_dim - G.condition.num_classes])

    @torch.no_grad()
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(z, y) of images x in [-1, 1]: E_z(x), and E_y(x) with its class part snapped to one-hot."""
        E_z, E_y = self.components["encoder_z"], self.components["encoder_y"]
        spec = E_z.input
        x = image_batch(self.name, x, value_range=spec.value_range, channels=spec.shape[0],
                        size=tuple(spec.shape[1:]), what="image to encode").to(self.device)
        k = self.components["generator"].condition.num_classes
        y = E_y(x)
        y = torch.cat([F.one_hot(y[:, :k].argmax(1), k).to(y), y[:, k:]], 1)
        return E_z(x), y

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> Tensor:
        z, y = self.encode(x)
        return self.sampler(z, y)

    @torch.no_grad()
    def edit_conditions(self, x: Tensor, changes: Mapping[str, str | float | int], *,
                        relative_to_class: bool = True) -> Tensor:
        """Decode images x with their encoded y changed: {"class": 5, "thickness": "+1", "width": 2}.
        A class change keeps the attributes relative to the class unless relative_to_class=False."""
        z, y = self.encode(x)
        means = class_attribute_means().to(y) if relative_to_class and "class" in changes else None
        return self.sampler(z, apply_changes(y, changes, self.components["generator"].condition.num_classes, means))
