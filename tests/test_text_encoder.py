"""The text encoders (zoo.text): the char-CNN-RNN against a plain re-implementation of Reed et al.'s layers
(arXiv:1605.05395; HybridCNN + FixedRNN), the deep structured joint embedding loss against loops over the
paper's sums, the held-out caption combinations, the shipped weights (pinned, and they tell captions
apart), and a short training that learns."""
import math

import pytest
import torch
import torch.nn.functional as F

from zoo.data.captions import (DIGIT_NAMES, HELD_OUT_PAIRS, Captions, describe, description_id, held_out_captions,
                               is_held_out, make_caption)
from zoo.errors import ChecksumError, UnknownNameError
from zoo.text.char_cnn_rnn import ALPHABET, CharCNNRNN, encode_characters
from zoo.text.joint_embedding import joint_embedding_loss, retrieval_accuracy
from zoo.text.pairs import interpolated_texts, mismatched_texts
from zoo.text.pretrained import WEIGHTS_PATH, embed_captions, load_char_cnn_rnn


def test_characters_are_reeds_alphabet_one_based():
    reed = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "  # icml2016's, "-" twice
    assert len(reed) == 70 and sorted(ALPHABET) == sorted(set(reed)) and len(ALPHABET) == 69
    idx = encode_characters(["Ab z", "é"], length=6)
    space = ALPHABET.index(" ") + 1
    assert idx.tolist() == [[1, 2, space, 26, 0, 0], [0, 0, 0, 0, 0, 0]]  # lower-cased; unknown and padding 0
    assert encode_characters("abcdefgh", length=3).tolist() == [[1, 2, 3]]  # cut at the length
    with pytest.raises(TypeError):
        encode_characters([3])


def plain_char_cnn_rnn(net: CharCNNRNN, indices: torch.Tensor) -> torch.Tensor:
    """Reed's HybridCNN + FixedRNN written out: one-hot frames, each temporal convolution as a sum over the
    kernel's taps, ReLU, non-overlapping/strided max over windows, then h1 = relu(W x1 + b),
    h_i = relu(W x_i + b + U h_(i-1) + c), the mean of the h's, a linear layer."""
    n, length = indices.shape
    x = torch.zeros(n, length, len(ALPHABET))  # (N, T, alphabet) frames, as Lua's TemporalConvolution
    for i in range(n):
        for t in range(length):
            if indices[i, t] > 0:
                x[i, t, indices[i, t] - 1] = 1.0
    convs = [m for m in net.convolutions if isinstance(m, torch.nn.Conv1d)]
    pools = [m for m in net.convolutions if isinstance(m, torch.nn.MaxPool1d)]
    for conv, pool in zip(convs, pools):
        k = conv.kernel_size[0]
        steps = x.shape[1] - k + 1
        y = torch.stack([sum(x[:, t + j] @ conv.weight[:, :, j].T for j in range(k)) + conv.bias
                         for t in range(steps)], 1).relu()
        size, stride = pool.kernel_size, pool.stride
        x = torch.stack([y[:, s:s + size].max(1).values for s in range(0, steps - size + 1, stride)], 1)
    W, U = net.rnn.input_to_hidden, net.rnn.hidden_to_hidden
    h = (x[:, 0] @ W.weight.T + W.bias).relu()
    states = [h]
    for t in range(1, x.shape[1]):
        h = (x[:, t] @ W.weight.T + W.bias + h @ U.weight.T + U.bias).relu()
        states.append(h)
    mean = sum(states) / len(states)
    return mean @ net.project.weight.T + net.project.bias


