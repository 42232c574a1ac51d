"""Training rules an objective declares as data and the generic trainer applies: lr schedules,
optimizer resets, batch-size schedules, gradient accumulation, parameters left out of a step,
sub-module update groups, EMA ramp-up, auxiliary frozen networks, and starting from another weight set.
Every expectation is computed by hand (or by a plain loop written here), never by the code under test."""
from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn

from zoo.data.batches import TensorBatches
from zoo.interfaces import EMASpec, Objective, OptimizerSpec, Phase, PhaseLosses, UpdateGroup
from zoo.training.groups import UpdateGroupError
from zoo.interfaces.schedules import BatchSizes, LinearDecay, MultiStep, Step, WarmUp
from zoo.training.trainer import Trainer
from zoo.training.warm_start import InitError, init_from, load_matching

SGD1 = OptimizerSpec("sgd", lr=1.0)


def _stream(batch):
    while True:
        yield batch


class Rule(Objective):
    """One group "g" over `roles`; the loss is `loss_fn(models, batch)`; extra class attributes as given."""

    def __init__(self, loss_fn, roles=("w",), optimizer=SGD1, **group_fields):
        self.loss_fn, self.roles, self.optimizer, self.group_fields = loss_fn, roles, optimizer, group_fields

    def update_groups(self):
        return (UpdateGroup("g", self.roles, self.optimizer, **self.group_fields),)

    def schedule(self, step):
        return (Phase("g", ("g",)),)

    def losses(self, phase, batch, models):
        return PhaseLosses({"g": self.loss_fn(models, batch)})


class Scalar(nn.Module):
    def __init__(self, value: float = 0.0) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([value]))


def _sum_loss(models, batch):  # d(loss)/dw = 1: SGD with lr η moves w by -η each step
    return models["w"].w.sum()


# -- learning-rate schedules ---------------------------------------------------------------------------
def test_schedules_give_the_hand_computed_multipliers():
    multi = MultiStep(milestones=(50_000, 80_000), factor=0.1)
    assert [multi.multiplier(s) for s in (0, 49_999, 50_000, 79_999, 80_000)] == \
        pytest.approx([1, 1, 0.1, 0.1, 0.01])
    decay = LinearDecay(start=100, end=200)
    assert [decay.multiplier(s) for s in (0, 100, 150, 175, 200, 300)] == pytest.approx([1, 1, 0.5, 0.25, 0, 0])
    warm = WarmUp(steps=4)
    assert [warm.multiplier(s) for s in (0, 1, 2, 4, 9)] == pytest.approx([0, 0.25, 0.5, 1, 1])
    both = WarmUp(steps=10, start_factor=0.5) * LinearDecay(start=100, end=200)
    assert [both.multiplier(s) for s in (0, 5, 10, 150, 250)] == pytest.approx([0.5, 0.75, 1, 0.5, 0])
    assert [Step(every=3, factor=0.5).multiplier(s) for s in (0, 2, 3, 6)] == pytest.approx([1, 1, 0.5, 0.25])
    assert pickle.loads(pickle.dumps(both)) == both  # plain data
    assert both.to_json()["kind"] == "Product" and "warm-up" in both.describe()
    assert multi.describe() == "x0.1 at steps 50000, 80000"
    with pytest.raises(ValueError, match="start < end"):
        LinearDecay(start=5, end=5)


def test_the_trainer_sets_each_step_lr_from_the_schedule_and_resumes_it():
    # SGD lr 1, gradient 1, MultiStep ×0.1 at step 2: w = 0 -1 -1 -0.1 -0.1 = -2.2 after 4 steps
    def trainer():
        return Trainer({"w": Scalar()}, Rule(_sum_loss, lr_schedule=MultiStep((2,), 0.1)), _stream({"x": torch.zeros(1)}))
    t = trainer()
    seen = []
    for _ in range(4):
        t.train_step()
        seen.append(t.optimizers["g"].param_groups[0]["lr"])
    assert seen == pytest.approx([1, 1, 0.1, 0.1])
    assert t.models["w"].w.item() == pytest.approx(-2.2)
    first = trainer()
    first.train_step(), first.train_step(), first.train_step()
    second = trainer()
    second.load_state_dict(first.state_dict())
    second.train_step()
    assert second.models["w"].w.item() == pytest.approx(-2.2)
    assert second.optimizers["g"].param_groups[0]["lr"] == pytest.approx(0.1)


