"""Reed's char-CNN-RNN .t7 (HybridCNN + FixedRNN, github.com/reedscot/cvpr2016) converted to zoo.text's
CharCNNRNN: a random-weight file in that layout, written by a small .t7 writer (tests/gan3d_t7.py), and
Reed's forward pass written out in numpy from the file's arrays (his 70-character alphabet and lookup,
Torch's TemporalConvolution frames, Threshold, TemporalMaxPooling, FixedRNN, mean, Linear) to 1e-5."""
import json

import numpy as np
import pytest
import torch

from gan3d_t7 import Module, write_t7
from zoo.text.char_cnn_rnn import CharCNNRNN
from zoo.text.pretrained import load_char_cnn_rnn
from zoo_plugins.ganintcls.convert_text import REED_ALPHABET, CharCnnRnnLayoutError, convert_char_cnn_rnn, main

A, DOC = len(REED_ALPHABET), 100


def reed_encoder(rng, channels=(6, 7, 5), pools=((3, 3), (3, 3), (3, 2)), dim=4, steps=1):
    def conv(c_in, c_out):
        return Module("nn.TemporalConvolution", inputFrameSize=c_in, outputFrameSize=c_out, kW=4, dW=1,
                      weight=rng.normal(0, 0.3, (c_out, 4 * c_in)).astype("f4"), bias=rng.normal(0, 0.3, c_out).astype("f4"))

    seq, c_in = [], A
    for c_out, (k, d) in zip(channels, pools):
        seq += [conv(c_in, c_out), Module("nn.Threshold", threshold=1e-6, val=0),
                Module("nn.TemporalMaxPooling", kW=k, dW=d)]
        c_in = c_out
    h = channels[-1]
    i2h = (rng.normal(0, 0.3, (h, h)).astype("f4"), rng.normal(0, 0.3, h).astype("f4"))
    h2h = (rng.normal(0, 0.3, (h, h)).astype("f4"), rng.normal(0, 0.3, h).astype("f4"))
    lin = lambda wb: Module("nn.Linear", weight=wb[0], bias=wb[1])  # noqa: E731
    rnn = [Module("nn.Identity"), Module("nn.Sequential", modules={1: lin(i2h)}), Module("nn.ReLU")]
    for _ in range(steps):  # the clones share the two weight sets
        rnn += [Module("nn.Sequential", modules={1: lin(i2h)}), Module("nn.Sequential", modules={1: lin(h2h)}),
                Module("nn.CAddTable"), Module("nn.ReLU")]
    proj = (rng.normal(0, 0.3, (dim, h)).astype("f4"), rng.normal(0, 0.3, dim).astype("f4"))
    top = [Module("nn.Identity"), Module("nn.Sequential", modules={i + 1: m for i, m in enumerate(seq)}),
           Module("nn.SplitTable"), Module("nn.gModule", modules={i + 1: m for i, m in enumerate(rnn)}),
           Module("nn.Dropout", p=0.0), lin(proj)]
    arrays = {"convs": [(m.fields["weight"], m.fields["bias"]) for m in seq[0::3]], "pools": pools,
              "i2h": i2h, "h2h": h2h, "proj": proj}
    return Module("nn.gModule", modules={i + 1: m for i, m in enumerate(top)}), arrays


def reed_forward(arrays, caption: str) -> np.ndarray:
    lookup = {ch: i for i, ch in enumerate(REED_ALPHABET)}  # later occurrences win, as his dict
    x = np.zeros((DOC, A), "f8")
    for t, ch in enumerate(caption[:DOC]):
        if ch in lookup:
            x[t, lookup[ch]] = 1
    for (w, b), (k, d) in zip(arrays["convs"], arrays["pools"]):
        frames = np.stack([x[t:t + 4].reshape(-1) for t in range(len(x) - 3)])  # frames concatenated in time
        y = frames @ w.T.astype("f8") + b
        y = np.where(y > 1e-6, y, 0.0)
        x = np.stack([y[s:s + k].max(0) for s in range(0, len(y) - k + 1, d)])
    (wi, bi), (wh, bh) = arrays["i2h"], arrays["h2h"]
    h = np.maximum(x[0] @ wi.T + bi, 0)
    total = h.copy()
    for t in range(1, len(x)):
        h = np.maximum(x[t] @ wi.T + bi + h @ wh.T + bh, 0)
        total += h
    wp, bp = arrays["proj"]
    return (total / len(x)) @ wp.T + bp


