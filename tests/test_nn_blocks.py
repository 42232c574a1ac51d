"""zoo.nn's spectral norm, self-attention and conditional batch norms, and zoo.losses' hinge and
orthogonal terms (issue 16: SAGAN, BigGAN), each against a computation written out here."""
import math

import pytest
import torch
from torch import nn

from zoo import losses
from zoo.nn import (ClassConditionalBatchNorm2d, ConditionalBatchNorm2d, ProjectionHead, SelfAttention,
                    has_spectral_norm, sn, sn_conv2d, sn_embedding, sn_linear)


# -- spectral norm ---------------------------------------------------------------------------------
def _unit(vector, eps=1e-12):
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / max(norm, eps) for v in vector]


def _matvec(matrix, vector):
    return [sum(a * b for a, b in zip(row, vector)) for row in matrix]


def _power_iteration_sigma(matrix, u, steps):
    """σ by power iteration in plain Python lists: v = Wᵀu/‖·‖, u = Wv/‖·‖, σ = uᵀWv."""
    transposed = [list(col) for col in zip(*matrix)]
    v = None
    for _ in range(steps):
        v = _unit(_matvec(transposed, u))
        u = _unit(_matvec(matrix, v))
    return sum(a * b for a, b in zip(u, _matvec(matrix, v))), u, v


@pytest.mark.parametrize("make", [lambda: sn_conv2d(3, 4, 3, padding=1), lambda: sn_linear(5, 3),
                                  lambda: sn_embedding(6, 4), lambda: sn(nn.Linear(2, 7), n_power_iterations=3)])
def test_spectral_norm_divides_by_a_hand_power_iteration_sigma(make):
    torch.manual_seed(0)
    layer = make().double()
    steps = layer._forward_pre_hooks[next(iter(layer._forward_pre_hooks))].n_power_iterations
    w_orig = layer.weight_orig.detach().clone()
    u0 = layer.weight_u.tolist()
    matrix = w_orig.reshape(w_orig.shape[0], -1).tolist()
    sigma, u, v = _power_iteration_sigma(matrix, u0, steps)
    layer.train()
    x = torch.randint(0, 6, (2,)) if isinstance(layer, nn.Embedding) else torch.randn(2, *(
        (3, 5, 5) if isinstance(layer, nn.Conv2d) else (layer.in_features,))).double()
    layer(x)
    assert torch.allclose(layer.weight, w_orig / sigma, rtol=1e-10, atol=1e-12)
    assert layer.weight_u.tolist() == pytest.approx(u, rel=1e-9, abs=1e-12)
    assert layer.weight_v.tolist() == pytest.approx(v, rel=1e-9, abs=1e-12)
    assert has_spectral_norm(layer) and not has_spectral_norm(nn.Linear(2, 2))


def test_spectral_norm_converges_to_the_largest_singular_value_and_eval_keeps_u_v():
    torch.manual_seed(1)
    layer = sn_conv2d(4, 6, 3).double().train()
    x = torch.randn(1, 4, 5, 5).double()
    for _ in range(300):
        layer(x)
    matrix = layer.weight_orig.detach().reshape(6, -1)
    sigma = torch.linalg.matrix_norm(matrix, ord=2)
    assert torch.allclose(layer.weight, layer.weight_orig / sigma, rtol=1e-6)
    assert torch.linalg.matrix_norm(layer.weight.detach().reshape(6, -1), ord=2).item() == pytest.approx(1.0, rel=1e-6)
    u, v = layer.weight_u.clone(), layer.weight_v.clone()
    layer.eval()
    layer(x)  # eval: the stored u and v are used, not iterated
    assert torch.equal(layer.weight_u, u) and torch.equal(layer.weight_v, v)
    assert {"weight_orig", "weight_u", "weight_v"} <= set(layer.state_dict())  # the checkpoint layout


