"""The `zoo bench` command (parsing is torch-free; running imports zoo.bench)."""
from __future__ import annotations

import argparse
import os
import sys

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def _csv_list(kind, allowed=None):
    def parse(text: str):
        try:
            values = tuple(kind(v.strip()) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}") from None
        if not values:
            raise argparse.ArgumentTypeError("expected at least one value")
        if allowed:
            bad = [v for v in values if v not in allowed]
            if bad:
                raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {', '.join(allowed)}")
        return values
    return parse


def add_bench_command(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="benchmark throughput, latency, memory and FLOP utilisation",
        description="Benchmark models side by side. NAMES are architectures or glob patterns (untrained, "
                    "default config; all when none) or weight sets (arch.tag, hf-hub:, local-dir:).")
    p.add_argument("names", nargs="*", metavar="NAME", help="architectures, patterns or weight sets")
    p.add_argument("--task", type=_csv_list(str, ("generate", "encode", "reconstruct", "train-step")),
                   default=("generate",), help="generate,encode,reconstruct,train-step (default generate)")
    p.add_argument("--batch-size", type=_csv_list(int), default=(1, 16, 64), help="e.g. 1,16,64 (default)")
    p.add_argument("--dtype", type=_csv_list(str, ("fp32", "bf16", "fp16")), default=("fp32",),
                   help="fp32,bf16,fp16 (default fp32)")
    p.add_argument("--compile", nargs="?", const="default", choices=COMPILE_MODES, metavar="MODE",
                   help=f"torch.compile the components (mode: {', '.join(COMPILE_MODES)})")
    p.add_argument("--channels-last", action="store_true", help="channels-last memory format")
    p.add_argument("--cuda-graphs", action="store_true", help="replay the task from a CUDA graph (CUDA only)")
    p.add_argument("--no-cudnn-benchmark", action="store_true", help="do not autotune cuDNN during warm-up")
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default cpu)")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    p.add_argument("--iters", type=int, default=10, help="timed calls (default 10)")
    p.add_argument("--quick", action="store_true", help="build architectures with their tiny test_config")
    p.add_argument("--config", nargs="*", default=[], metavar="K=V", help="config overrides for architectures")
    p.add_argument("--isolate", action="store_true", help="run each model in its own subprocess")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--csv", metavar="FILE", help="write the results as CSV")
    p.add_argument("--markdown", metavar="FILE", help="write the results as a markdown table")
    p.add_argument("--plot", metavar="FILE.png", help="plot samples/s against batch size, one line per model")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"),
                   help="print B/A ratios per row of two earlier runs (nothing is measured)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress (default: a bar on a terminal, else a line per row)")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from zoo.bench import report as bench_report

    if args.compare:
        try:
            a, b = (bench_report.load(path) for path in args.compare)
        except ValueError as exc:
            print(f"zoo bench: {exc}", file=sys.stderr)
            return 2
        print(bench_report.format_compare(bench_report.compare(a, b)))
        return 0

    from zoo import bench
    from zoo.cli.options import parse_kv

    try:
        settings = bench.BenchSettings(
            tasks=args.task, batch_sizes=args.batch_size, dtypes=args.dtype, device=args.device,
            warmup=args.warmup, iters=args.iters, compile_mode=args.compile, channels_last=args.channels_last,
            cuda_graphs=args.cuda_graphs, cudnn_benchmark=not args.no_cudnn_benchmark, quick=args.quick,
            config=parse_kv(args.config))
        from zoo.bench.devices import check_device

        check_device(settings.device)
    except ValueError as exc:
        print(f"zoo bench: {exc}", file=sys.stderr)
        return 2
    specs = bench.resolve_models(args.names, quick=args.quick, config=settings.config)
    _say_skipped_tasks(specs, settings.tasks)
    progress = not args.no_progress
    rows = (bench.run_isolated(specs, settings, progress=progress) if args.isolate
            else bench.run_bench(specs, settings, progress=progress))
    # the command line of a run from the shell (`zoo bench` or `python -m zoo.cli bench`), not a test's argv
    invoked = os.path.basename(sys.argv[0]) == "zoo" or sys.argv[0].replace(os.sep, "/").endswith("zoo/cli/__main__.py")
    doc = bench.document(rows, settings, command="zoo " + " ".join(sys.argv[1:]) if invoked else "")
    print(bench_report.format_table(rows))
    print(f"FLOPs: {doc['flops_convention']}")
    for path in bench_report.write_outputs(doc, json_path=args.json, csv_path=args.csv, markdown_path=args.markdown):
        print(f"wrote {path}")
    if args.plot:
        from zoo.bench.plot import plot_throughput

        try:
            print(f"wrote {plot_throughput(rows, args.plot, title=f'zoo bench on {settings.device}')}")
        except ValueError as exc:
            print(f"zoo bench: --plot: {exc}", file=sys.stderr)
    return 0 if all(r["status"] in ("ok", "oom", "unsupported") for r in rows) else 1


def _say_skipped_tasks(specs, tasks) -> None:
    """One line per model and asked-for task it has no row for, with the reason."""
    from zoo import registry
    from zoo.bench.workloads import unsupported_reason

    catalog = registry.catalog()
    for spec in specs:
        missing = [t for t in tasks if t not in spec.tasks]
        if not missing:
            continue
        arch = catalog.architecture(spec.architecture)
        reasons = "; ".join(f"no {t} ({unsupported_reason(arch, t)})" for t in missing)
        print(f"zoo bench: {spec.name}: {reasons}", file=sys.stderr)