@pytest.mark.parametrize("wrapped", [False, True])
def test_converted_encoder_matches_reeds_forward(tmp_path, wrapped):
    rng = np.random.default_rng(0)
    net, arrays = reed_encoder(rng)
    path = tmp_path / "enc.t7"
    write_t7(path, {"protos": {"enc_doc": net}} if wrapped else net)
    config, state = convert_char_cnn_rnn(path, length=DOC)
    assert config == {"dim": 4, "conv_channels": [6, 7, 5], "pools": [(3, 3), (3, 3), (3, 2)], "length": DOC}
    enc = CharCNNRNN(**config)
    enc.load_state_dict(state)
    captions = ["a thick-billed bird; tiny!", "this flower has 5 petals", "zz-top", "--a-b--c-d---e-f-g-h--"]
    ours = enc.embed(captions).double().detach().numpy()
    for row, caption in zip(ours, captions):
        np.testing.assert_allclose(row, reed_forward(arrays, caption), atol=1e-5)


def test_cli_writes_a_file_load_char_cnn_rnn_reads(tmp_path, capsys):
    net, arrays = reed_encoder(np.random.default_rng(1))
    write_t7(tmp_path / "enc.t7", net)
    main([str(tmp_path / "enc.t7"), "-o", str(tmp_path / "enc.safetensors")])
    assert "wrote" in capsys.readouterr().out
    enc = load_char_cnn_rnn(tmp_path / "enc.safetensors", sha256=None)
    assert enc.length == 201 and enc.dim == 4


def test_gru_encoders_and_other_files_are_refused(tmp_path):
    write_t7(tmp_path / "gru.t7", Module("nn.gModule", modules={1: Module("nn.Sigmoid"), 2: Module("nn.Linear")}))
    with pytest.raises(CharCnnRnnLayoutError, match="GRU"):
        convert_char_cnn_rnn(tmp_path / "gru.t7")
    write_t7(tmp_path / "seq.t7", Module("nn.Sequential", modules={1: Module("nn.ReLU")}))
    with pytest.raises(CharCnnRnnLayoutError, match="expected TemporalConvolutions"):
        convert_char_cnn_rnn(tmp_path / "seq.t7")


# -- the generator (reedscot/icml2016 main_cls_int.lua's netG) -------------------------------------------
def _bn(rng, c):
    return Module("nn.SpatialBatchNormalization", eps=1e-5, momentum=0.1, affine=True, train=False,
                  weight=rng.uniform(0.5, 1.5, c).astype("f4"), bias=rng.normal(0, 0.2, c).astype("f4"),
                  running_mean=rng.normal(0, 0.3, c).astype("f4"), running_var=rng.uniform(0.5, 2.0, c).astype("f4"))


def _full(rng, c_in, c_out, stride, pad):
    return Module("nn.SpatialFullConvolution", nInputPlane=c_in, nOutputPlane=c_out, kW=4, kH=4, dW=stride,
                  dH=stride, padW=pad, padH=pad, weight=rng.normal(0, 0.2, (c_in, c_out, 4, 4)).astype("f4"),
                  bias=rng.normal(0, 0.1, c_out).astype("f4"))


def _conv(rng, c_in, c_out, k):
    return Module("nn.SpatialConvolution", nInputPlane=c_in, nOutputPlane=c_out, kW=k, kH=k, dW=1, dH=1,
                  padW=k // 2, padH=k // 2, weight=rng.normal(0, 0.2, (c_out, c_in * k * k)).astype("f4"),
                  bias=rng.normal(0, 0.1, c_out).astype("f4"))  # a flat weight, as older nn stored it


