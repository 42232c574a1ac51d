"""TensorFlow's ops as the NVIDIA TensorFlow-era networks use them (NCHW, SAME padding), written out in NumPy
for the plain transcriptions of ProGAN's G_paper / D_paper and StyleGAN's G_style / D_basic that compute the
converter fixtures' reference outputs (tests/fixtures/progan and stylegan/make_fixtures.py)."""
from __future__ import annotations

import numpy as np


def conv2d(x, w, stride=1):
    """tf.nn.conv2d(x, w [kh, kw, in, out], strides, padding='SAME', data_format='NCHW')."""
    n, c, h, wd = x.shape
    k = w.shape[0]
    out_h = -(-h // stride)
    pad = max((out_h - 1) * stride + k - h, 0)
    lo = pad // 2
    xp = np.zeros((n, c, h + pad, wd + pad), x.dtype)
    xp[:, :, lo:lo + h, lo:lo + wd] = x
    y = np.zeros((n, w.shape[3], out_h, out_h), np.float64)
    for i in range(out_h):
        for j in range(out_h):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]  # n, c, k, k
            y[:, :, i, j] = np.einsum("ncab,abco->no", patch, w)
    return y


def conv2d_transpose(x, w, out_size):
    """tf.nn.conv2d_transpose(x, w [kh, kw, out, in], [n, out, S, S], strides 2, 'SAME', NCHW): every input pixel
    scatters x·w into the output (the adjoint of conv2d(., w, stride 2) from S x S to S/2 x S/2)."""
    n, c, h, wd = x.shape
    k = w.shape[0]
    pad = max((h - 1) * 2 + k - out_size, 0)
    lo = pad // 2
    y = np.zeros((n, w.shape[2], out_size + pad, out_size + pad), np.float64)
    for i in range(h):
        for j in range(wd):
            y[:, :, 2 * i:2 * i + k, 2 * j:2 * j + k] += np.einsum("nc,aboc->noab", x[:, :, i, j], w)
    return y[:, :, lo:lo + out_size, lo:lo + out_size]


def fused_kernel(w):
    """upscale2d_conv2d's / conv2d_downscale2d's kernel: w padded by one and its four shifted copies summed
    (the down-sampling one is this times 1/4)."""
    w = np.pad(w, ((1, 1), (1, 1), (0, 0), (0, 0)))
    return w[1:, 1:] + w[:-1, 1:] + w[1:, :-1] + w[:-1, :-1]


def lrelu(x):
    """Leaky ReLU, slope 0.2."""
    return np.maximum(x, 0.2 * x)


def pixel_norm(x):
    """Each pixel's feature vector over its root mean square (epsilon 1e-8)."""
    return x / np.sqrt(np.mean(x ** 2, axis=1, keepdims=True) + 1e-8)


def upscale(x, f=2):
    """upscale2d: nearest up-sampling by f."""
    return x.repeat(f, axis=2).repeat(f, axis=3)


def downscale(x, f=2):
    """downscale2d: the mean of each f x f block."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // f, f, w // f, f).mean(axis=(3, 5))
