"""The char-CNN-RNN text encoder of Reed, Akata, Lee, Schiele, "Learning Deep Representations of
Fine-Grained Visual Descriptions" (CVPR 2016, arXiv:1605.05395), Sec. 3.2, at a small size.

A caption is read as a sequence of one-hot characters (Reed's alphabet, 201 positions; here the
same alphabet and 64 positions, enough for the templated captions). Temporal convolutions with ReLU and
max-pooling shorten the sequence (Reed's HybridCNN, github.com/reedscot/cvpr2016 modules/HybridCNN.lua:
3 stages, 384/512/256 channels, pools 3/3, 3/3, 3/2; here 2 stages, 64 and 128 channels, pools 3/3);
a recurrent layer runs over what is left: Reed's FixedRNN, h_1 = relu(W x_1 + b),
h_i = relu(W x_i + b + U h_(i-1) + c), whose states are averaged over time, and a linear layer maps the
average to the embedding (Reed: 1,024-d; here `dim`, 64 by default). Unknown characters and the padding
are all-zero columns. The layout matches Reed's, so `zoo_plugins.ganintcls.convert` reads his .t7 files.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Reed et al.'s alphabet (icml2016/cvpr2016: 70 characters, "-" twice; his lookup keeps the second "-",
# so the first column is never used): here each character once. Index 0 is padding / unknown.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+=<>()[]{} "
MAX_LENGTH = 64


def encode_characters(captions: str | list[str], length: int = MAX_LENGTH) -> Tensor:
    """Captions -> (N, length) long indices into ALPHABET, 1-based (0: padding, unknown characters);
    lower-cased, cut at `length` characters."""
    if isinstance(captions, str):
        captions = [captions]
    out = torch.zeros(len(captions), length, dtype=torch.long)
    for i, caption in enumerate(captions):
        if not isinstance(caption, str):
            raise TypeError(f"captions are strings, got {type(caption).__name__}")
        for j, ch in enumerate(caption.lower()[:length]):
            out[i, j] = ALPHABET.find(ch) + 1  # find gives -1 for an unknown character: 0
    return out


class FixedRNN(nn.Module):
    """Reed's recurrent layer: ReLU units, the first step without a recurrent term, states averaged."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.input_to_hidden = nn.Linear(width, width)
        self.hidden_to_hidden = nn.Linear(width, width)

    def forward(self, steps: Tensor) -> Tensor:
        """(N, T, width) -> (N, width): the mean of the T hidden states."""
        h = torch.relu(self.input_to_hidden(steps[:, 0]))
        total = h
        for t in range(1, steps.shape[1]):
            h = torch.relu(self.input_to_hidden(steps[:, t]) + self.hidden_to_hidden(h))
            total = total + h
        return total / steps.shape[1]


class CharCNNRNN(nn.Module):
    """(N, length) character indices -> (N, dim) embeddings."""

    def __init__(self, dim: int = 64, conv_channels: tuple[int, ...] = (64, 128),
                 pools: tuple[tuple[int, int], ...] = ((3, 3), (3, 3)), kernel_size: int = 4,
                 length: int = MAX_LENGTH) -> None:
        super().__init__()
        if len(pools) != len(conv_channels):
            raise ValueError(f"one (kernel, stride) pool per convolution: {len(conv_channels)} convolutions, "
                             f"{len(pools)} pools")
        self.dim, self.length, self.alphabet_size = dim, length, len(ALPHABET)
        layers, c_in = [], self.alphabet_size
        for c_out, (k, stride) in zip(conv_channels, pools):
            layers += [nn.Conv1d(c_in, c_out, kernel_size), nn.ReLU(), nn.MaxPool1d(k, stride)]
            c_in = c_out
        self.convolutions = nn.Sequential(*layers)
        self.rnn = FixedRNN(c_in)
        self.project = nn.Linear(c_in, dim)

    def one_hot(self, indices: Tensor) -> Tensor:
        """(N, length) indices -> (N, alphabet, length) one-hot columns, all-zero for index 0."""
        return F.one_hot(indices, self.alphabet_size + 1)[..., 1:].transpose(1, 2).float()

    def forward(self, indices: Tensor) -> Tensor:
        if indices.dim() != 2 or indices.shape[1] != self.length:
            raise ValueError(f"CharCNNRNN takes character indices of shape (N, {self.length}), "
                             f"got {tuple(indices.shape)}")
        h = self.convolutions(self.one_hot(indices))  # (N, channels, T)
        return self.project(self.rnn(h.transpose(1, 2)))

    def embed(self, captions: str | list[str]) -> Tensor:
        """Captions -> (N, dim) embeddings, on this module's device."""
        device = next(self.parameters()).device
        return self(encode_characters(captions, self.length).to(device))