def reed_generator(rng, nz=3, txt=5, nt=2, ngf=4, nc=3):
    seq = lambda *ms: Module("nn.Sequential", modules={i + 1: m for i, m in enumerate(ms)})  # noqa: E731

    def residual(w):
        branch = seq(_conv(rng, w, w // 4, 1), _bn(rng, w // 4), Module("nn.ReLU"), _conv(rng, w // 4, w // 4, 3),
                     _bn(rng, w // 4), Module("nn.ReLU"), _conv(rng, w // 4, w, 3), _bn(rng, w))
        return [Module("nn.ConcatTable", modules={1: Module("nn.Identity"), 2: branch}), Module("nn.CAddTable"),
                Module("nn.ReLU")]

    fc = Module("nn.Linear", weight=rng.normal(0, 0.3, (nt, txt)).astype("f4"), bias=rng.normal(0, 0.1, nt).astype("f4"))
    w = [ngf * 8, ngf * 4, ngf * 2, ngf]
    layers = [Module("nn.ParallelTable", modules={1: Module("nn.Identity"), 2: seq(fc, Module("nn.LeakyReLU", negval=0.2))}),
              Module("nn.JoinTable", dimension=2), _full(rng, nz + nt, w[0], 1, 0), _bn(rng, w[0]), *residual(w[0]),
              _full(rng, w[0], w[1], 2, 1), _bn(rng, w[1]), *residual(w[1])]
    for a, b in zip(w[1:], w[2:]):
        layers += [_full(rng, a, b, 2, 1), _bn(rng, b), Module("nn.ReLU")]
    layers += [_full(rng, w[-1], nc, 2, 1), Module("nn.Tanh")]
    return seq(*layers)


def reed_generator_forward(net, z, t):
    """main_cls_int.lua's netG, layer by layer with torch.nn.functional on the file's arrays (eval mode)."""
    F = torch.nn.functional
    arr = lambda m, k: torch.from_numpy(np.asarray(m.fields[k], dtype="f4"))  # noqa: E731

    def run(m, x):
        kind = m.class_name.split(".")[-1]
        kids = [m.fields["modules"][i] for i in sorted(m.fields["modules"])] if "modules" in m.fields else []
        if kind == "Sequential":
            for k in kids:
                x = run(k, x)
            return x
        if kind == "ParallelTable":
            return [run(k, xi) for k, xi in zip(kids, x)]
        if kind == "JoinTable":
            return torch.cat([x[0], x[1]], 1)[:, :, None, None]
        if kind == "ConcatTable":
            return [run(k, x) for k in kids]
        if kind == "CAddTable":
            return x[0] + x[1]
        if kind == "Linear":
            return x @ arr(m, "weight").T + arr(m, "bias")
        if kind == "LeakyReLU":
            return F.leaky_relu(x, 0.2)
        if kind == "SpatialFullConvolution":
            return F.conv_transpose2d(x, arr(m, "weight"), arr(m, "bias"), m.fields["dW"], m.fields["padW"])
        if kind == "SpatialConvolution":
            k = m.fields["kW"]
            weight = arr(m, "weight").reshape(m.fields["nOutputPlane"], m.fields["nInputPlane"], k, k)
            return F.conv2d(x, weight, arr(m, "bias"), 1, m.fields["padW"])
        if kind == "SpatialBatchNormalization":
            shape = (1, -1, 1, 1)
            return ((x - arr(m, "running_mean").view(shape)) / torch.sqrt(arr(m, "running_var").view(shape) + 1e-5)
                    * arr(m, "weight").view(shape) + arr(m, "bias").view(shape))
        return {"Identity": lambda v: v, "ReLU": torch.relu, "Tanh": torch.tanh}[kind](x)

    return run(net, [z, t])


def test_generator_t7_matches_reeds_netg(tmp_path):
    from zoo_plugins.ganintcls.convert_t7 import convert
    from zoo_plugins.ganintcls.networks import GanIntClsGenerator

    net = reed_generator(np.random.default_rng(3))
    write_t7(tmp_path / "net_G.t7", net)
    config, states = convert({"checkpoint": tmp_path / "net_G.t7"})
    assert (config["latent_dim"], config["text_dim"], config["text_features"], config["g_width"],
            config["resolution"], config["channels"], config["residual"]) == (3, 5, 2, 4, 64, 3, True)
    G = GanIntClsGenerator(**config)
    G.load_state_dict(states["generator"], strict=True)
    G.eval()
    z, t = torch.randn(2, 3), torch.randn(2, 5)
    with torch.no_grad():
        torch.testing.assert_close(G(z, t), reed_generator_forward(net, z, t), atol=1e-5, rtol=0)


def test_generator_t7_of_another_layout_is_refused(tmp_path):
    from zoo_plugins.ganintcls.convert_t7 import GanIntClsLayoutError, convert

    write_t7(tmp_path / "d.t7", Module("nn.Sequential", modules={1: _conv(np.random.default_rng(0), 3, 4, 3)}))
    with pytest.raises(GanIntClsLayoutError, match="expected fcG's Linear"):
        convert({"checkpoint": tmp_path / "d.t7"})
