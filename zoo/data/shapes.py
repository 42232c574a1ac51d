"""What shape of sample a dataset gives, and fitting an architecture's config to it.

A dataset class may declare `sample_shape = SampleShape(...)`: the channel counts and resolutions it
can produce and which it gives by default. `zoo train` reads it so that a newcomer's
`zoo train dcgan --dataset digits` trains a grey model instead of failing on its first batch: the
`channels` and `resolution` the user left unset are taken from the dataset, and ones the user set that
the dataset cannot give are refused with the `--config` that would fit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from zoo.errors import ZooError


class DatasetShapeError(ZooError, ValueError):
    """The configured channels or resolution is one the dataset cannot give."""


@dataclass(frozen=True)
class SampleShape:
    """`channels`: the channel counts the dataset can give (the first is its own); `resolutions`: the
    sizes it can give (None: any, it resamples); `default_resolution`: its size when none is asked."""

    channels: tuple[int, ...]
    resolutions: tuple[int, ...] | None = None
    default_resolution: int | None = None


def dataset_sample_shape(name: str) -> SampleShape | None:
    """The registered dataset's declared SampleShape, or None when it declares none."""
    from zoo import registry
    from zoo.records import import_object

    cls = import_object(registry.catalog().get("dataset", name).builder)
    return getattr(cls, "sample_shape", None)


def _nearest(value: int, choices: tuple[int, ...]) -> int:
    """The closest choice, the larger one on a tie (upsampling loses less than downsampling)."""
    return min(choices, key=lambda c: (abs(c - value), -c))


def _listed(values: tuple[int, ...]) -> str:
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def fit_config(dataset: str, shape: SampleShape, defaults: Mapping[str, Any],
               user: Mapping[str, Any]) -> dict[str, Any]:
    """The `channels`/`resolution` to add to the user's config so the architecture fits the dataset.

    Only keys the architecture has (`defaults`) and the user did not set (`user`) are filled: channels
    become the dataset's own; the architecture's resolution is kept when the dataset can give it, else
    the dataset's nearest size is taken. A user's value the dataset cannot give is a DatasetShapeError
    naming the `--config` that fits.
    """
    fitted: dict[str, Any] = {}
    if "channels" in defaults:
        if "channels" in user:
            if user["channels"] not in shape.channels:
                raise DatasetShapeError(
                    f"{dataset} images have {_listed(shape.channels)} channel(s), not {user['channels']}; "
                    f"pass --config channels={shape.channels[0]}")
        elif defaults["channels"] != shape.channels[0]:
            fitted["channels"] = shape.channels[0]
    if "resolution" in defaults and shape.resolutions is not None:
        if "resolution" in user:
            if user["resolution"] not in shape.resolutions:
                raise DatasetShapeError(
                    f"{dataset} come at {_listed(shape.resolutions)} px, not {user['resolution']}; "
                    f"pass --config resolution={_nearest(int(user['resolution']), shape.resolutions)}")
        elif defaults["resolution"] not in shape.resolutions:
            fitted["resolution"] = _nearest(int(defaults["resolution"]), shape.resolutions)
    return fitted
