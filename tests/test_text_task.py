"""Text to image as a task: generate_from_text / interpolate_text on a text-conditioned model (ganintcls,
stackgan), and `zoo generate NAME --text ... / --text-file / --interpolate-to` writing PNG grids; errors
in one line."""
import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo import registry
from zoo.cli.main import main
from zoo.hub import save_pretrained
from zoo.tasks.checks import InputValueError
from zoo.text.bag_of_words import BagOfWordsEncoder


def tiny(name):
    torch.manual_seed(0)
    cfg = {**registry.catalog().architecture(name).test_config, "text_encoder": "bag-of-words"}
    return zoo.create(name, config=cfg).eval()


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["ganintcls", "stackgan"])
def test_generate_from_text_is_generate_with_the_captions_embeddings(name):
    model = tiny(name)
    captions = ["a thin seven", "a wide, tall two"]
    images = model.generate_from_text(captions, n=3, seed=4)
    assert images.shape == (6, 1, 16, 16)
    c = BagOfWordsEncoder(64)(captions).repeat_interleave(3, 0)  # the generator's encoder, a second time
    torch.testing.assert_close(images, model.generate(6, seed=4, c=c))
    torch.testing.assert_close(model.generate_from_text("a thin seven", n=3, seed=4), model.generate(3, seed=4, c=c[:3]))
    with pytest.raises(InputValueError, match="non-empty strings"):
        model.generate_from_text([""], n=1)
    with pytest.raises(InputValueError, match="needs a 'text_embedding' condition"):
        model.generate(2)


def test_interpolate_text_rows_share_z_and_end_at_the_captions():
    model = tiny("ganintcls")
    g = model.sampler
    rows = model.interpolate_text("a thin seven", "a thick one", steps=5, n=2, seed=1)
    assert rows.shape == (10, 1, 16, 16)
    z = g.sample_latent(2, generator=torch.Generator().manual_seed(1), device="cpu")
    a, b = BagOfWordsEncoder(64)(["a thin seven", "a thick one"])
    with torch.no_grad():
        torch.testing.assert_close(rows[0], g(z[:1], a[None])[0])
        torch.testing.assert_close(rows[4], g(z[:1], b[None])[0])
        torch.testing.assert_close(rows[7], g(z[1:], (0.25 * a + 0.75 * b)[None])[0], atol=1e-4, rtol=0)
    with pytest.raises(InputValueError, match="at least 2"):
        model.interpolate_text("a one", "a two", steps=1)


def test_cli_generate_text_file_and_interpolation(tmp_path, capsys):
    model = tiny("stackgan")
    save_pretrained(model, tmp_path / "m")
    name = f"local-dir:{tmp_path / 'm'}"
    code, out, err = run_cli(capsys, "generate", name, "--text", "a thin 4", "-n", 8, "--scale", 1,
                             "-o", tmp_path / "one.png")
    assert code == 0 and "8 samples of each of 1 caption" in out, err
    torch.manual_seed(0)
    (tmp_path / "caps.txt").write_text("a thin seven\n\na wide two\n")
    code, out, err = run_cli(capsys, "generate", name, "--text-file", tmp_path / "caps.txt", "-n", 3,
                             "-o", tmp_path / "two.png")
    assert code == 0 and "of each of 2 caption" in out, err
    code, out, err = run_cli(capsys, "generate", name, "--text", "a thin seven", "--interpolate-to", "a thick one",
                             "-n", 2, "--steps", 4, "-o", tmp_path / "lerp.png")
    assert code == 0 and "2 rows from 'a thin seven' to 'a thick one'" in out, err
    for argv, fragment in ((("--interpolate-to", "a one"), "pass one --text"),
                           (("--text", "a", "--text", "b", "--interpolate-to", "c"), "from one caption"),
                           (("--text-file", tmp_path / "missing.txt"), "cannot read captions"),
                           (("--text", "a one", "--label", "3"), "exclude each other")):
        code, out, err = run_cli(capsys, "generate", name, *argv, "-o", tmp_path / "x.png")
        assert code == 2 and err.count("\n") == 1 and fragment in err, err


def test_cli_text_on_a_model_without_text(tmp_path, capsys):
    torch.manual_seed(0)
    model = zoo.create("dcgan", config=registry.catalog().architecture("dcgan").test_config)
    save_pretrained(model, tmp_path / "d")
    code, _, err = run_cli(capsys, "generate", f"local-dir:{tmp_path / 'd'}", "--text", "a one", "-o", tmp_path / "x.png")
    assert code == 2 and "does not take text" in err and err.count("\n") == 1


def test_attribute_agreement_reads_the_words_as_the_captions_do():
    """Words made by the captions' own rule (describe) from the measured pooled ink agree 100 %; the
    opposite words 0 %."""
    import torch.nn.functional as F

    from zoo.data.captions import ADJECTIVES, Captions, describe
    from zoo.data.digits import measure_attributes
    from zoo.metrics.text_scores import WORD_THIRD, attribute_agreement

    images = Captions(32, "val").images[:80]
    raw = measure_attributes(F.adaptive_avg_pool2d((images + 1) / 2, 8))
    words = [[w for w in describe(r) if w in WORD_THIRD] for r in raw]
    assert sum(map(len, words)) > 40
    assert attribute_agreement(images, words) == 1.0
    opposite = {a: b for pair in ADJECTIVES.values() for a, b in (pair, pair[::-1])}
    assert attribute_agreement(images, [[opposite[w] for w in ws] for ws in words]) == 0.0