def test_spectral_norm_modules_deepcopy_after_training_steps():
    """An EMA copy taken mid-training (copy.deepcopy) works, and trains nothing by accident."""
    import copy

    torch.manual_seed(4)
    layer = sn_linear(3, 2)
    x = torch.randn(5, 3)
    layer(x).pow(2).sum().backward()  # the normalised weight was part of a graph
    assert layer.weight_orig.grad is not None and layer.weight.grad_fn is None
    twin = copy.deepcopy(layer).eval()
    layer.eval()
    assert torch.equal(twin(x), layer(x)) and twin.weight_u is not layer.weight_u


def test_sn_passes_eps_and_iterations_to_torch():
    layer = sn_linear(3, 2, eps=1e-4, n_power_iterations=2)
    hook = next(iter(layer._forward_pre_hooks.values()))
    assert (hook.eps, hook.n_power_iterations) == (1e-4, 2)
    assert layer.in_features == 3 and layer.out_features == 2
    assert sn_conv2d(2, 3, 1, bias=False).bias is None


def test_sn_constructors_defaults_and_arguments():
    """One power iteration and eps 1e-12 by default (Miyato 2018; torch's defaults); layer arguments pass through."""
    for layer in (sn(nn.Linear(2, 2)), sn_conv2d(1, 2, 3), sn_linear(3, 2), sn_embedding(4, 2)):
        hook = next(iter(layer._forward_pre_hooks.values()))
        assert (hook.n_power_iterations, hook.eps) == (1, 1e-12)
    for layer in (sn_conv2d(1, 2, 3, eps=1e-4), sn_embedding(4, 2, eps=1e-4, n_power_iterations=3)):
        hook = next(iter(layer._forward_pre_hooks.values()))
        assert hook.eps == 1e-4 and hook.n_power_iterations == (3 if isinstance(layer, nn.Embedding) else 1)
    assert sn_linear(3, 2, bias=False).bias is None
    assert sn_embedding(4, 2, padding_idx=0).padding_idx == 0


def test_has_spectral_norm_knows_both_torch_flavours():
    from torch.nn.utils import parametrizations, parametrize

    assert has_spectral_norm(parametrizations.spectral_norm(nn.Linear(2, 2)))
    half = nn.Linear(2, 2)
    half.weight_orig = nn.Parameter(torch.zeros(2, 2))  # a weight_orig alone is not spectral norm
    assert not has_spectral_norm(half)
    other = nn.Linear(2, 2)
    parametrize.register_parametrization(other, "bias", nn.Identity())
    assert not has_spectral_norm(other)  # parametrised, but not its weight


def test_projection_head_uses_the_classic_spectral_norm_layout():
    head = ProjectionHead(4, num_classes=3, spectral_norm=True)
    assert {"psi.weight_orig", "psi.weight_u", "embed.weight_orig", "embed.weight_v"} <= set(head.state_dict())


