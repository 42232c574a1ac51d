"""Streaming extraction, the feature cache, sharding under torch.distributed (2 gloo processes), writing
results into registry.yaml and model cards, and `zoo eval` end to end on a small local model."""
import os
import textwrap

import numpy as np
import pytest
import torch
import yaml
from torch import nn

from zoo.metrics import distributed
from zoo.registry import catalog
from zoo.metrics.eval import evaluate
from zoo.metrics.records import update_card, update_registry
from zoo.metrics.extractors import FeatureExtractor
from zoo.metrics.frechet import FeatureStats
from zoo.metrics.streaming import ExtractedSet, extract_batches, extract_images, generated_batches


class TinyExtractor(FeatureExtractor):
    """A fixed random conv net: 12-d features, 10 logits; counts the images it sees."""

    name = "tiny-test"
    feature_dim, num_classes = 12, 10

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.conv = nn.Conv2d(1, 3, 3)
        self.head = nn.Linear(12, 10)
        self.seen = 0

    def features(self, images):
        self.seen += len(images)
        x = images.mean(1, keepdim=True)
        return nn.functional.adaptive_avg_pool2d(torch.tanh(self.conv(x)), 2).flatten(1)

    def logits(self, images):
        return self.head(self.features(images))

    def features_and_logits(self, images):
        f = self.features(images)
        return f, self.head(f)


def tiny_extractor(**options):
    return TinyExtractor(**options)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GENZOO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_real_features_are_cached_by_content(cache_dir):
    images = torch.rand(20, 1, 16, 16) * 2 - 1
    ex = TinyExtractor()
    first = extract_images(ex, images, batch_size=6)
    assert ex.seen == 20 and list((cache_dir / "features").glob("*.safetensors"))
    again = extract_images(ex, images, batch_size=6)
    assert ex.seen == 20  # from the cache: the extractor did not run
    assert torch.equal(first.features, again.features) and torch.equal(first.logits, again.logits)
    changed = images.clone()
    changed[0, 0, 0, 0] = 0.123
    extract_images(ex, changed)
    assert ex.seen == 40  # a changed image is a new key
    extract_images(TinyExtractor(seed=1), images)  # other weights: another key, no stale answer
    assert len(list((cache_dir / "features").glob("*.safetensors"))) == 3


def test_streamed_statistics_and_features_do_not_depend_on_the_batch_size():
    images = torch.rand(23, 1, 16, 16) * 2 - 1
    ex = TinyExtractor()
    a = extract_batches(ex, images.split(5))
    b = extract_batches(ex, images.split(23))
    assert torch.allclose(a.features, b.features, atol=1e-6)
    np.testing.assert_allclose(a.stats.cov, b.stats.cov, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a.stats.mean, a.features.double().mean(0).numpy(), rtol=1e-9)


def test_generated_samples_are_the_same_whatever_the_batch_or_shard():
    import zoo

    model = zoo.create("dcgan", config=catalog().architecture("dcgan").test_config).eval()
    whole = torch.cat(list(generated_batches(model, 10, seed=3, batch_size=10)))
    pieces = torch.cat(list(generated_batches(model, 10, seed=3, batch_size=3, indices=range(0, 4)))
                       + list(generated_batches(model, 10, seed=3, batch_size=4, indices=range(4, 10))))
    assert torch.allclose(whole, pieces, atol=1e-6)
    assert torch.allclose(whole, model.generate(10, seed=3), atol=1e-6)


def test_shards_cover_every_index_once():
    parts = [distributed.shard(11, r, 3) for r in range(3)]
    assert [i for p in parts for i in p] == list(range(11))


