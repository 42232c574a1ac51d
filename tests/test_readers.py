"""The safe readers: each returns exactly the arrays written into a file, and each refuses a file that asks
for code (an object whose __reduce__ calls os.system, builtins.eval or subprocess.Popen, alone or nested
in a state dict) without running it: the marker file the payload would create never appears."""
from __future__ import annotations

import builtins
import contextlib
import io
import os
import pickle
import struct
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from zoo.errors import ZooError
from zoo.readers import (
    InertObject,
    TorchObject,
    UnsafeFileError,
    module_state_dict,
    read_nvlabs_pickle,
    read_safetensors,
    read_t7,
    read_torch_weights,
    tf_variables,
)

FIXTURES = Path(__file__).parent / "fixtures" / "official"


# -- payloads ---------------------------------------------------------------------------------------
class Payload:
    """Pickles as a call that would create `marker`: through os.system, builtins.eval or subprocess.Popen."""

    def __init__(self, how: str, marker: Path) -> None:
        self.how, self.marker = how, marker

    def __reduce__(self):
        if self.how == "os.system":
            return os.system, (f"touch {self.marker}",)
        if self.how == "builtins.eval":
            return builtins.eval, (f"open({str(self.marker)!r}, 'w').close()",)
        return subprocess.Popen, (["touch", str(self.marker)],)


REFUSED_NAME = {"os.system": os.system.__module__ + ".system", "builtins.eval": "builtins.eval",
                "subprocess.Popen": "subprocess.Popen"}
HOW = pytest.mark.parametrize("how", list(REFUSED_NAME))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned-XYZ"
    yield path
    assert not path.exists(), "a payload ran"


@contextlib.contextmanager
def fake_modules(**modules: types.ModuleType):
    """Stand-in modules under NVlabs' names, present only while a test pickles; the reader never sees them."""
    added = {}
    for name, module in modules.items():
        for part in _parents(name):
            if part not in sys.modules:
                added[part] = sys.modules[part] = types.ModuleType(part)
        added[name] = sys.modules[name] = module
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# -- TensorFlow-era pickles --------------------------------------------------------------------------
class Network:
    """Pickles like dnnlib.tflib.network.Network (the keys of its __getstate__)."""

    def __init__(self, name, variables, components=None):
        self.name, self.variables, self.components = name, variables, components or {}

    def __getstate__(self):
        return {"version": 4, "name": self.name, "static_kwargs": {}, "components": self.components,
                "build_module_src": "import os; os.system('never')", "build_func_name": "G_main",
                "variables": list(self.variables.items())}


def tf_pickle(path: Path, variables: dict, protocol: int = 4) -> Path:
    module = types.ModuleType("dnnlib.tflib.network")
    module.Network = Network
    Network.__module__ = module.__name__
    with fake_modules(**{"dnnlib.tflib.network": module}):
        inner = Network("G_mapping", variables)
        gs = Network("Gs", {"dlatent_avg": np.arange(3, dtype=np.float32)}, {"mapping": inner})
        path.write_bytes(pickle.dumps((gs, gs, gs), protocol=protocol))
    return path


@pytest.mark.parametrize("protocol", [0, 2, 3, 4, 5])
def test_tf_era_pickle_gives_the_exact_variables(tmp_path, protocol):
    variables = {"Dense0/weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
                 "Dense0/bias": np.array([1.5, -2.0], dtype=np.float64),
                 "lod": np.array(3, dtype=np.int64),
                 "fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
                 "big": np.random.default_rng(0).standard_normal((7, 5)).astype(">f4")}
    gs, _, again = read_nvlabs_pickle(tf_pickle(tmp_path / "net.pkl", variables, protocol))
    assert gs is again and isinstance(gs, InertObject) and gs.class_name == "dnnlib.tflib.network.Network"
    assert gs.state["build_module_src"] == "import os; os.system('never')"  # kept as text, not run
    got = tf_variables(gs.state["components"]["mapping"])
    assert list(got) == list(variables)
    for name, want in variables.items():
        assert got[name].dtype == want.dtype and got[name].shape == want.shape
        assert np.array_equal(got[name], want)
    assert "dnnlib" not in sys.modules


