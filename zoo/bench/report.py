"""Benchmark results as a terminal table, JSON, CSV and markdown, and the comparison of two runs.

Nothing here imports torch: reports and comparisons work on the JSON documents alone.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

# CSV columns, in order (rows may lack some: CPU rows have no CUDA memory, failed rows no timings).
COLUMNS = (
    "model", "architecture", "config", "task", "batch_size", "dtype", "device", "device_name", "compile",
    "channels_last", "cuda_graphs", "status", "error", "samples_per_s", "latency_median_ms", "latency_p95_ms",
    "latency_min_ms", "latency_max_ms", "latency_spread_pct", "params", "flops_per_sample",
    "achieved_flops_per_s", "peak_flops_per_s", "peak_source", "mfu", "mem_peak_allocated_mib",
    "mem_peak_reserved_mib", "mem_rss_growth_mib", "mem_peak_rss_mib", "precision", "warmup", "iters",
    "timed_seconds", "tf32_matmul", "tf32_cudnn", "float32_matmul_precision", "cudnn_benchmark", "torch", "cuda",
)
# What identifies a row across two runs (for --compare).
KEY = ("model", "task", "batch_size", "dtype", "device", "compile", "channels_last", "cuda_graphs")


def si(value: float | None, unit: str = "") -> str:
    """1234567 -> '1.23M' (k, M, G, T, P), for FLOPs and rates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}{unit}"
    return f"{value:.3g}{unit}"


def _num(value: Any, fmt: str) -> str:
    return "-" if value is None or value == "" else format(value, fmt)


def _memory(row: Mapping[str, Any]) -> str:
    if row.get("mem_peak_allocated_mib") is not None:
        return f"{row['mem_peak_allocated_mib']:.0f}/{row['mem_peak_reserved_mib']:.0f}"
    if row.get("mem_rss_growth_mib") is not None:
        return f"+{row['mem_rss_growth_mib']:.0f}"
    return "-"


TABLE = (  # header, cell
    ("model", lambda r: str(r["model"])),
    ("task", lambda r: str(r["task"])),
    ("batch", lambda r: str(r["batch_size"])),
    ("dtype", lambda r: str(r["dtype"])),
    ("samples/s", lambda r: _num(r.get("samples_per_s"), ",.1f")),
    ("median ms", lambda r: _num(r.get("latency_median_ms"), ".2f")),
    ("p95 ms", lambda r: _num(r.get("latency_p95_ms"), ".2f")),
    ("spread %", lambda r: _num(r.get("latency_spread_pct"), ".0f")),
    ("mem MiB", _memory),
    ("params", lambda r: si(r.get("params"))),
    ("FLOPs/sample", lambda r: si(r.get("flops_per_sample"))),
    ("FLOP/s", lambda r: si(r.get("achieved_flops_per_s"))),
    ("MFU %", lambda r: _num(100 * r["mfu"], ".1f") if r.get("mfu") is not None else "-"),
    ("status", lambda r: r["status"] if r["status"] == "ok" else f"{r['status']}: {r.get('error', '')}"),
)


def _grid(header: list[str], cells: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    def line(values):
        return "  ".join(v.rjust(w) if i not in (0, 1, len(header) - 1) else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()
    return [line(header), line(["-" * w for w in widths]), *(line(c) for c in cells)]


def format_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """A readable aligned table (memory: CUDA peak allocated/reserved, CPU +RSS growth)."""
    rows = list(rows)
    return "\n".join(_grid([h for h, _ in TABLE], [[cell(r) for _, cell in TABLE] for r in rows]))


def markdown(doc: Mapping[str, Any]) -> str:
    """The run as markdown: the environment line, the convention, and one table row per result."""
    env = doc.get("environment", {})
    out = [f"Device: {env.get('device_name', env.get('device', '?'))} ({env.get('device', '?')}), "
           f"torch {env.get('torch', '?')}, CUDA {env.get('cuda') or '-'}, threads {env.get('torch_threads', '?')}; "
           f"created {doc.get('created', '?')}.", "",
           f"FLOPs: {doc.get('flops_convention', '')}.", ""]
    header = [h for h, _ in TABLE]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    for r in doc.get("rows", []):
        cells = [cell(r).replace("|", "\\|") for _, cell in TABLE]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in COLUMNS})
    return buf.getvalue()


def write_outputs(doc: Mapping[str, Any], *, json_path=None, csv_path=None, markdown_path=None) -> list[Path]:
    written = []
    for path, text in ((json_path, lambda: json.dumps(doc, indent=1) + "\n"),
                       (csv_path, lambda: to_csv(doc["rows"])), (markdown_path, lambda: markdown(doc))):
        if path:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text())
            written.append(path)
    return written


def load(path) -> dict[str, Any]:
    """A `zoo bench --json` document, checked enough to compare."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON benchmark file ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("genzoo.bench/") \
            or not isinstance(doc.get("rows"), list):
        raise ValueError(f"{path}: not a `zoo bench --json` file (expected schema genzoo.bench/1 and rows)")
    return doc


def _ratio(b: Any, a: Any) -> float | None:
    if a in (None, "", 0) or b in (None, ""):
        return None
    return b / a


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per row present in both runs: B/A ratios of throughput, median latency and peak memory."""
    index_a = {tuple(r.get(k) for k in KEY): r for r in a["rows"]}
    out = []
    for rb in b["rows"]:
        key = tuple(rb.get(k) for k in KEY)
        ra = index_a.pop(key, None)
        entry = dict(zip(KEY, key))
        if ra is None:
            out.append({**entry, "note": "only in B"})
            continue
        mem = "mem_peak_allocated_mib" if rb.get("mem_peak_allocated_mib") is not None else "mem_rss_growth_mib"
        entry.update(a_samples_per_s=ra.get("samples_per_s"), b_samples_per_s=rb.get("samples_per_s"),
                     throughput_ratio=_ratio(rb.get("samples_per_s"), ra.get("samples_per_s")),
                     latency_ratio=_ratio(rb.get("latency_median_ms"), ra.get("latency_median_ms")),
                     memory_ratio=_ratio(rb.get(mem), ra.get(mem)),
                     note="" if ra.get("status") == rb.get("status") == "ok"
                     else f"status A={ra.get('status')} B={rb.get('status')}")
        out.append(entry)
    out.extend({**dict(zip(KEY, key)), "note": "only in A"} for key in index_a)
    return out


def format_compare(entries: list[dict[str, Any]]) -> str:
    header = ["model", "task", "batch", "dtype", "A samples/s", "B samples/s", "B/A thr", "B/A lat", "B/A mem", "note"]
    cells = [[str(e["model"]), str(e["task"]), str(e["batch_size"]), str(e["dtype"]),
              _num(e.get("a_samples_per_s"), ",.1f"), _num(e.get("b_samples_per_s"), ",.1f"),
              _num(e.get("throughput_ratio"), ".3f"), _num(e.get("latency_ratio"), ".3f"),
              _num(e.get("memory_ratio"), ".3f"), e.get("note", "")] for e in entries]
    return "\n".join(_grid(header, cells))
