"""The benchmark harness: FLOP counts against hand counts, timing logic with a stub clock (no timed
assertions), output formats, OOM rows, unsupported flags, isolation and run comparison."""
from __future__ import annotations

import csv
import io
import itertools
import json
import math

import pytest
import torch
from torch import nn

from zoo import bench
from zoo.bench import report as bench_report
from zoo.bench.workloads import UnsupportedError
from zoo.bench.devices import gpu_peak
from zoo.bench.flops import count_flops
from zoo.bench.timing import WallTimer, percentile, run_timed, summarize


def stub_timer(durations):
    """A WallTimer whose clock makes each timed call last the next of `durations` seconds."""
    ticks = []
    t = 100.0
    for d in durations:
        ticks += [t, t + d]
        t += d + 7.0  # untimed gaps between calls must not count
    clock = iter(ticks)
    return WallTimer(clock=lambda: next(clock))


def settings(**kw):
    base = dict(tasks=("generate",), batch_sizes=(1,), warmup=0, iters=1, quick=True)
    return bench.BenchSettings(**{**base, **kw})


# -- FLOPs --------------------------------------------------------------------------------------
def dcgan_generator_hand_count(latent_dim, resolution, channels, g_width, kernel_size):
    """FLOPs per sample of DCGAN's generator, from its layer shapes.

    Counted (FlopCounterMode's convention, 1 multiply-add = 2 FLOPs): the bias-free projection
    z -> (w0, 4, 4), latent_dim * w0 * 16 multiply-adds; each transposed convolution, C_in * C_out * k^2
    multiply-adds per *input* pixel (it scatters a k x k x C_out patch from every input pixel).
    Not counted: batch norm, ReLU, tanh and the output layer's bias.
    """
    stages = int(math.log2(resolution // 4))
    widths = [g_width * 2 ** i for i in reversed(range(stages))]  # 64 px, g_width 128: 1024, 512, 256, 128
    macs = latent_dim * widths[0] * 4 * 4
    side = 4
    for c_in, c_out in zip(widths, widths[1:] + [channels]):
        macs += c_in * c_out * kernel_size ** 2 * side * side
        side *= 2
    assert side == resolution
    return 2 * macs


def test_dcgan_generator_flops_match_hand_count_in_bench_rows():
    from zoo import api, registry

    cfg = dict(registry.catalog().architecture("dcgan").default_config)
    expected = dcgan_generator_hand_count(cfg["latent_dim"], cfg["resolution"], cfg["channels"], cfg["g_width"],
                                          cfg["kernel_size"])
    assert expected > 1e9  # the 64-px model of the paper: about 1.28 GFLOPs per sample
    model = api.create("dcgan")  # default config, as `zoo bench dcgan` builds it (built once: it is large)
    spec = bench.ModelSpec("dcgan", "dcgan", "default", ("generate",), build=lambda: model)
    for bs in (1, 2):
        row = bench.bench_row(spec, "generate", bs, "fp32", settings(quick=False),
                              timer_factory=lambda d: stub_timer([0.5]))
        assert row["status"] == "ok", row["error"]
        assert row["flops_per_sample"] == pytest.approx(expected, rel=0.01)


def test_flop_counter_convention_on_a_linear_layer():
    layer = nn.Linear(3, 5, bias=True)
    assert count_flops(lambda: layer(torch.randn(4, 3))) == 2 * 4 * 3 * 5  # bias adds not counted


# -- timing -------------------------------------------------------------------------------------
def test_throughput_is_the_reciprocal_of_the_measured_time_with_a_stub_clock():
    spec, = bench.resolve_models(["gan"], quick=True)
    durations = [0.5, 0.25, 1.0]
    row = bench.bench_row(spec, "generate", 8, "fp32", settings(iters=3, warmup=2),
                          timer_factory=lambda device: stub_timer(durations))
    assert row["status"] == "ok", row["error"]
    assert row["samples_per_s"] == pytest.approx(8 * 3 / sum(durations))
    assert row["latency_median_ms"] == pytest.approx(500.0)
    assert row["latency_min_ms"] == pytest.approx(250.0) and row["latency_max_ms"] == pytest.approx(1000.0)
    assert row["latency_p95_ms"] == pytest.approx(1000.0 - 0.1 * 500.0)  # 95 % between 0.5 s and 1 s
    assert row["latency_spread_pct"] == pytest.approx(150.0)
    assert row["achieved_flops_per_s"] == pytest.approx(row["flops_per_sample"] * row["samples_per_s"])
    assert row["mfu"] == pytest.approx(row["achieved_flops_per_s"] / row["peak_flops_per_s"])


def test_run_timed_times_only_the_timed_calls_and_syncs_around_them():
    events = []
    clock = itertools.count(0.0, 1.0)
    timer = WallTimer(clock=lambda: (events.append("clock"), next(clock))[1], sync=lambda: events.append("sync"))
    calls = []
    seconds = run_timed(lambda: (calls.append(1), events.append("call")), warmup=2, iters=3, timer=timer,
                        settle=lambda: events.append("settle"))
    assert len(calls) == 5 and seconds == [1.0, 1.0, 1.0]
    assert events[:3] == ["call", "call", "settle"]  # warm-up, then the device settles, untimed
    assert events[3:8] == ["sync", "clock", "call", "sync", "clock"]  # each timed call is bracketed


def test_summarize_and_percentile_edge_cases():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 3.0], 95) == pytest.approx(2.9)
    with pytest.raises(ValueError, match="did not advance"):
        summarize([0.0, 1.0], 4)
    with pytest.raises(ValueError, match="iters"):
        run_timed(lambda: None, warmup=0, iters=0, timer=WallTimer())


