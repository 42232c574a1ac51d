"""SAGAN's forward passes written out again from the paper (Zhang 2019, Sec. 3 and 4) and SNGAN's residual
blocks (Miyato 2018), with torch.nn.functional only, reading the networks' (spectrally normalised)
weights. The geometry is fixed here, not read from the networks: G 4 → 8 → … → resolution with
attention on the `attention` × `attention` maps; D resolution → … → 4 then one more block at 4 × 4."""
import torch
import torch.nn.functional as F


def attention(block, x, pool=False):
    """y = x + γ·W_out(Σ_i softmax_i(q_j·k_i) v_i), by explicit indices."""
    def conv1x1(layer, t):
        return torch.einsum("oc,nchw->nohw", layer.weight[:, :, 0, 0], t)

    q, k, v = conv1x1(block.query, x), conv1x1(block.key, x), conv1x1(block.value, x)
    if pool:
        k, v = F.max_pool2d(k, 2), F.max_pool2d(v, 2)
    scores = torch.einsum("ncj,nci->nji", q.flatten(2), k.flatten(2))
    beta = torch.softmax(scores, dim=2)
    o = torch.einsum("nji,nci->ncj", beta, v.flatten(2)).reshape(x.shape[0], -1, *x.shape[2:])
    return x + block.gamma * conv1x1(block.out, o)


def _conv(layer, t, padding=0):
    return F.conv2d(t, layer.weight, layer.bias, padding=padding)


def _class_bn(norm, t, y):
    """Batch statistics of this batch (train mode), then the class's own γ and β."""
    h = F.batch_norm(t, None, None, training=True, eps=1e-5)
    return h * norm.gamma.weight[y][:, :, None, None] + norm.beta.weight[y][:, :, None, None]


def generator(G, z, y, attention_at=16):
    h = F.linear(z, G.project.weight, G.project.bias).view(z.shape[0], -1, 4, 4)
    for block in G.blocks:
        t = F.interpolate(F.relu(_class_bn(block.norm1, h, y)), scale_factor=2, mode="nearest")
        t = _conv(block.conv2, F.relu(_class_bn(block.norm2, _conv(block.conv1, t, 1), y)), 1)
        h = t + _conv(block.shortcut, F.interpolate(h, scale_factor=2, mode="nearest"))
        if h.shape[-1] == attention_at:
            h = attention(G.attention, h)
    h = F.relu(F.batch_norm(h, None, None, G.out_norm.weight, G.out_norm.bias, training=True, eps=1e-5))
    return torch.tanh(_conv(G.out_conv, h, 1))


def discriminator(D, x, y, attention_at=16):
    h, attended = x, False
    for i, block in enumerate(D.blocks):
        last = h.shape[-1] == 4  # the extra block at 4 × 4 keeps its size (and its identity shortcut)
        t = _conv(block.conv2, F.relu(_conv(block.conv1, h if i == 0 else F.relu(h), 1)), 1)
        if i == 0:  # SNGAN's optimised first block: pool, then the 1×1 shortcut conv
            h = F.avg_pool2d(t, 2) + _conv(block.shortcut, F.avg_pool2d(h, 2))
        elif last:
            h = t + h
        else:
            h = F.avg_pool2d(t, 2) + F.avg_pool2d(_conv(block.shortcut, h), 2)
        if h.shape[-1] == attention_at and not attended:  # on the first maps of that size
            h, attended = attention(D.attention, h), True
    features = F.relu(h).sum(dim=(2, 3))
    psi = F.linear(features, D.head.psi.weight, D.head.psi.bias)[:, 0]
    return psi + (D.head.embed.weight[y] * features).sum(1)
