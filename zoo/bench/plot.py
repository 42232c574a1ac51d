"""`zoo bench --plot`: samples per second against batch size, one line per model, drawn with Pillow.

matplotlib is not a dependency (it would add several packages for one line chart), so the chart is
drawn directly: log2 batch size on x, log10 samples/s on y, a legend, and only rows with status ok.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable, Mapping

PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def series(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """{label: [(batch size, samples/s), ...]} per model (task/dtype/compile added when they vary)."""
    rows = [r for r in rows if r.get("status") == "ok" and r.get("samples_per_s")]
    varying = [k for k in ("task", "dtype", "compile", "device") if len({r.get(k) for r in rows}) > 1]
    out: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        label = " ".join([str(r["model"]), *(str(r.get(k)) for k in varying if r.get(k))])
        out.setdefault(label, []).append((int(r["batch_size"]), float(r["samples_per_s"])))
    return {k: sorted(v) for k, v in out.items()}


def plot_throughput(rows: Iterable[Mapping[str, Any]], path, *, title: str = "throughput",
                    size: tuple[int, int] = (900, 560)) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    data = series(rows)
    if not data:
        raise ValueError("nothing to plot: no row has status ok")
    try:
        font = ImageFont.load_default(size=14)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        font = ImageFont.load_default()
    width, height = size[0], max(size[1], 60 + 22 * len(data))  # room for every legend entry
    left, right, top, bottom = 80, 230, 40, 60
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    xs = [math.log2(b) for pts in data.values() for b, _ in pts]
    ys = [math.log10(v) for pts in data.values() for _, v in pts]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys)) if math.ceil(max(ys)) > math.floor(min(ys)) else math.floor(min(ys)) + 1

    def px(x, y):
        return (left + (x - x0) / (x1 - x0) * (width - left - right),
                height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom))

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for e in range(int(y0), int(y1) + 1):  # decades on y
        _, y = px(x0, e)
        draw.line([left, y, width - right, y], fill=(225, 225, 225))
        draw.text((left - 8, y), f"1e{e}", fill="black", font=font, anchor="rm")
    for b in sorted({b for pts in data.values() for b, _ in pts}):
        x, _ = px(math.log2(b), y0)
        draw.line([x, top, x, height - bottom], fill=(235, 235, 235))
        draw.text((x, height - bottom + 6), str(b), fill="black", font=font, anchor="mt")
    draw.text(((left + width - right) / 2, height - 20), "batch size", fill="black", font=font, anchor="mm")
    draw.text((12, top - 24), "samples / s (log scale)", fill="black", font=font)
    draw.text(((left + width - right) / 2, 14), title, fill="black", font=font, anchor="mm")
    for i, (label, pts) in enumerate(data.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = [px(math.log2(b), math.log10(v)) for b, v in pts]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3)
        for x, y in points:
            _marker(draw, i // len(PALETTE), x, y, colour)
        ly = top + 10 + 22 * i
        draw.line([width - right + 12, ly, width - right + 36, ly], fill=colour, width=3)
        _marker(draw, i // len(PALETTE), width - right + 24, ly, colour)
        draw.text((width - right + 42, ly), label[:24], fill="black", font=font, anchor="lm")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def _marker(draw, shape: int, x: float, y: float, colour) -> None:
    """Circle, square, triangle, diamond: lines beyond the palette's ten colours stay distinguishable."""
    r = 5
    shape %= 4
    if shape == 0:
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)
    elif shape == 1:
        draw.rectangle([x - r, y - r, x + r, y + r], fill=colour)
    elif shape == 2:
        draw.polygon([(x, y - r - 1), (x - r - 1, y + r), (x + r + 1, y + r)], fill=colour)
    else:
        draw.polygon([(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)], fill=colour)