def _distributed_worker(rank, world, init_file, images, out_dir):
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        got = extract_images(TinyExtractor(), images, batch_size=4, use_cache=False)  # shards inside
        torch.save({"features": got.features, "logits": got.logits, "n": got.stats.n,
                    "mean": torch.from_numpy(got.stats.mean), "cov": torch.from_numpy(got.stats.cov)},
                   os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        torch.distributed.destroy_process_group()


def test_two_gloo_processes_gather_the_same_result_as_one(tmp_path):
    images = torch.rand(13, 1, 16, 16) * 2 - 1
    torch.multiprocessing.spawn(_distributed_worker, args=(2, str(tmp_path / "init"), images, str(tmp_path)),
                                nprocs=2, join=True)
    single = extract_batches(TinyExtractor(), images.split(4))
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        assert got["n"] == 13
        assert torch.allclose(got["features"], single.features, atol=1e-6)
        assert torch.allclose(got["logits"], single.logits, atol=1e-6)
        np.testing.assert_allclose(got["mean"].numpy(), single.stats.mean, rtol=1e-6)  # float32 features
        np.testing.assert_allclose(got["cov"].numpy(), single.stats.cov, rtol=1e-5, atol=1e-9)


REGISTRY = textwrap.dedent("""\
    # the catalogue (a comment that must survive)
    dcgan.digits-32:
      architecture: dcgan
      source:
        repo_id: genzoo/dcgan-digits-32
        files:
          config: {filename: config.json, sha256: "%s"}
      dataset: digits  # trained on the digits

    # the next entry
    gan.digits-16:
      architecture: gan
      source:
        repo_id: genzoo/gan-digits-16
        files:
          config: {filename: config.json, sha256: "%s"}
      metrics:
        fid: {value: 99.0}
    """) % ("a" * 64, "b" * 64)


def test_metrics_land_in_the_registry_entry_and_nothing_else_changes(tmp_path):
    path = tmp_path / "registry.yaml"
    path.write_text(REGISTRY)
    update_registry(path, "dcgan.digits-32", {"fid": {"fid": 12.5, "extractor": "digits-judge", "n": 100}})
    update_registry(path, "gan.digits-16", {"is": {"is": 3.0, "is_std": 0.1}})
    text = path.read_text()
    data = yaml.safe_load(text)
    assert data["dcgan.digits-32"]["metrics"] == {"fid": {"fid": 12.5, "extractor": "digits-judge", "n": 100}}
    assert data["gan.digits-16"]["metrics"] == {"fid": {"value": 99.0}, "is": {"is": 3.0, "is_std": 0.1}}
    assert "# the catalogue (a comment that must survive)" in text and "# trained on the digits" in text
    assert data["dcgan.digits-32"]["dataset"] == "digits"
    assert text.index("metrics:") < text.index("# the next entry")  # written inside its own entry
    with pytest.raises(Exception, match="no entry"):
        update_registry(path, "dcgan.nope", {"fid": {"fid": 1.0}})


def test_card_section_is_replaced_and_other_sections_kept(tmp_path):
    card = tmp_path / "README.md"
    card.write_text("# model\n\n## Measured metrics\n\nNone measured yet.\n\n## Config\n\nx\n")
    update_card(card, {"fid": {"fid": 1.5, "extractor": "e", "against": "digits", "n": 10, "seed": 0}})
    update_card(card, {"is": {"is": 2.0, "extractor": "e", "against": "digits", "n": 10, "seed": 0}})
    text = card.read_text()
    assert "None measured yet" not in text and "## Config\n\nx" in text
    assert "| fid | fid=1.5 | e vs digits, n=10, seed=0 |" in text and "| is | is=2.0 |" in text


def test_zoo_eval_end_to_end_on_a_local_model(tmp_path, cache_dir, capsys):
    import zoo
    from zoo.cli import main
    from zoo.hub import save_pretrained

    model = zoo.create("dcgan", config=catalog().architecture("dcgan").test_config)
    folder = save_pretrained(model, tmp_path / "tiny-dcgan")
    code = main(["eval", f"local-dir:{folder}", "--metric", "fid,is,kid,pr", "--against", "digits", "-n", "40",
                 "--extractor", "test_metrics_eval:tiny_extractor", "--write-card"])
    out = capsys.readouterr().out
    assert code == 0
    for key in ("fid=", "is=", "kid=", "precision=", "recall="):
        assert key in out
    card = (folder / "README.md").read_text()
    assert "| fid | fid=" in card and "tiny_extractor vs digits (val split, 359 images" in card


def test_evaluate_refuses_paired_metrics_for_a_noise_model_and_too_few_samples():
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="image-to-image model.*dcgan.digits-32 generates from noise"):
        evaluate("dcgan", ["psnr"])
    with pytest.raises(ValueError, match="run them separately"):
        evaluate("dcgan", ["psnr", "fid"])
    with pytest.raises(ValueError, match="at least 2"):
        evaluate("dcgan", ["fid"], n=1)


def test_extracted_set_from_tensors():
    s = ExtractedSet.from_tensors(torch.eye(3))
    assert len(s) == 3 and isinstance(s.stats, FeatureStats) and s.logits is None


def test_the_digits_judge_is_an_extractor_by_name():
    from zoo.metrics.eval import default_extractor
    from zoo.metrics.extractors import get_extractor

    judge = get_extractor("digits-judge")
    assert isinstance(judge, FeatureExtractor) and not judge.training
    feats, logits = judge.features_and_logits(torch.rand(3, 1, 32, 32) * 2 - 1)
    assert feats.shape == (3, judge.feature_dim) and logits.shape == (3, 10)
    assert default_extractor("digits") == "digits-judge" and default_extractor("photos-sr") == "inception-fid"


def test_write_card_resolves_a_registry_name_to_its_entry(tmp_path, monkeypatch):
    from zoo import registry
    from zoo.metrics.records import write_results

    path = tmp_path / "registry.yaml"
    path.write_text(REGISTRY)
    monkeypatch.setenv("GENZOO_REGISTRY", str(path))
    registry.reset()
    try:
        result = {"metrics": {"fid": {"fid": 7.25}}, "protocol": {"extractor": "digits-judge", "n": 50, "seed": 0,
                                                                   "against": "digits (train split, 1438 images)"}}
        assert write_results("dcgan.digits-32", result) == [path]  # no shipped copy: no card to write
    finally:
        registry.reset()
    entry = yaml.safe_load(path.read_text())["dcgan.digits-32"]
    assert entry["metrics"]["fid"] == {"fid": 7.25, "extractor": "digits-judge", "n": 50, "seed": 0,
                                       "against": "digits (train split, 1438 images)"}
