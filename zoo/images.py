"""Turning tensors into pictures: value-range conversion, grids, PNG files (no torchvision needed)."""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import Tensor


def to_range(x: Tensor, src: tuple[float, float], dst: tuple[float, float]) -> Tensor:
    """Map values linearly from the interval `src` to the interval `dst`."""
    if tuple(src) == tuple(dst):
        return x
    scale = (dst[1] - dst[0]) / (src[1] - src[0])
    return (x - src[0]) * scale + dst[0]


def to_uint8(x: Tensor, value_range: tuple[float, float] = (-1.0, 1.0)) -> Tensor:
    """Float images in `value_range` to uint8 [0, 255], rounding as PIL and the FID references do."""
    x = to_range(x.detach().float().cpu(), value_range, (0.0, 255.0))
    return x.add(0.5).clamp(0, 255).to(torch.uint8)


def make_grid(images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 0.0) -> Tensor:
    """Tile (N, C, H, W) images into one (C, H', W') image, `nrow` per row (default: square)."""
    if images.dim() != 4:
        raise ValueError(f"make_grid takes (N, C, H, W) images, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = images.new_full((c, rows * (h + padding) + padding, nrow * (w + padding) + padding), pad_value)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, y:y + h, x:x + w] = images[i]
    return grid


def save_grid(images: Tensor, path: str | Path, *, value_range=(-1.0, 1.0), nrow: int | None = None,
              scale: int = 1) -> Path:
    """Write images as one PNG grid; `scale` enlarges small images (nearest neighbour) for viewing."""
    from PIL import Image

    grid = make_grid(to_uint8(images, value_range), nrow=nrow)
    array = grid.permute(1, 2, 0).numpy()
    mode = "L" if array.shape[2] == 1 else "RGB"
    image = Image.fromarray(array[:, :, 0] if mode == "L" else array, mode=mode)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def save_image(image: Tensor, path: str | Path, *, value_range=(-1.0, 1.0)) -> Path:
    """Write one (C, H, W) image (C = 1 or 3) as a PNG/JPEG at its own size; a batch goes into a grid."""
    from PIL import Image

    if image.dim() == 4:
        return save_grid(image, path, value_range=value_range) if len(image) > 1 else \
            save_image(image[0], path, value_range=value_range)
    array = to_uint8(image, value_range).permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[:, :, 0], mode="L") if array.shape[2] == 1 else Image.fromarray(array, mode="RGB")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    return path


def load_image(path: str | Path, *, channels: int = 3, value_range=(-1.0, 1.0)) -> Tensor:
    """An image file as a (1, C, H, W) float tensor in `value_range` (C = 1: grey, 3: RGB)."""
    import numpy as np

    picture = _open(path).convert("L" if channels == 1 else "RGB")
    x = torch.from_numpy(np.asarray(picture, dtype=np.float32).copy())
    x = x[None] if x.dim() == 2 else x.permute(2, 0, 1)
    return to_range(x, (0.0, 255.0), tuple(value_range))[None]


def load_mask(path: str | Path) -> Tensor:
    """A mask picture as a (1, 1, H, W) bool tensor: light pixels (> 127) are holes."""
    import numpy as np

    return torch.from_numpy(np.asarray(_open(path).convert("L")) > 127)[None, None]


def load_label_map(path: str | Path, palette=None) -> Tensor:
    """A label map as (1, H, W) int64 class indices: a .npy of ints, a PNG whose pixel values (one channel,
    "L" or palette "P") are the class indices, or, with `palette` (a sequence of (r, g, b), class i drawn in
    palette[i]), a colour-coded RGB PNG; a colour that is no class's is an error naming it and a pixel."""
    import numpy as np

    from zoo.errors import ZooError

    path = Path(path)
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
        if array.dtype.kind not in "iub":
            raise ZooError(f"{path}: a label map .npy must hold integers, got {array.dtype}")
    else:
        picture = _open(path)
        if picture.mode in ("RGB", "RGBA") and palette is not None:
            array = label_map_from_colours(np.asarray(picture.convert("RGB")), palette, str(path))
        elif picture.mode not in ("L", "P", "I", "I;16"):
            hint = " (a colour-coded map needs the palette of its classes)" if picture.mode in ("RGB", "RGBA") else ""
            raise ZooError(f"{path}: a label map PNG must have one channel of class indices (mode L or P), "
                           f"got mode {picture.mode}{hint}")
        else:
            array = np.asarray(picture)
    x = torch.from_numpy(array.astype(np.int64))
    return x[None] if x.dim() == 2 else x


def label_map_from_colours(rgb, palette, where: str = "label map"):
    """(H, W, 3) uint8 colours → (H, W) int64 indices into `palette` (exact matches only)."""
    import numpy as np

    from zoo.errors import ZooError

    colours = np.asarray(palette, dtype=np.int64).reshape(-1, 3)
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    keys = (colours[:, 0] << 16) | (colours[:, 1] << 8) | colours[:, 2]
    out = np.full(codes.shape, -1, dtype=np.int64)
    for index, key in enumerate(keys):
        out[codes == key] = index
    if (out < 0).any():
        y, x = map(int, np.argwhere(out < 0)[0])
        raise ZooError(f"{where}: colour {tuple(int(v) for v in rgb[y, x])} at (x={x}, y={y}) is no class's colour; "
                       f"the palette has {[tuple(int(v) for v in c) for c in colours]}")
    return out


def _open(path: str | Path):
    from PIL import Image, UnidentifiedImageError

    from zoo.errors import ZooError

    try:
        picture = Image.open(path)
        picture.load()
    except FileNotFoundError:
        raise ZooError(f"no such file: {path}") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ZooError(f"cannot read {path} as an image: {exc}") from None
    return picture