def test_tf_fixture_reads_without_importing_anything(monkeypatch):
    before = set(sys.modules)
    gs, d, gs2 = read_nvlabs_pickle(FIXTURES / "tf_mapping.pkl")
    assert gs is gs2 and d.state["name"] == "D"
    assert sorted(tf_variables(gs.state["components"]["mapping"])) == \
        ["Dense0/bias", "Dense0/weight", "Dense1/bias", "Dense1/weight"]
    assert not {m for m in set(sys.modules) - before if m.startswith(("dnnlib", "torch_utils", "training"))}


# -- PyTorch-era pickles -----------------------------------------------------------------------------
def persistent_pickle(path: Path, state_extra: dict | None = None, protocol: int = 4) -> tuple[Path, dict]:
    """A stylegan2-ada-pytorch-shaped snapshot: REDUCE of torch_utils.persistence._reconstruct_persistent_obj
    with the meta its decorator writes, around a module holding two plain nn.Linear children."""
    module = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):
        raise AssertionError("never called while pickling")

    module._reconstruct_persistent_obj = _reconstruct_persistent_obj
    _reconstruct_persistent_obj.__module__ = module.__name__
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"

    class Persistent:
        def __init__(self, net):
            self.net = net

        def __reduce__(self):
            state = {**self.net.__dict__, **(state_extra or {})}
            meta = {"type": "class", "version": 6, "module_src": "raise SystemExit", "class_name": "Tiny",
                    "state": state}
            return _reconstruct_persistent_obj, (meta,)

    torch.manual_seed(3)
    net = torch.nn.Module()
    net.first = torch.nn.Linear(3, 2)
    net.second = torch.nn.Linear(2, 2, bias=False)
    net.register_buffer("w_avg", torch.arange(4.0))
    net.register_buffer("scratch", torch.ones(1), persistent=False)
    with fake_modules(**{"torch_utils.persistence": module}):
        path.write_bytes(pickle.dumps({"G_ema": Persistent(net), "step": 7}, protocol=protocol))
    return path, net.state_dict()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_torch_era_pickle_gives_the_exact_tensors(tmp_path, protocol):
    path, want = persistent_pickle(tmp_path / "snap.pkl", protocol=protocol)
    snapshot = read_nvlabs_pickle(path)
    assert snapshot["step"] == 7 and snapshot["G_ema"].class_name == "persistent.Tiny"
    got = module_state_dict(snapshot["G_ema"])
    assert sorted(got) == sorted(want) == ["first.bias", "first.weight", "second.weight", "w_avg"]
    for name in want:
        assert torch.equal(got[name], want[name]) and got[name].dtype == want[name].dtype


def test_stylegan2_ada_fixture_gives_its_state_dict():
    snapshot = read_nvlabs_pickle(FIXTURES / "sg2ada_mapping.pkl")
    mapping = snapshot["G_ema"]
    assert mapping.class_name == "persistent.MappingNetwork"
    assert dict(snapshot["training_set_kwargs"]) == {"resolution": 4, "use_labels": False}
    shapes = {k: tuple(v.shape) for k, v in module_state_dict(mapping).items()}
    assert shapes == {"fc0.weight": (4, 4), "fc0.bias": (4,), "fc1.weight": (4, 4), "fc1.bias": (4,)}
    assert float(mapping.state["_modules"]["fc0"].state["weight_gain"]) == pytest.approx(0.01 / 2)


# -- refusing code, every reader ----------------------------------------------------------------------
@HOW
@pytest.mark.parametrize("nested", [False, True])
def test_torch_weights_only_refuses_a_payload(tmp_path, marker, how, nested):
    obj = {"weight": torch.zeros(2), "extra": {"deep": [Payload(how, marker)]}} if nested else Payload(how, marker)
    path = tmp_path / "weights.pth"
    torch.save(obj, path)
    with pytest.raises(UnsafeFileError) as err:
        read_torch_weights(path)
    assert str(path) in str(err.value) and REFUSED_NAME[how] in str(err.value)
    assert isinstance(err.value, ZooError)