# -- failures become rows -----------------------------------------------------------------------
def _oom_above(limit):
    """A generator that runs out of memory above a batch size (the injected failing model)."""
    from zoo.interfaces import Generator

    class OOMAbove(Generator):
        def __init__(self, limit):
            super().__init__()
            from zoo.interfaces import ConditionSpec, LatentSpec, OutputSpec

            self.limit, self.latent = limit, LatentSpec((4,))
            self.condition, self.output = ConditionSpec(), OutputSpec((1, 2, 2))
            self.linear = nn.Linear(4, 4)

        def forward(self, z, c=None):
            if z.shape[0] > self.limit:
                raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {z.shape[0]} GiB")
            return self.linear(z).view(-1, 1, 2, 2)

    return OOMAbove(limit)


def failing_spec(limit):
    from zoo.model import model_class
    from zoo.records import Architecture, Paper

    arch = Architecture(name="oom", paper=Paper("t", "a", 2000), components={"generator": "x:y"})
    return bench.ModelSpec("oom", "oom", "test", ("generate",),
                           build=lambda: model_class(("generate",))(arch, {"generator": _oom_above(limit)}, {}))


def test_oom_is_a_row_with_the_error_never_a_smaller_batch():
    specs = [failing_spec(limit=2), *bench.resolve_models(["gan"], quick=True)]
    rows = bench.run_bench(specs, settings(batch_sizes=(1, 4, 2)), progress=False,
                           timer_factory=lambda d: stub_timer([0.1]))
    oom_rows = [r for r in rows if r["model"] == "oom"]
    assert [(r["batch_size"], r["status"]) for r in oom_rows] == [(1, "ok"), (4, "oom"), (2, "ok")]
    assert "out of memory" in oom_rows[1]["error"] and "samples_per_s" not in oom_rows[1]
    assert [r["status"] for r in rows if r["model"] == "gan"] == ["ok", "ok", "ok"]  # the next model still runs


def test_cuda_graphs_on_cpu_is_an_unsupported_row():
    spec, = bench.resolve_models(["gan"], quick=True)
    row = bench.bench_row(spec, "generate", 1, "fp32", settings(cuda_graphs=True))
    assert row["status"] == "unsupported" and "CUDA" in row["error"]


