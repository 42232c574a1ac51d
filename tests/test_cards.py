"""Model cards the Hub understands: huggingface_hub parses them, their model-index carries the measured
metrics, `zoo eval --write-card` (update_card) keeps table and metadata in step, and cards are
deterministic."""
from __future__ import annotations

import pytest
from huggingface_hub import ModelCard

import zoo
from zoo.card import model_card
from zoo.hub import save_pretrained
from zoo.metrics.records import update_card
from zoo.registry import catalog

SHA = "0123456789abcdef" * 4
EXTRA = {
    "name": "dcgan trained on digits",
    "load_name": "dcgan.digits-32",
    "dataset": "digits",
    "recipe": "zoo train dcgan --dataset digits --steps 10 --seed 0",
    "metrics": {"judge_is": 7.914,
                "pr": {"precision": 0.75, "recall": 0.5, "extractor": "digits-judge", "against": "digits (train split)",
                       "n": 100, "seed": 0}},
    "source_file": "dcgan_official.pth", "source_sha256": SHA, "converter": "dcgan-torch",
    "source_url": "https://example.org/dcgan_official.pth",
}
PR_ARGS = {"extractor": "digits-judge", "against": "digits (train split)", "n": 100, "seed": 0}


@pytest.fixture(scope="module")
def model():
    return zoo.create("dcgan", config=catalog().architecture("dcgan").test_config)


def results(card):
    return sorted((r.metric_type, r.metric_value, r.dataset_type, r.task_type, r.metric_args)
                  for r in card.data.eval_results or [])


def test_card_metadata_parses_with_huggingface_hub(model):
    text = model_card(model, EXTRA)
    card = ModelCard(text)
    assert card.data.library_name == "genzoo" and card.data.license == "mit"
    assert card.data.datasets == ["digits"]
    assert "arxiv:1511.06434" in card.data.tags and "dcgan" in card.data.tags  # DCGAN, Radford et al.
    assert card.data.pipeline_tag == "unconditional-image-generation"
    assert card.data.model_name == "dcgan trained on digits"
    task = "unconditional-image-generation"
    assert results(card) == [("judge_is", 7.914, "digits", task, None),
                             ("precision", 0.75, "digits", task, PR_ARGS),
                             ("recall", 0.5, "digits", task, PR_ARGS)]
    assert card.data.genzoo == {"architecture": "dcgan", "source_file": "dcgan_official.pth", "source_sha256": SHA,
                                "converter": "dcgan-torch", "source_url": "https://example.org/dcgan_official.pth"}
    body = card.text
    assert "(https://arxiv.org/abs/1511.06434)" in body
    assert "zoo train dcgan --dataset digits --steps 10 --seed 0" in body
    assert f"- source sha256: `{SHA}`" in body and "- converter: `dcgan-torch`" in body
    assert "| precision=0.75, recall=0.5 | digits-judge vs digits (train split), n=100, seed=0 |" in body
    assert "| judge_is | 7.914 |  |" in body


def test_card_is_deterministic(model):
    reordered = dict(EXTRA, metrics=dict(reversed(list(EXTRA["metrics"].items()))))
    assert model_card(model, EXTRA) == model_card(model, dict(EXTRA)) == model_card(model, reordered)


def test_card_without_metrics_or_origin(model):
    card = ModelCard(model_card(model, {}))
    assert card.data.eval_results is None and card.data.datasets is None
    assert card.data.genzoo == {"architecture": "dcgan"}
    assert "None measured yet." in card.text and "## Origin" not in card.text


def test_saved_card_loads_from_disk_with_its_eval_results(model, tmp_path):
    folder = save_pretrained(model, tmp_path / "saved", card=EXTRA)
    card = ModelCard.load(folder / "README.md")
    assert [(r.metric_type, r.metric_value) for r in card.data.eval_results] == [
        ("judge_is", 7.914), ("precision", 0.75), ("recall", 0.5)]


def test_update_card_rewrites_table_and_model_index(model, tmp_path):
    path = tmp_path / "README.md"
    path.write_text(model_card(model, EXTRA))
    fid = {"fid": {"fid": 12.5, "extractor": "digits-judge", "against": "digits (train split)", "n": 50, "seed": 1}}
    newer_pr = {"pr": {"precision": 0.8, "recall": 0.6, "extractor": "digits-judge", "against": "digits (train split)",
                       "n": 50, "seed": 1}}
    update_card(path, {**fid, **newer_pr})
    card = ModelCard.load(path)
    args = {"extractor": "digits-judge", "against": "digits (train split)", "n": 50, "seed": 1}
    task = "unconditional-image-generation"
    assert results(card) == [("fid", 12.5, "digits", task, args), ("judge_is", 7.914, "digits", task, None),
                             ("precision", 0.8, "digits", task, args), ("recall", 0.6, "digits", task, args)]
    assert card.data.library_name == "genzoo" and "arxiv:1511.06434" in card.data.tags  # the rest is kept
    assert card.data.genzoo["source_sha256"] == SHA
    assert "| fid | fid=12.5 | digits-judge vs digits (train split), n=50, seed=1 |" in card.text
    assert "| pr | precision=0.8, recall=0.6 |" in card.text and "precision=0.75" not in card.text
    assert "| judge_is | 7.914 |" in card.text and "## Config" in card.text
    once = path.read_text()
    update_card(path, {**fid, **newer_pr})
    assert path.read_text() == once  # same numbers, same bytes


def test_update_card_gives_a_bare_card_metadata(tmp_path):
    path = tmp_path / "tiny" / "README.md"
    path.parent.mkdir()
    path.write_text("# model\n\n## Measured metrics\n\nNone measured yet.\n\n## Config\n\nx\n")
    update_card(path, {"fid": {"fid": 1.5, "extractor": "e", "against": "digits", "n": 10, "seed": 0}})
    card = ModelCard.load(path)
    assert card.data.model_name == "tiny"
    assert results(card) == [("fid", 1.5, "digits", "unconditional-image-generation",
                              {"extractor": "e", "against": "digits", "n": 10, "seed": 0})]
    assert card.text.startswith("\n# model\n") and "## Config\n\nx" in card.text
    assert "None measured yet" not in card.text