@HOW
def test_restricted_unpickler_refuses_a_payload_in_a_tf_era_pickle(tmp_path, marker, how):
    path = tf_pickle(tmp_path / "net.pkl", {"Dense0/weight": np.zeros(2, np.float32), "evil": Payload(how, marker)})
    with pytest.raises(UnsafeFileError, match=f"{path}: refused global {REFUSED_NAME[how]}"):
        read_nvlabs_pickle(path)


@HOW
def test_restricted_unpickler_refuses_a_payload_in_a_torch_era_pickle(tmp_path, marker, how):
    path, _ = persistent_pickle(tmp_path / "snap.pkl", state_extra={"_hooks": {"x": Payload(how, marker)}})
    with pytest.raises(UnsafeFileError, match=f"{path}: refused global {REFUSED_NAME[how]}"):
        read_nvlabs_pickle(path)


@HOW
def test_restricted_unpickler_refuses_a_payload_inside_storage_bytes(tmp_path, marker, how):
    legacy = io.BytesIO()
    torch.save(Payload(how, marker), legacy, _use_new_zipfile_serialization=False)

    class Storage:
        def __reduce__(self):
            return torch.storage._load_from_bytes, (legacy.getvalue(),)

    path = tmp_path / "snap.pkl"
    path.write_bytes(pickle.dumps({"G_ema": {"weight": Storage()}}))
    with pytest.raises(UnsafeFileError, match=REFUSED_NAME[how].replace(".", r"\.")):
        read_nvlabs_pickle(path)


@HOW
def test_a_pickle_given_to_the_t7_reader_is_not_run(tmp_path, marker, how):
    path = tmp_path / "model.t7"
    path.write_bytes(pickle.dumps(Payload(how, marker)))
    with pytest.raises(UnsafeFileError, match=str(path)):
        read_t7(path)


def test_t7_functions_are_refused(tmp_path):
    path = tmp_path / "f.t7"
    path.write_bytes(struct.pack("<i", 6) + t7_string("\x1bLuaQ bytecode"))
    with pytest.raises(UnsafeFileError, match="refused a Lua function"):
        read_t7(path)


# -- Lua Torch7 -----------------------------------------------------------------------------------------
def t7_int(v):
    return struct.pack("<i", v)


def t7_string(s):
    data = s.encode("latin1")
    return t7_int(len(data)) + data


class T7Writer:
    """A second, plain encoding of Torch7's binary format (torch/File.lua writeObject) for the tests."""

    def __init__(self):
        self.next_index = 0

    def index(self):
        self.next_index += 1
        return t7_int(self.next_index)

    def number(self, x):
        return t7_int(1) + struct.pack("<d", x)

    def string(self, s):
        return t7_int(2) + t7_string(s)

    def boolean(self, b):
        return t7_int(5) + t7_int(1 if b else 0)

    def table(self, items):
        return t7_int(3) + self.index() + t7_int(len(items)) + b"".join(k + v for k, v in items)

    def storage(self, kind, array):
        return (t7_int(4) + self.index() + t7_string("V 1") + t7_string(f"torch.{kind}Storage")
                + struct.pack("<q", array.size) + array.tobytes())

    def tensor(self, kind, size, stride, offset, storage_bytes):
        return (t7_int(4) + self.index() + t7_string("V 1") + t7_string(f"torch.{kind}Tensor") + t7_int(len(size))
                + b"".join(struct.pack("<q", s) for s in size) + b"".join(struct.pack("<q", s) for s in stride)
                + struct.pack("<q", offset + 1) + storage_bytes)

    def ref(self, tag, index):  # a second reference to an object already written
        return t7_int(tag) + t7_int(index)