# -- a parameter no loss reaches is not stepped -------------------------------------------------------
def test_a_parameter_without_gradient_is_bit_identical_after_10_adam_steps():
    torch.manual_seed(0)
    model = nn.ModuleDict({"used": nn.Linear(3, 1), "unused": nn.Linear(3, 1)})
    unused_before = [p.detach().clone() for p in model["unused"].parameters()]
    used_before = [p.detach().clone() for p in model["used"].parameters()]
    objective = Rule(lambda m, b: m["w"]["used"](b["x"]).pow(2).mean(), optimizer=OptimizerSpec("adam", lr=0.1))
    trainer = Trainer({"w": model}, objective, _stream({"x": torch.ones(4, 3)}))
    for _ in range(10):
        trainer.train_step()
    for before, p in zip(unused_before, model["unused"].parameters()):
        assert torch.equal(p.detach(), before) and p.grad is None
        assert p not in trainer.optimizers["g"].state  # Adam's moments never touched it
    assert all(not torch.equal(p.detach(), b) for p, b in zip(model["used"].parameters(), used_before))
    assert all(trainer.optimizers["g"].state[p]["step"] == 10 for p in model["used"].parameters())


# -- gradient accumulation ------------------------------------------------------------------------
def test_four_micro_batches_equal_one_four_times_larger_batch():
    torch.manual_seed(0)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    net = nn.Linear(3, 1)
    reference = [p.detach().clone() for p in net.parameters()]
    lr = 0.1
    for _ in range(3):  # plain full-batch gradient descent, written out
        w, b = (t.clone().requires_grad_(True) for t in reference)
        loss = ((x @ w.t() + b - y) ** 2).mean()
        gw, gb = torch.autograd.grad(loss, (w, b))
        reference = [w.detach() - lr * gw, b.detach() - lr * gb]
    objective = Rule(lambda m, batch: (m["w"](batch["x"]) - batch["y"]).pow(2).mean(), optimizer=OptimizerSpec("sgd", lr=lr))
    objective.micro_batches = 4
    trainer = Trainer({"w": net}, objective, _stream({"x": x, "y": y}))
    seen = []
    original = objective.losses
    objective.losses = lambda phase, batch, models: (seen.append(len(batch["x"])), original(phase, batch, models))[1]
    for _ in range(3):
        trainer.train_step()
    assert seen == [4] * 12  # 4 micro-batches of 4 per step
    for p, expected in zip(net.parameters(), reference):
        torch.testing.assert_close(p.detach(), expected, rtol=0, atol=1e-6)


# -- update groups over sub-modules -----------------------------------------------------------------
class TwoStages(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stage1, self.stage2 = nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x):
        return self.stage2(self.stage1(x))


def test_a_sub_module_group_updates_only_that_sub_module():
    torch.manual_seed(0)
    g = TwoStages()
    stage1, stage2 = g.stage1.weight.detach().clone(), g.stage2.weight.detach().clone()
    objective = Rule(lambda m, b: m["generator"](b["x"]).pow(2).mean(), roles=("generator.stage2",))
    trainer = Trainer({"generator": g}, objective, _stream({"x": torch.ones(4, 2)}))
    trainer.train_step()
    assert torch.equal(g.stage1.weight.detach(), stage1) and g.stage1.weight.grad is None
    assert not torch.equal(g.stage2.weight.detach(), stage2)
    assert {id(p) for p in trainer.params["g"]} == {id(p) for p in g.stage2.parameters()}


def test_a_missing_sub_module_is_named_with_the_components_children():
    objective = Rule(_sum_loss, roles=("generator.stage3",))
    with pytest.raises(UpdateGroupError, match=r"no sub-module 'stage3'.*\['stage1', 'stage2'\]"):
        Trainer({"generator": TwoStages()}, objective, _stream({}))


# -- optimizer resets and batch-size schedules -------------------------------------------------------
def test_the_optimizer_state_is_reset_at_the_declared_step():
    model = Scalar()
    objective = Rule(_sum_loss, optimizer=OptimizerSpec("adam", lr=0.1), reset_optimizer_at=(2,))
    trainer = Trainer({"w": model}, objective, _stream({"x": torch.zeros(1)}))
    counts = []
    for _ in range(4):
        trainer.train_step()
        counts.append(int(trainer.optimizers["g"].state[model.w]["step"]))
    assert counts == [1, 2, 1, 2]  # Adam restarted its moments (and bias correction) at step 2