# -- self-attention ------------------------------------------------------------------------------
def _attention_by_einsum(block, x, pool):
    """SAGAN Sec. 3 with explicit indices: s_ji = q_j·k_i, β = softmax over i, o_j = W_out Σ_i β_ji v_i."""
    def conv1x1(layer, t):
        return torch.einsum("oc,nchw->nohw", layer.weight.reshape(layer.weight.shape[0], -1), t)
    q, k, v = conv1x1(block.query, x), conv1x1(block.key, x), conv1x1(block.value, x)
    if pool:
        n, c, h, w = k.shape
        k = k.reshape(n, c, h // 2, 2, w // 2, 2).amax(dim=(3, 5))
        v = v.reshape(n, v.shape[1], h // 2, 2, w // 2, 2).amax(dim=(3, 5))
    scores = torch.einsum("ncj,nci->nji", q.flatten(2), k.flatten(2))
    beta = scores.exp() / scores.exp().sum(-1, keepdim=True)
    attended = torch.einsum("nji,nci->ncj", beta, v.flatten(2)).reshape(x.shape[0], -1, *x.shape[2:])
    return x + block.gamma * conv1x1(block.out, attended)


@pytest.mark.parametrize("kwargs, value_channels", [({}, 2), ({"pool": True, "value_divisor": 2}, 8),
                                                     ({"spectral_norm": False, "key_divisor": 4}, 2)])
def test_self_attention_matches_an_einsum_reimplementation(kwargs, value_channels):
    torch.manual_seed(2)
    block = SelfAttention(16, **kwargs).double()
    x = torch.randn(2, 16, 4, 6).double()
    for _ in range(10):  # settle spectral norm's u, v (at init σ is a random projection, not ‖W‖₂)
        block(x)
    block.eval()
    assert block.value.weight.shape[0] == value_channels and block.out.weight.shape[1] == value_channels
    assert block.query.weight.shape[0] == 16 // kwargs.get("key_divisor", 8) == block.key.weight.shape[0]
    assert has_spectral_norm(block.query) == kwargs.get("spectral_norm", True)
    with torch.no_grad():
        block.gamma.fill_(0.7)
    assert torch.allclose(block(x), _attention_by_einsum(block, x, kwargs.get("pool", False)), atol=1e-10)
    # a position that differs from the others changes the output elsewhere: attention is non-local
    y = x.clone()
    y[:, :, 0, 0] += 3.0
    assert not torch.allclose(block(y)[:, :, 3, 5], block(x)[:, :, 3, 5])


def test_self_attention_is_the_identity_at_init_and_gamma_learns():
    block = SelfAttention(8)
    assert isinstance(block.gamma, nn.Parameter) and block.gamma.item() == 0.0 and block.gamma.dim() == 0
    x = torch.randn(3, 8, 4, 4)
    out = block(x)
    assert torch.equal(out, x)
    out.pow(2).sum().backward()  # γ gets a gradient even at 0
    assert block.gamma.grad is not None and block.gamma.grad.item() != 0.0
    assert all(getattr(block, name).bias is None for name in ("query", "key", "value", "out"))
    with pytest.raises(ValueError, match="divisible"):
        SelfAttention(12)
    with pytest.raises(ValueError, match=r"channels \(16\) must be divisible by key_divisor \(8\) and value_divisor \(3\)"):
        SelfAttention(16, value_divisor=3)


# -- conditional batch norm ------------------------------------------------------------------------
def _batch_norm_by_hand(x, eps):
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)  # biased, as BN normalises
    return (x - mean) / torch.sqrt(var + eps)


def test_conditional_batch_norm_is_bn_times_one_plus_gain_plus_bias():
    torch.manual_seed(3)
    norm = ConditionalBatchNorm2d(3, condition_dim=2, spectral_norm=False, eps=1e-3).double().train()
    with torch.no_grad():
        norm.gain.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        norm.bias.weight.copy_(torch.tensor([[0.5, 0.0], [0.0, -1.0], [0.0, 0.0]]))
    x, c = torch.randn(4, 3, 2, 2).double(), torch.tensor([[1.0, 2.0], [0.0, 0.0], [-1.0, 1.0], [2.0, 0.5]]).double()
    expected = _batch_norm_by_hand(x, 1e-3)
    for n, (c0, c1) in enumerate(c.tolist()):
        gain = [1 + c0, 1 + 2 * c1, 1 + c0 + c1]
        bias = [0.5 * c0, -c1, 0.0]
        for ch in range(3):
            expected[n, ch] = expected[n, ch] * gain[ch] + bias[ch]
    assert torch.allclose(norm(x, c), expected, atol=1e-10)
    assert norm.gain.bias is None and norm.bias.bias is None and not norm.bn.affine
    assert norm.bn.momentum == 0.1 and norm.bn.eps == 1e-3
    with pytest.raises(ValueError, match=r"condition of shape \(4, 2\)"):
        norm(x, c[:3])


def test_conditional_batch_norm_spectral_norm_and_gain_offset():
    norm = ConditionalBatchNorm2d(5, 7)
    assert has_spectral_norm(norm.gain) and has_spectral_norm(norm.bias)
    plain = ConditionalBatchNorm2d(2, 1, spectral_norm=False, gain_offset=0.0).eval()
    with torch.no_grad():
        plain.gain.weight.fill_(3.0)
        plain.bias.weight.zero_()
    x = torch.randn(2, 2, 1, 1)
    # eval mode with fresh running stats (mean 0, var 1): BN(x) = x / sqrt(1 + eps); gain = 0 + 3c
    out = plain(x, torch.tensor([[1.0], [2.0]]))
    assert torch.allclose(out, x / math.sqrt(1 + 1e-5) * torch.tensor([3.0, 6.0]).view(2, 1, 1, 1))


def test_class_conditional_batch_norm_picks_each_class_gamma_and_beta():
    norm = ClassConditionalBatchNorm2d(2, num_classes=3).double().train()
    assert (norm.bn.momentum, norm.bn.eps, norm.bn.affine) == (0.1, 1e-5, False)
    assert ClassConditionalBatchNorm2d(2, 3, eps=1e-3, momentum=0.2).bn.momentum == 0.2
    assert torch.equal(norm.gamma.weight, torch.ones(3, 2).double()) and torch.equal(norm.beta.weight, torch.zeros(3, 2).double())
    with torch.no_grad():
        norm.gamma.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        norm.beta.weight.copy_(torch.tensor([[0.0, 0.1], [0.2, 0.3], [0.4, 0.5]]))
    x, y = torch.randn(3, 2, 3, 3).double(), torch.tensor([2, 0, 2])
    expected = _batch_norm_by_hand(x, 1e-5)
    table_gamma, table_beta = {0: (1.0, 2.0), 2: (5.0, 6.0)}, {0: (0.0, 0.1), 2: (0.4, 0.5)}
    for n, label in enumerate(y.tolist()):
        for ch in range(2):
            expected[n, ch] = expected[n, ch] * table_gamma[label][ch] + table_beta[label][ch]
    assert torch.allclose(norm(x, y), expected, atol=1e-10)
    with pytest.raises(ValueError, match=r"labels of shape \(3,\)"):
        norm(x, y[:2])


# -- losses ----------------------------------------------------------------------------------------
def test_hinge_losses_by_hand():
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.5])
    # relu(1 - real) = (0, 0.5, 2) → 2.5/3; relu(1 + fake) = (0, 1, 2.5) → 3.5/3
    assert losses.hinge_d_loss(real, fake).item() == pytest.approx(6.0 / 3)
    assert losses.hinge_g_loss(fake).item() == pytest.approx(-(-0.5) / 3)