def test_t7_reader_gives_the_exact_values(tmp_path):
    w = T7Writer()
    data = np.arange(12, dtype="<f4") * 0.5
    weight = w.tensor("Float", [2, 3], [3, 1], 2, w.storage("Float", data))  # storage index 1, tensor 2
    transposed = w.tensor("Float", [3, 2], [1, 3], 2, w.ref(4, 1))  # the same storage (index 1), strided
    counts = w.tensor("Long", [4], [1], 0, w.storage("Long", np.array([1, -2, 3, 2**40], "<i8")))
    pixels = w.tensor("Byte", [2, 2], [2, 1], 0, w.storage("Byte", np.array([0, 7, 255, 9], "u1")))
    doubles = w.tensor("Double", [2], [1], 0, w.storage("Double", np.array([1e-300, 2.5], "<f8")))
    conv = (t7_int(4) + w.index() + t7_string("V 1") + t7_string("nn.SpatialConvolution")
            + w.table([(w.string("weight"), weight), (w.string("kW"), w.number(3)), (w.string("train"), w.boolean(False))]))
    root = w.table([(w.string("conv"), conv), (w.string("t"), transposed), (w.string("counts"), counts),
                    (w.string("pixels"), pixels), (w.string("doubles"), doubles), (w.number(1), w.string("first")),
                    (w.string("lr"), w.number(0.0002)), (w.string("nothing"), t7_int(0))])
    path = tmp_path / "net.t7"
    path.write_bytes(root)
    got = read_t7(path)
    assert isinstance(got["conv"], TorchObject) and got["conv"].class_name == "nn.SpatialConvolution"
    assert got["conv"].fields["kW"] == 3 and got["conv"].fields["train"] is False
    want = np.array([[1.0, 1.5, 2.0], [2.5, 3.0, 3.5]], "<f4")  # offset 2 of 0, 0.5, 1.0, ...
    assert np.array_equal(got["conv"].fields["weight"], want) and got["conv"].fields["weight"].dtype == np.float32
    assert np.array_equal(got["t"], want.T)
    assert np.array_equal(got["counts"], [1, -2, 3, 2**40]) and got["counts"].dtype == np.int64
    assert np.array_equal(got["pixels"], [[0, 7], [255, 9]]) and got["pixels"].dtype == np.uint8
    assert np.array_equal(got["doubles"], [1e-300, 2.5])
    assert got[1] == "first" and got["lr"] == 0.0002 and got["nothing"] is None


def test_t7_tensor_running_past_its_storage_is_refused(tmp_path):
    w = T7Writer()
    path = tmp_path / "bad.t7"
    path.write_bytes(w.tensor("Float", [4, 4], [4, 1], 0, w.storage("Float", np.zeros(8, "<f4"))))
    with pytest.raises(UnsafeFileError, match="run past its storage"):
        read_t7(path)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(UnsafeFileError, match="truncated"):
        read_t7(path)


# -- safetensors and torch weights ---------------------------------------------------------------------
def test_safetensors_reader_checks_the_header(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "w.safetensors"
    tensors = {"a": torch.arange(6.0).reshape(2, 3), "b": torch.tensor([1, 2], dtype=torch.int64)}
    save_file(tensors, str(path))
    got = read_safetensors(path)
    assert all(torch.equal(got[k], tensors[k]) for k in tensors)
    path.write_bytes(struct.pack("<Q", 10**6) + b"{}")
    with pytest.raises(UnsafeFileError, match="claims 1000000 bytes"):
        read_safetensors(path)


def test_torch_weights_reader_allows_only_named_extras(tmp_path):
    import argparse
    from collections import OrderedDict

    path = tmp_path / "ckpt.pth"
    state = OrderedDict(weight=torch.arange(3.0))
    torch.save({"params": state, "opt": argparse.Namespace(lr=0.1)}, path)
    with pytest.raises(UnsafeFileError, match="argparse.Namespace"):
        read_torch_weights(path)
    got = read_torch_weights(path, extra=("argparse.Namespace",))
    assert torch.equal(got["params"]["weight"], state["weight"]) and got["opt"].lr == 0.1
    with pytest.raises(ValueError, match="allow-list"):
        read_torch_weights(path, extra=("os.system",))


def test_a_tensor_running_past_its_storage_is_refused(tmp_path):
    from collections import OrderedDict

    storage = torch.zeros(2).storage()

    class Oversized:
        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, (storage, 0, (1000,), (1,), False, OrderedDict())

    path = tmp_path / "snap.pkl"
    path.write_bytes(pickle.dumps({"G_ema": Oversized()}))
    with pytest.raises(UnsafeFileError, match="malformed"):
        read_nvlabs_pickle(path)