def test_bad_settings_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="expected some of"):
        bench.BenchSettings(tasks=("sample",))
    with pytest.raises(ValueError, match="fp32"):
        bench.BenchSettings(dtypes=("fp64",))
    from zoo.bench.devices import check_device

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            check_device("cuda")
    with pytest.raises(UnsupportedError):
        from zoo.bench.workloads import build_workload

        build_workload(failing_spec(1).build(), "encode", 1)


def test_train_step_row_runs_the_objective_on_every_trained_component():
    spec, = bench.resolve_models(["gan"], quick=True)
    row = bench.bench_row(spec, "train-step", 2, "fp32", settings(tasks=("train-step",)),
                          timer_factory=lambda d: stub_timer([0.1]))
    model = spec.build()
    assert row["status"] == "ok", row["error"]
    assert row["params"] == sum(model.parameter_counts().values())
    # forward and backward of both networks: several times the generator's forward FLOPs
    gen_row = bench.bench_row(spec, "generate", 2, "fp32", settings(), timer_factory=lambda d: stub_timer([0.1]))
    assert row["flops_per_sample"] > 3 * gen_row["flops_per_sample"]


def test_gpu_peak_table_matches_device_names():
    assert gpu_peak("NVIDIA H100 80GB HBM3", "bf16")[0] == pytest.approx(989.4e12)
    assert "PCIe" in gpu_peak("NVIDIA H100 PCIe", "bf16")[1]
    assert "H200" in gpu_peak("NVIDIA H200", "fp32", tf32=True)[1]
    assert gpu_peak("NVIDIA A100-SXM4-80GB", "fp32", tf32=True)[0] == pytest.approx(156e12)
    assert gpu_peak("NVIDIA L4", "fp16")[0] == pytest.approx(121e12)
    assert gpu_peak("Tesla T4", "bf16")[0] is None
    assert gpu_peak("Some Future GPU", "fp32")[0] is None


@pytest.mark.parametrize("matmul, precision, cudnn, expected", [
    (False, "highest", False, False), (True, "highest", False, True), (False, "high", False, True),
    (False, "highest", True, True)])
def test_tf32_counts_when_convolutions_may_use_it(matmul, precision, cudnn, expected):
    """cuDNN runs fp32 convolutions on TF32 tensor cores by default: a conv net's fp32 MFU is against TF32."""
    from zoo.bench.devices import tf32_decision

    assert tf32_decision(matmul, precision, cudnn) is expected


def test_tf32_in_use_reads_the_cudnn_switch():
    from zoo.bench.devices import tf32_in_use

    old = torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cudnn.allow_tf32 = True
        assert tf32_in_use() is True
        torch.backends.cudnn.allow_tf32 = False
        assert tf32_in_use() is (bool(torch.backends.cuda.matmul.allow_tf32)
                                 or torch.get_float32_matmul_precision() != "highest")
    finally:
        torch.backends.cudnn.allow_tf32 = old


# -- outputs ------------------------------------------------------------------------------------
def test_cli_writes_json_csv_markdown_and_plot_that_parse(tmp_path, capsys):
    from PIL import Image

    from zoo.cli import main

    out = {k: tmp_path / f"run.{k}" for k in ("json", "csv", "md", "png")}
    rc = main(["bench", "gan", "dcgan", "--quick", "--batch-size", "1,64", "--iters", "1", "--warmup", "0",
               "--no-progress", "--json", str(out["json"]), "--csv", str(out["csv"]),
               "--markdown", str(out["md"]), "--plot", str(out["png"])])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "samples/s" in printed and "1 multiply-add = 2 FLOPs" in printed

    doc = json.loads(out["json"].read_text())
    assert doc["schema"] == bench.SCHEMA and "multiply-add = 2 FLOPs" in doc["flops_convention"]
    assert doc["environment"]["torch"] == torch.__version__
    rows = doc["rows"]
    assert [(r["model"], r["batch_size"]) for r in rows] == [("gan", 1), ("gan", 64), ("dcgan", 1), ("dcgan", 64)]
    assert all(r["status"] == "ok" and r["samples_per_s"] > 0 for r in rows)
    from zoo import registry

    arch = registry.catalog().architecture("dcgan")
    cfg = {**arch.default_config, **arch.test_config}
    hand = dcgan_generator_hand_count(cfg["latent_dim"], cfg["resolution"], cfg["channels"], cfg["g_width"],
                                      cfg["kernel_size"])
    assert all(r["flops_per_sample"] == pytest.approx(hand, rel=0.01) for r in rows if r["model"] == "dcgan")

    table = list(csv.DictReader(io.StringIO(out["csv"].read_text())))
    assert len(table) == 4 and list(table[0]) == list(bench_report.COLUMNS)
    assert float(table[1]["samples_per_s"]) == pytest.approx(rows[1]["samples_per_s"])

    lines = [ln for ln in out["md"].read_text().splitlines() if ln.startswith("|")]
    assert len(lines) == 2 + len(rows)
    assert len({ln.count("|") for ln in lines}) == 1  # every row has the header's columns

    with Image.open(out["png"]) as img:
        assert img.format == "PNG" and img.size == (900, 560)