def test_the_batch_size_follows_its_schedule_and_resumes_exactly():
    data = {"i": torch.arange(20)}

    def trainer():
        objective = Rule(lambda m, b: m["w"].w.sum() + 0 * b["i"].sum())
        objective.batch_sizes = BatchSizes(starts=(0, 2), sizes=(4, 2))
        seen = []
        original = objective.losses
        objective.losses = lambda phase, batch, models: (seen.append(batch["i"].tolist()), original(phase, batch, models))[1]
        return Trainer({"w": Scalar()}, objective, TensorBatches(data, batch_size=8, seed=0)), seen
    whole, seen_whole = trainer()
    for _ in range(5):
        whole.train_step()
    assert [len(b) for b in seen_whole] == [4, 4, 2, 2, 2]
    assert whole.images_seen == 14
    first, seen_first = trainer()
    for _ in range(3):
        first.train_step()
    second, seen_second = trainer()
    second.load_state_dict(first.state_dict())
    second.train_step(), second.train_step()
    assert seen_first + seen_second == seen_whole


# -- EMA with StyleGAN's ramp-up ---------------------------------------------------------------------
def test_ramped_ema_decay_follows_the_stylegan2_ada_formula():
    spec = EMASpec(kimg=10, rampup=0.05)
    # ema_nimg = min(10 * 1000, images_seen * 0.05); beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
    assert spec.decay_at(0, 32) == 0.0  # 0.5 ** (32 / 1e-8) underflows: the first step copies
    assert spec.decay_at(6400, 32) == pytest.approx(0.5 ** (32 / 320))  # 6400 * 0.05 = 320 images
    assert spec.decay_at(10_000_000, 32) == pytest.approx(0.5 ** (32 / 10_000))  # capped at 10 kimg
    assert EMASpec(kimg=10).decay_at(0, 32) == pytest.approx(0.5 ** (32 / 10_000))  # no ramp-up
    assert EMASpec(decay=0.9).decay_at(123, 32) == 0.9


def test_ramped_ema_weights_after_three_steps():
    # SGD lr 1 on w.sum(): w = -1, -2, -3 after steps 1..3; batch 4; kimg 0.01 (10 images), rampup 0.5:
    # step 1: 0 images seen  -> nimg 0 -> beta 0      -> ema = -1
    # step 2: 4 images seen  -> nimg 2 -> beta 0.25   -> ema = 0.25·(-1) + 0.75·(-2) = -1.75
    # step 3: 8 images seen  -> nimg 4 -> beta 0.5    -> ema = 0.5·(-1.75) + 0.5·(-3) = -2.375
    spec = EMASpec(role="w", kimg=0.01, rampup=0.5, name="w_ema")
    trainer = Trainer({"w": Scalar()}, Rule(_sum_loss), _stream({"x": torch.zeros(4, 1)}), ema=spec)
    expected = [-1.0, -1.75, -2.375]
    for value in expected:
        trainer.train_step()
        assert trainer.emas["w_ema"].module.w.item() == pytest.approx(value)
    state = trainer.state_dict()
    assert state["images_seen"] == 12 and torch.equal(state["emas"]["w_ema"]["w"], torch.tensor([-2.375]))


def test_several_emas_of_different_roles():
    specs = (EMASpec(role="w", decay=0.5, name="ema"), EMASpec(role="v", decay=0.0, name="v_ema"))
    objective = Rule(lambda m, b: m["w"].w.sum() + m["v"].w.sum(), roles=("w", "v"))
    trainer = Trainer({"w": Scalar(), "v": Scalar(10.0)}, objective, _stream({"x": torch.zeros(1)}), ema=specs)
    trainer.train_step(), trainer.train_step()
    # the average starts at the initial 0: 0.5·0 + 0.5·(-1) = -0.5, then 0.5·(-0.5) + 0.5·(-2) = -1.25
    assert trainer.emas["ema"].module.w.item() == pytest.approx(-1.25)
    assert trainer.emas["v_ema"].module.w.item() == pytest.approx(8.0)
    assert trainer.sampler() is trainer.emas["ema"].module