@pytest.mark.parametrize("pools", [((3, 3), (3, 3)), ((3, 3), (3, 2))])
def test_char_cnn_rnn_is_reeds_layers(pools):
    torch.manual_seed(0)
    net = CharCNNRNN(dim=5, conv_channels=(6, 7), pools=pools, length=40)
    for p in net.parameters():  # non-trivial values everywhere (biases too)
        torch.nn.init.normal_(p, 0, 0.3)
    captions = ["a thick, slanted seven", "the digit two, wide", "zz"]
    ours = net.embed(captions)
    assert ours.shape == (3, 5)
    torch.testing.assert_close(ours, plain_char_cnn_rnn(net, encode_characters(captions, 40)), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(N, 40\)"):
        net(torch.zeros(2, 30, dtype=torch.long))
    with pytest.raises(ValueError, match="one \\(kernel, stride\\) pool per convolution"):
        CharCNNRNN(conv_channels=(4, 4), pools=((3, 3),))


def test_first_rnn_step_has_no_recurrent_term():
    """Reed's FixedRNN: h1 = relu(W x1 + b) without U's bias; a one-step sequence is just that."""
    net = CharCNNRNN(dim=2, conv_channels=(3,), pools=((1, 1),), length=4)
    steps = torch.randn(2, 1, 3)
    W = net.rnn.input_to_hidden
    torch.testing.assert_close(net.rnn(steps), (steps[:, 0] @ W.weight.T + W.bias).relu())


def loop_joint_embedding_loss(v, t, y, reduction):
    """Reed 2016 Eq. 3-4 with 0-1 Δ, term by term in Python floats."""
    n = len(y)
    classes = sorted(set(y))
    F_ = [[sum(a * b for a, b in zip(v[i], t[j])) for j in range(n)] for i in range(n)]
    members = {k: [j for j in range(n) if y[j] == k] for k in classes}
    total = 0.0
    for i in range(n):
        for side in ("image", "text"):
            score = {k: sum((F_[i][j] if side == "image" else F_[j][i]) for j in members[k]) / len(members[k])
                     for k in classes}
            terms = [(0.0 if k == y[i] else 1.0) + score[k] - score[y[i]] for k in classes]
            if reduction == "max":
                total += max(terms)
            else:
                total += sum(max(0.0, s) for k, s in zip(classes, terms) if k != y[i]) / max(len(classes) - 1, 1)
    return total / n


@pytest.mark.parametrize("reduction", ["max", "sum"])
def test_joint_embedding_loss_is_the_papers_structured_hinge(reduction):
    torch.manual_seed(1)
    v, t = torch.randn(5, 3), torch.randn(5, 3)
    y = [4, 9, 4, 2, 9]
    ours = joint_embedding_loss(v, t, torch.tensor(y), reduction)
    assert ours.item() == pytest.approx(loop_joint_embedding_loss(v.tolist(), t.tolist(), y, reduction), abs=1e-5)


def test_joint_embedding_loss_is_zero_once_every_margin_holds():
    """Orthogonal class directions scaled up: each class's own score beats the others by more than 1."""
    basis = torch.eye(3) * 3
    y = torch.tensor([0, 1, 2, 0])
    v = t = basis[y]
    assert joint_embedding_loss(v, t, y).item() == 0.0
    assert joint_embedding_loss(v, t.flip(0), y).item() > 0  # mismatched texts break the margins
    with pytest.raises(ValueError, match="expected image and text embeddings"):
        joint_embedding_loss(v, t[:2], y)
    with pytest.raises(ValueError, match="reduction"):
        joint_embedding_loss(v, t, y, "mean")


def test_retrieval_accuracy_by_hand():
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    texts = torch.tensor([[2.0, 0.1], [0.2, 1.0], [1.0, 0.5]])
    # best images: 0, 1, 0 -> classes 5, 7, 5; the texts' classes 5, 7, 7 -> 2 of 3
    assert retrieval_accuracy(images, texts, torch.tensor([5, 7]), torch.tensor([5, 7, 7])) == pytest.approx(2 / 3)


def test_mismatched_and_interpolated_texts_by_hand():
    texts = torch.arange(8.0).view(4, 2)
    wrong, valid = mismatched_texts(texts, torch.tensor([3, 3, 5, 3]))
    # row 0 -> row 1 same id, row 2 differs; row 1 -> row 2; row 2 -> row 3; row 3 -> row 0 same, row 1 same, row 2
    assert torch.equal(wrong, texts[[2, 2, 3, 2]]) and valid.all()
    _, valid = mismatched_texts(texts, torch.tensor([1, 1, 1, 1]))
    assert not valid.any()
    mixed = interpolated_texts(texts, beta=0.25)
    torch.testing.assert_close(mixed, 0.25 * texts[:2] + 0.75 * texts[2:])


def test_held_out_combinations():
    assert is_held_out(7, ["thick", "slanted", "wide"]) and not is_held_out(7, ["thick"])
    assert not is_held_out(7, ["thin", "slanted"]) and is_held_out(0, ["thin", "left-leaning"])
    assert held_out_captions()[7] == "a thick, slanted seven" and len(held_out_captions()) == 10
    all_train = Captions(16, "train")
    seen, held = Captions(16, "train", combinations="seen"), Captions(16, "train", combinations="held-out")
    assert len(seen) + len(held) == len(all_train) and len(held) > 100
    for label, caption in zip(held.labels, held.captions):
        assert all(w in caption for w in HELD_OUT_PAIRS[int(label) % 4]), caption
    for label, raw in zip(seen.labels, seen.raw_attributes):
        assert not is_held_out(int(label), describe(raw))
    with pytest.raises(ValueError, match="combinations must be one of"):
        Captions(16, "train", combinations="unseen")


def test_description_ids_number_the_combinations():
    data = Captions(16, "val")
    seen = {}
    for i, (label, raw) in enumerate(zip(data.labels, data.raw_attributes)):
        key = (int(label), tuple(describe(raw)))
        assert seen.setdefault(key, int(data.description_ids[i])) == int(data.description_ids[i])
    assert len(set(seen.values())) == len(seen)  # one id per description
    assert description_id(torch.tensor([9]), torch.full((1, 4), 1e6)).item() == 9 * 81 + 2 * (1 + 3 + 9 + 27)


def test_numerals_are_spelt_out():
    from zoo.text.pretrained import normalise_caption

    assert normalise_caption("a thin 4") == "a thin four"
    assert normalise_caption("7, thick; 0") == "seven, thick; zero"
    assert normalise_caption("a 42 or x7 or 3-d") == "a 42 or x7 or 3-d"  # only a lone digit
    torch.testing.assert_close(embed_captions("a thin 4"), embed_captions("a thin four"))


def test_shipped_char_cnn_rnn_tells_captions_apart(tmp_path):
    net = load_char_cnn_rnn()
    assert not any(p.requires_grad for p in net.parameters()) and not net.training
    e = embed_captions([make_caption(7, ["thick", "slanted"], k) for k in range(3)]
                       + ["a thin, slanted seven", "a thick, slanted one"])
    cos = F.cosine_similarity(e[:, None], e[None], dim=-1)
    # the phrasings of one description are closer to each other than to a changed word
    assert min(cos[0, 1], cos[0, 2], cos[1, 2]) > max(cos[0, 3], cos[0, 4])
    bad = tmp_path / "w.safetensors"
    data = bytearray(WEIGHTS_PATH.read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="sha256 mismatch"):
        load_char_cnn_rnn(bad)
    with pytest.raises(UnknownNameError, match="char-cnn-rnn"):
        embed_captions("a one", "char-cnn")
    assert embed_captions("a one", "bag-of-words", 16).shape == (1, 16)


def test_short_training_learns_to_retrieve():
    from zoo.training.train_text_encoder import train_text_encoder

    logs = []
    _, _, scores = train_text_encoder("char-cnn-rnn", epochs=6, lr=2e-3, log=logs.append)
    assert scores["seen_digit"] > 0.4 and scores["held_out_digit"] > 0.3  # chance is about 0.1