def test_orthogonal_regularization_is_beta_times_squared_off_diagonal_gram():
    # rows (1, 0, 1) and (1, 2, 0): W Wᵀ = [[2, 1], [1, 5]]; off-diagonal squares 1 + 1 = 2
    w = torch.tensor([[1.0, 0.0, 1.0], [1.0, 2.0, 0.0]])
    assert losses.orthogonal_regularization([w], beta=0.5).item() == pytest.approx(1.0)
    # a conv weight (2, 1, 1, 3) is reshaped to the same (2, 3) rows; an orthogonal matrix adds nothing
    conv = w.view(2, 1, 1, 3)
    q = torch.tensor([[0.6, 0.8], [-0.8, 0.6]]) * 7  # orthogonal rows, any norms
    assert losses.orthogonal_regularization([conv, q]).item() == pytest.approx(2e-4)
    # rows (1, 1), (1, -1), (2, 0): Gram off-diagonals 0, 2, 2 (twice each) → 2·(0 + 4 + 4) = 16
    three = torch.tensor([[1.0, 1.0], [1.0, -1.0], [2.0, 0.0]])
    assert losses.orthogonal_regularization([three], beta=1.0).item() == pytest.approx(16.0)
    # not WᵀW: the (3, 2) matrix's column Gram is [[6, 0], [0, 2]], no off-diagonal → 0 there
    p = three.clone().requires_grad_(True)
    losses.orthogonal_regularization([p], beta=1.0).backward()
    gram = three @ three.t()
    assert torch.allclose(p.grad, 4 * (gram * (1 - torch.eye(3))) @ three)
    with pytest.raises(ValueError, match="at least one weight"):
        losses.orthogonal_regularization([])
