"""Reed et al.'s char-CNN-RNN text encoders (Lua Torch .t7, github.com/reedscot/cvpr2016 HybridCNN with
FixedRNN, as icml2016's CONFIG names them: `lm_sje_*_hybrid_*.t7`) as a zoo.text CharCNNRNN.

    python -m zoo_plugins.ganintcls.convert_text ENCODER.t7 -o encoder.safetensors

The file is read by zoo.readers.read_t7 (no code run): an nn.gModule (or a checkpoint table whose
protos.enc_doc is one). Its modules are walked in order: the TemporalConvolutions (weight (out, kW·in),
frames concatenated in time: weight[o, k·in + i]), the TemporalMaxPooling after each (kW, dW), and the
Linear layers: the FixedRNN's clones share two weight sets (input-to-hidden, met first, then
hidden-to-hidden) and the last Linear is the projection to the embedding. Reed's alphabet has 70
characters with "-" twice, and his lookup keeps the second, so the first "-" column is never used; the
columns are reordered to zoo.text's alphabet (each character once). nn.Threshold (y = x if x > 1e-6
else 0) is read as ReLU. A GRU encoder (FixedGRU: Sigmoid / CMulTable units) is refused.
Writes a safetensors file that zoo.text.pretrained.load_char_cnn_rnn(path, sha256=None) reads.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from zoo.errors import ZooError

REED_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
REED_DOC_LENGTH = 201


class CharCnnRnnLayoutError(ZooError, ValueError):
    """The .t7 file is not a HybridCNN + FixedRNN text encoder."""


def _kind(obj) -> str:
    return getattr(obj, "class_name", type(obj).__name__).split(".")[-1]


def _children(obj) -> list:
    modules = getattr(obj, "fields", {}).get("modules") if hasattr(obj, "fields") else None
    if isinstance(modules, dict):
        return [modules[i] for i in sorted(k for k in modules if isinstance(k, (int, float)))]
    return list(modules) if isinstance(modules, list) else []


def _walk(obj, out: list) -> list:
    out.append(obj)
    for child in _children(obj):
        _walk(child, out)
    return out


def _array(module, key: str, name: str) -> np.ndarray:
    value = module.fields.get(key)
    if value is None:
        raise CharCnnRnnLayoutError(f"{name}: {_kind(module)} has no {key!r}")
    return np.asarray(value, dtype=np.float32)


def convert_char_cnn_rnn(path: str | Path, length: int = REED_DOC_LENGTH) -> tuple[dict, dict[str, torch.Tensor]]:
    """(CharCNNRNN config, state dict) of a HybridCNN + FixedRNN .t7 file."""
    from zoo.readers import read_t7
    from zoo.text.char_cnn_rnn import ALPHABET

    path = Path(path)
    root = read_t7(path)
    if isinstance(root, dict) and isinstance(root.get("protos"), dict) and "enc_doc" in root["protos"]:
        root = root["protos"]["enc_doc"]
    modules = _walk(root, [])
    kinds = [_kind(m) for m in modules]
    if any(k in ("Sigmoid", "CMulTable", "GRU") for k in kinds):
        raise CharCnnRnnLayoutError(f"{path.name}: a GRU text encoder (FixedGRU); only HybridCNN with FixedRNN "
                                    "is supported")
    convs = [i for i, k in enumerate(kinds) if k == "TemporalConvolution"]
    linears = [modules[i] for i, k in enumerate(kinds) if k == "Linear"]
    if not convs or len(linears) < 3:
        raise CharCnnRnnLayoutError(f"{path.name}: expected TemporalConvolutions and FixedRNN + projection Linears, "
                                    f"got {sorted(set(kinds))}")
    state: dict[str, torch.Tensor] = {}
    channels, pools = [], []
    for n, i in enumerate(convs):
        conv = modules[i]
        c_in, c_out, kw = (int(conv.fields[k]) for k in ("inputFrameSize", "outputFrameSize", "kW"))
        if int(conv.fields.get("dW", 1)) != 1 or kw != 4:
            raise CharCnnRnnLayoutError(f"{path.name}: convolution {n + 1} has kW={kw}, dW={conv.fields.get('dW')}; "
                                        "HybridCNN's are kW=4, dW=1")
        w = _array(conv, "weight", path.name).reshape(c_out, kw, c_in).transpose(0, 2, 1)  # -> (out, in, kW)
        if n == 0:
            if c_in != len(REED_ALPHABET):
                raise CharCnnRnnLayoutError(f"{path.name}: the first convolution reads {c_in} characters, "
                                            f"Reed's alphabet has {len(REED_ALPHABET)}")
            w = w[:, [REED_ALPHABET.rindex(ch) for ch in ALPHABET], :]  # his lookup keeps the last "-"
        state[f"convolutions.{3 * n}.weight"] = torch.from_numpy(np.ascontiguousarray(w))
        state[f"convolutions.{3 * n}.bias"] = torch.from_numpy(_array(conv, "bias", path.name))
        stop = convs[n + 1] if n + 1 < len(convs) else len(modules)
        pool = next((modules[j] for j in range(i + 1, stop) if kinds[j] == "TemporalMaxPooling"), None)
        pools.append((int(pool.fields["kW"]), int(pool.fields["dW"])) if pool is not None else (1, 1))
        channels.append(c_out)
    distinct: list = []
    for lin in linears[:-1]:
        w = _array(lin, "weight", path.name)
        if not any(w.shape == d.shape and np.array_equal(w, d) for d in (_array(x, "weight", path.name) for x in distinct)):
            distinct.append(lin)
    if len(distinct) != 2:
        raise CharCnnRnnLayoutError(f"{path.name}: expected the FixedRNN's two shared weight sets, found "
                                    f"{len(distinct)} distinct Linear layers before the projection")
    for name, lin in zip(("rnn.input_to_hidden", "rnn.hidden_to_hidden", "project"), (*distinct, linears[-1])):
        state[f"{name}.weight"] = torch.from_numpy(_array(lin, "weight", path.name))
        state[f"{name}.bias"] = torch.from_numpy(_array(lin, "bias", path.name))
    config = {"dim": int(state["project.weight"].shape[0]), "conv_channels": channels, "pools": pools,
              "length": length}
    return config, state


def main(argv=None) -> None:
    from safetensors.torch import save_file

    parser = argparse.ArgumentParser(description="convert Reed's char-CNN-RNN .t7 to a zoo.text safetensors file")
    parser.add_argument("t7")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    config, state = convert_char_cnn_rnn(args.t7)
    save_file(state, args.output, metadata={"config": json.dumps(config), "source": Path(args.t7).name})
    print(f"wrote {args.output}: {json.dumps(config)}")


if __name__ == "__main__":
    main()