def test_isolate_runs_each_model_in_a_subprocess():
    specs = bench.resolve_models(["gan"], quick=True)
    rows = bench.run_isolated(specs, settings(), progress=False)
    assert len(rows) == 1 and rows[0]["status"] == "ok", rows
    assert rows[0]["model"] == "gan" and rows[0]["samples_per_s"] > 0


def _doc(rows):
    return {"schema": bench.SCHEMA, "rows": rows}


def _row(model, bs, sps, lat, mem, status="ok"):
    return {"model": model, "task": "generate", "batch_size": bs, "dtype": "fp32", "device": "cpu", "compile": "",
            "channels_last": False, "cuda_graphs": False, "status": status, "samples_per_s": sps,
            "latency_median_ms": lat, "mem_rss_growth_mib": mem}


def test_compare_gives_per_row_ratios(tmp_path, capsys):
    a = _doc([_row("dcgan", 1, 100.0, 10.0, 4.0), _row("dcgan", 64, 1000.0, 64.0, 40.0), _row("gan", 1, 5.0, 1, 1)])
    b = _doc([_row("dcgan", 1, 150.0, 8.0, 4.0), _row("dcgan", 64, 500.0, 128.0, 20.0), _row("vae", 1, 7.0, 1, 1)])
    got = {(e["model"], e["batch_size"]): e for e in bench_report.compare(a, b)}
    assert got[("dcgan", 1)]["throughput_ratio"] == pytest.approx(1.5)
    assert got[("dcgan", 1)]["latency_ratio"] == pytest.approx(0.8)
    assert got[("dcgan", 64)]["throughput_ratio"] == pytest.approx(0.5)
    assert got[("dcgan", 64)]["memory_ratio"] == pytest.approx(0.5)
    assert got[("vae", 1)]["note"] == "only in B" and got[("gan", 1)]["note"] == "only in A"

    from zoo.cli import main

    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    assert main(["bench", "--compare", str(pa), str(pb)]) == 0
    assert "1.500" in capsys.readouterr().out
    pb.write_text("{}")
    assert main(["bench", "--compare", str(pa), str(pb)]) == 2
    assert "not a `zoo bench --json` file" in capsys.readouterr().err


def test_time_against_peer_alternates_and_reports_the_ratio_of_its_own_throughputs():
    from zoo.bench.peer_timing import time_against_peer

    calls = []
    out = time_against_peer(lambda: calls.append("ours"), lambda: calls.append("peer"), 4,
                            warmup=1, iters=2, rounds=2)
    # each round: ours' warm-up + 2 timed calls, then the peer's; ABAB across rounds
    assert calls == ["ours"] * 3 + ["peer"] * 3 + ["ours"] * 3 + ["peer"] * 3
    assert out["ratio_ours_over_peer"] == out["ours_samples_per_s"] / out["peer_samples_per_s"]
    assert set(out) == {"ours_samples_per_s", "peer_samples_per_s", "ours_latency_median_ms",
                        "peer_latency_median_ms", "ratio_ours_over_peer"}