# -- auxiliary frozen networks ----------------------------------------------------------------------
class WithJudge(Rule):
    def __init__(self) -> None:
        super().__init__(lambda m, b: (m["w"].w * self.judge(b["x"])).sum())
        self.judge = nn.Linear(1, 1)

    def auxiliary(self):
        return {"judge": self.judge}


def test_auxiliary_networks_are_frozen_and_kept_out_of_the_saved_state():
    objective = WithJudge()
    judge_before = objective.judge.weight.detach().clone()
    trainer = Trainer({"w": Scalar()}, objective, _stream({"x": torch.ones(2, 1)}))
    trainer.train_step()
    judge = trainer.auxiliary["judge"]
    assert judge is objective.judge and not judge.training
    assert all(not p.requires_grad for p in judge.parameters())
    assert judge.weight.device == trainer.device and torch.equal(judge.weight.detach(), judge_before)
    state = trainer.state_dict()
    assert set(state["models"]) == {"w"}
    saved = [t for role in state["models"].values() for t in role.values()]
    assert not any(t is judge.weight or t.data_ptr() == judge.weight.data_ptr() for t in saved)
    stepped = {id(p) for o in trainer.optimizers.values() for group in o.param_groups for p in group["params"]}
    assert not stepped & {id(p) for p in judge.parameters()}


# -- starting from another weight set (zoo train --init) ----------------------------------------------
def test_load_matching_copies_strictly_or_partially_and_reports_each_role():
    torch.manual_seed(0)
    source = {"generator": nn.Linear(2, 3), "discriminator": nn.Linear(3, 1)}
    target = {"generator": nn.Linear(2, 3), "encoder": nn.Linear(3, 2)}
    report = load_matching(target, source, "old")
    assert torch.equal(target["generator"].weight, source["generator"].weight)
    assert report == ["generator: initialised from old (all 2 tensors)", "encoder: left fresh (old has no 'encoder')"]
    wider = {"generator": nn.Linear(2, 4)}
    with pytest.raises(InitError, match=r"generator.weight has shape \(3, 2\) in old but \(4, 2\) here"):
        load_matching(wider, source, "old")
    grown = {"generator": nn.Sequential()}
    grown["generator"].weight = nn.Parameter(torch.zeros(3, 2))  # same name and shape as the source's
    grown["generator"].extra = nn.Parameter(torch.zeros(5))
    with pytest.raises(InitError, match="1 tensor"):
        load_matching(grown, source, "old")
    report = load_matching(grown, source, "old", partial=("generator",))
    assert torch.equal(grown["generator"].weight, source["generator"].weight)
    assert torch.equal(grown["generator"].extra, torch.zeros(5))
    assert report == ["generator: initialised 1 of 2 tensors from old; left fresh: extra; not used from old: bias"]


TINY = {"resolution": 16, "g_width": 8, "d_width": 8, "latent_dim": 8, "channels": 1}


def test_init_loads_a_saved_weight_set_and_the_card_records_it(tmp_path):
    import zoo
    from zoo.training.recipe import train_architecture

    first = train_architecture("dcgan", steps=1, out=tmp_path / "first", config=TINY, batch_size=16,
                               progress=False)
    saved = zoo.load(f"local-dir:{first}")
    fresh = zoo.create("dcgan", config=TINY)
    report = init_from(fresh.components, f"local-dir:{first}")
    assert sorted(report) == sorted(f"{role}: initialised from local-dir:{first} (all "
                                   f"{len(fresh.components[role].state_dict())} tensors)" for role in fresh.components)
    for role in ("generator", "discriminator"):
        a, b = fresh.components[role].state_dict(), saved.components[role].state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    wider = zoo.create("dcgan", config={**TINY, "g_width": 16})
    with pytest.raises(InitError, match="generator"):
        init_from(wider.components, f"local-dir:{first}")
    second = train_architecture("dcgan", steps=1, out=tmp_path / "second", config=TINY, batch_size=16,
                                progress=False, init=f"local-dir:{first}")
    card = (second / "README.md").read_text()
    assert f"initialised from: local-dir:{first}" in card


def test_sub_module_groups_are_refused_under_ddp_with_a_reason():
    from zoo.training.distributed import DistContext

    objective = Rule(_sum_loss, roles=("generator.stage2",))
    with pytest.raises(UpdateGroupError, match="not supported in a distributed run"):
        Trainer({"generator": TwoStages()}, objective, _stream({}), dist=DistContext(0, 2))
