"""The datasets of zoo/data: shapes, value ranges, determinism, fixed splits, attributes, and `zoo data show`."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from zoo.data import digits as digits_module
from zoo.data import photos
from zoo.data.captions import ADJECTIVES, DIGIT_NAMES, Captions, _tertiles, make_caption
from zoo.data.digits import ATTRIBUTE_NAMES, Digits, load_digits_tensors, measure_attributes, source_digits
from zoo.data.folder import Folder
from zoo.data.inpainting import DigitsInpaint, PhotosInpaint
from zoo.data.layouts import CLASSES as LAYOUT_CLASSES, Layouts
from zoo.data.masks import apply_mask, free_form_mask, random_mask, rectangle_mask
from zoo.data.photos_sr import PhotosSR, bicubic_downscale
from zoo.data.text import BagOfWordsEncoder, content_words
from zoo.data.voxels import CLASSES as VOXEL_CLASSES, Voxels, random_rotation

ALL_DATASETS = ("digits", "photos-sr", "photos-inpaint", "digits-inpaint", "voxels", "layouts", "captions", "folder")


def assert_in_range(x, lo=-1.0, hi=1.0):
    assert x.dtype == torch.float32
    assert x.min() >= lo and x.max() <= hi, (x.min().item(), x.max().item())


def assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


# --------------------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits_train():
    return Digits(32, "train")


def test_digits_attributes_follow_the_contract(digits_train):
    d = digits_train
    assert d.attribute_names == ATTRIBUTE_NAMES == ("thickness", "slant", "width", "height")
    assert d.attributes.shape == (len(d), 4) and d.attributes.dtype == torch.float32
    assert set(d.tensors()) == {"image", "label", "attributes"}
    assert set(d[0]) == {"image", "label", "attributes"}
    assert torch.equal(d[5]["attributes"], d.attributes[5])
    # standardised over all 1,797 digits, not over the split
    everything = Digits(8, "all")
    assert torch.allclose(everything.attributes.mean(0), torch.zeros(4), atol=1e-4)
    assert torch.allclose(everything.attributes.std(0), torch.ones(4), atol=1e-4)
    # split rows are the same digits' rows of the full set
    train_idx, _ = digits_module._split_indices(source_digits()[1])
    assert torch.allclose(d.attributes, everything.attributes[train_idx])
    # the old API is unchanged
    images, labels = load_digits_tensors(16, "val")
    assert images.shape == (len(labels), 1, 16, 16)
    assert_in_range(images)


def test_measure_attributes_hand_computed():
    bar = torch.zeros(1, 8, 8)
    bar[0, 1:7, 3:5] = 1.0  # a vertical bar 2 wide, 6 tall
    thickness, slant, width, height = measure_attributes(bar)[0].tolist()
    assert thickness == pytest.approx(12 / 8)  # mass 12 / (perimeter 16 / 2)
    assert slant == pytest.approx(0.0, abs=1e-6)
    assert width == pytest.approx(math.sqrt(12 * 0.25))  # x in {3, 4}: variance 1/4
    assert height == pytest.approx(math.sqrt(12 * 35 / 12))  # y in 1..6: variance 35/12
    leaning_right = torch.eye(8).flip(1)[None]  # "/" : top to the right
    t, s, w, h = measure_attributes(leaning_right)[0].tolist()
    assert s == pytest.approx(1.0) and w == pytest.approx(0.0, abs=1e-3)
    assert measure_attributes(torch.eye(8)[None])[0, 1].item() == pytest.approx(-1.0)
    # sklearn's [0, 16] scale and [0, 1] measure the same; (N, 1, 8, 8) is accepted
    assert torch.allclose(measure_attributes(bar * 16), measure_attributes(bar[:, None]))
    with pytest.raises(ValueError, match="8x8"):
        measure_attributes(torch.zeros(2, 16, 16))


def test_attributes_respond_to_mirroring_and_dilation():
    ink, _ = source_digits()
    raw = measure_attributes(ink)
    mirrored = measure_attributes(ink.flip(-1))
    assert torch.allclose(mirrored[:, 1], -raw[:, 1], atol=1e-5)  # slant flips sign
    assert torch.allclose(mirrored[:, [0, 2, 3]], raw[:, [0, 2, 3]], atol=1e-4)  # the rest does not move
    assert (raw[:, 1] > 0.05).any() and (raw[:, 1] < -0.05).any()
    dilated = F.max_pool2d(ink[:, None], 3, stride=1, padding=1)[:, 0]
    assert (measure_attributes(dilated)[:, 0] > raw[:, 0]).float().mean() > 0.95  # strokes got thicker


def test_binary_attribute_splits_at_the_median(digits_train):
    everything = Digits(8, "all")
    for name in ATTRIBUTE_NAMES:
        above = everything.binary_attribute(name)
        assert above.dtype == torch.bool and above.shape == (1797,)
        assert abs(above.float().mean().item() - 0.5) < 0.01
        j = ATTRIBUTE_NAMES.index(name)
        assert (everything.attributes[above, j].min() >= everything.attributes[~above, j].max())
    assert digits_train.binary_attribute("slant").shape == (len(digits_train),)
    with pytest.raises(KeyError, match="thickness"):
        digits_train.binary_attribute("boldness")


# --------------------------------------------------------------------------------------- photos
def test_photos_are_shipped_split_by_photograph_and_missing_ones_skipped(monkeypatch):
    train, val = photos.available_photos("train"), photos.available_photos("val")
    assert len(train) >= 3 and len(val) >= 1 and not set(train) & set(val)
    monkeypatch.setitem(photos.PHOTOS, "not_shipped", ("needs_a_download.png", "train"))
    assert "not_shipped" not in photos.available_photos("train")
    with pytest.raises(FileNotFoundError, match="download"):
        photos.load_photo("not_shipped")
    with pytest.raises(ValueError, match="smaller resolution"):
        photos.photos_for_split("val", 5000)


@pytest.mark.parametrize("scale", [2, 4])
def test_photos_sr_pairs(scale):
    data = PhotosSR(32, "train", seed=0, scale=scale, size=6)
    t = data.tensors()
    assert t["image"].shape == (6, 3, 32, 32) and t["low_res"].shape == (6, 3, 32 // scale, 32 // scale)
    assert_in_range(t["image"]), assert_in_range(t["low_res"])
    # the low-resolution image is the bicubic shrink of the high-resolution crop
    assert torch.allclose(t["low_res"], bicubic_downscale(t["image"], scale), atol=1e-5)
    # and carries its content: upsampled back it is closer to its own crop than to another one
    back = F.interpolate(t["low_res"], scale_factor=scale, mode="bicubic", align_corners=False)
    own = (back - t["image"]).pow(2).mean((1, 2, 3))
    other = (back - t["image"].roll(1, 0)).pow(2).mean((1, 2, 3))
    assert (own < other).all()


def test_photos_sr_determinism_and_fixed_validation():
    a, b = PhotosSR(32, "train", seed=0, size=4), PhotosSR(32, "train", seed=0, size=4)
    assert_same(a.tensors(), b.tensors())
    assert not torch.equal(a.tensors()["image"], PhotosSR(32, "train", seed=1, size=4).tensors()["image"])
    assert torch.equal(PhotosSR(32, "val", seed=0, size=4).tensors()["image"],
                       PhotosSR(32, "val", seed=7, size=4).tensors()["image"])
    # item i does not depend on how many items are built
    assert torch.equal(a.tensors()["image"][:2], PhotosSR(32, "train", seed=0, size=2).tensors()["image"])
    assert a.photos != PhotosSR(32, "val", size=1).photos
    with pytest.raises(ValueError, match="divisible"):
        PhotosSR(30, scale=4)
    with pytest.raises(ValueError, match="scale"):
        PhotosSR(36, scale=3)
    with pytest.raises(ValueError, match="split"):
        PhotosSR(32, "test")


# --------------------------------------------------------------------------------------- inpainting
def test_masks():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = rectangle_mask(32, rng)
        assert m.shape == (1, 32, 32) and set(m.unique().tolist()) <= {0.0, 1.0}
        assert 0.25 ** 2 * 0.8 <= m.mean() <= 0.5 ** 2 * 1.2
        ys, xs = torch.nonzero(m[0], as_tuple=True)
        assert m[0, ys.min():ys.max() + 1, xs.min():xs.max() + 1].all()  # one solid rectangle
        f = free_form_mask(64, rng)
        assert f.shape == (1, 64, 64) and set(f.unique().tolist()) <= {0.0, 1.0} and 0 < f.mean() < 0.9
    assert torch.equal(free_form_mask(48, np.random.default_rng(3)), free_form_mask(48, np.random.default_rng(3)))
    image = torch.rand(2, 3, 8, 8) * 2 - 1
    mask = torch.zeros(2, 1, 8, 8)
    mask[:, :, 2:4, 2:4] = 1
    masked = apply_mask(image, mask)
    assert (masked[:, :, 2:4, 2:4] == 0).all() and torch.equal(masked[:, :, 5:, 5:], image[:, :, 5:, 5:])
    with pytest.raises(ValueError, match="mask kind"):
        random_mask(8, rng, "circle")


def _check_inpainting(t, channels, resolution):
    n = len(t["image"])
    assert t["image"].shape == t["masked"].shape == (n, channels, resolution, resolution)
    assert t["mask"].shape == (n, 1, resolution, resolution)
    assert_in_range(t["image"]), assert_in_range(t["masked"])
    assert set(t["mask"].unique().tolist()) == {0.0, 1.0}
    assert torch.equal(t["masked"], t["image"] * (1 - t["mask"]))
    assert (t["mask"].mean((1, 2, 3)) > 0).all()


def test_photos_inpaint():
    t = PhotosInpaint(32, "train", seed=0, size=6).tensors()
    _check_inpainting(t, 3, 32)
    assert_same(t, PhotosInpaint(32, "train", seed=0, size=6).tensors())
    assert not torch.equal(t["mask"], PhotosInpaint(32, "train", seed=1, size=6).tensors()["mask"])
    rect = PhotosInpaint(32, "val", mask_kind="rectangle", size=4).tensors()["mask"]
    for m in rect:  # every hole a solid rectangle
        ys, xs = torch.nonzero(m[0], as_tuple=True)
        assert m[0, ys.min():ys.max() + 1, xs.min():xs.max() + 1].all()
    with pytest.raises(ValueError, match="mask_kind"):
        PhotosInpaint(32, mask_kind="blob")


def test_digits_inpaint():
    data = DigitsInpaint(16, "val", seed=0)
    t = data.tensors()
    _check_inpainting(t, 1, 16)
    images, labels = load_digits_tensors(16, "val")
    assert torch.equal(t["image"], images) and torch.equal(t["label"], labels)
    assert torch.equal(t["mask"], DigitsInpaint(16, "val", seed=5).tensors()["mask"])  # validation is fixed
    assert set(data[3]) == {"image", "label", "mask", "masked"}


# --------------------------------------------------------------------------------------- voxels
def test_voxels_shapes_labels_and_fit():
    t = Voxels(32, "train", seed=0, size=12).tensors()
    assert t["voxels"].shape == (12, 1, 32, 32, 32)
    assert set(t["voxels"].unique().tolist()) == {0.0, 1.0}
    assert torch.equal(t["label"], torch.arange(12) % len(VOXEL_CLASSES))
    filled = t["voxels"].mean((1, 2, 3, 4))
    assert (filled > 0.005).all() and (filled < 0.5).all()
    v = t["voxels"][:, 0]
    border = torch.cat([v[:, [0, -1]].flatten(1), v[:, :, [0, -1]].flatten(1), v[:, :, :, [0, -1]].flatten(1)], 1)
    assert border.sum() == 0  # every pose fits inside the grid
    # a sphere is the same from every side: its occupancy is symmetric under flips through the centre
    sphere = v[0]
    assert torch.equal(sphere, sphere.flip(0)) and torch.equal(sphere, sphere.flip(1).flip(2))
    soft = Voxels(32, "train", size=2, soft=True).tensors()["voxels"]
    assert_in_range(soft, 0.0, 1.0)
    assert ((soft > 0) & (soft < 1)).any()
    assert torch.equal((soft > 0.5).float(), Voxels(32, "train", size=2).tensors()["voxels"])


def test_voxels_determinism_split_and_64():
    a = Voxels(32, "train", seed=0, size=6).tensors()
    assert_same(a, Voxels(32, "train", seed=0, size=6).tensors())
    assert not torch.equal(a["voxels"], Voxels(32, "train", seed=1, size=6).tensors()["voxels"])
    val = Voxels(32, "val", seed=0, size=6).tensors()
    assert torch.equal(val["voxels"], Voxels(32, "val", seed=3, size=6).tensors()["voxels"])
    assert all(not torch.equal(x, y) for x in a["voxels"] for y in val["voxels"])
    assert Voxels(64, size=1).tensors()["voxels"].shape == (1, 1, 64, 64, 64)
    rot = random_rotation(np.random.default_rng(1))
    assert torch.allclose(rot @ rot.T, torch.eye(3), atol=1e-5) and torch.det(rot) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="32, 64"):
        Voxels(48)


# --------------------------------------------------------------------------------------- layouts
def test_layouts():
    data = Layouts(32, "train", seed=0, size=8)
    t = data.tensors()
    k = len(LAYOUT_CLASSES)
    assert t["image"].shape == (8, 3, 32, 32) and t["label_map"].shape == (8, 32, 32)
    assert t["segmentation"].shape == (8, k, 32, 32) and t["label_map"].dtype == torch.long
    assert_in_range(t["image"])
    assert torch.equal(t["segmentation"].argmax(1), t["label_map"])
    assert torch.equal(t["segmentation"].sum(1), torch.ones(8, 32, 32))
    # sky mostly on top (a building or a peak may reach it), never at the bottom; the rendering follows the labels
    assert (t["label_map"][:, 0] == LAYOUT_CLASSES.index("sky")).float().mean() > 0.7
    assert not (t["label_map"][:, -1] == LAYOUT_CLASSES.index("sky")).any()
    sky, grass = t["label_map"] == 0, t["label_map"] == LAYOUT_CLASSES.index("grass")
    rgb = t["image"].permute(1, 0, 2, 3)
    assert rgb[2][sky].mean() > rgb[1][sky].mean()  # blue sky
    assert rgb[1][grass].mean() > rgb[2][grass].mean()  # green grass
    assert_same(t, Layouts(32, "train", seed=0, size=8).tensors())
    assert not torch.equal(t["label_map"], Layouts(32, "train", seed=1, size=8).tensors()["label_map"])
    assert torch.equal(Layouts(32, "val", seed=0, size=3).tensors()["image"],
                       Layouts(32, "val", seed=9, size=3).tensors()["image"])
    with pytest.raises(ValueError, match="16 px"):
        Layouts(8)


# --------------------------------------------------------------------------------------- captions
def test_captions_describe_the_digits():
    data = Captions(16, "val", seed=0)
    t = data.tensors()
    n = len(data)
    assert set(t) == {"image", "label", "attributes", "text_embedding", "description_id"}
    assert t["text_embedding"].shape == (n, 64) and t["description_id"].shape == (n,)
    assert isinstance(data[0]["caption"], str) and len(data.captions) == n
    low, high = _tertiles()
    for caption, label, raw in zip(data.captions, data.labels, data.raw_attributes):
        words = set(content_words(caption))
        assert DIGIT_NAMES[label] in words
        for j, name in enumerate(ATTRIBUTE_NAMES):
            assert (ADJECTIVES[name][1] in words) == bool(raw[j] > high[j]), caption
            assert (ADJECTIVES[name][0] in words) == bool(raw[j] < low[j]), caption
    assert data.captions == Captions(16, "val", seed=4).captions  # validation is fixed
    assert Captions(16, "train", seed=0).captions != Captions(16, "train", seed=1).captions  # phrasings vary


def test_text_encoder_reads_back_the_words():
    enc = BagOfWordsEncoder(64)
    templates = [make_caption(7, ["thick", "slanted"], k) for k in range(3)]
    assert templates[0] == "a thick, slanted seven"
    e = enc(templates)
    assert torch.allclose(e[0], e[1], atol=1e-6) and torch.allclose(e[0], e[2], atol=1e-6)
    assert not torch.allclose(enc("a thin seven"), enc("a thick seven"))
    assert torch.equal(BagOfWordsEncoder(64)("a wide two"), enc("a wide two"))  # no state: deterministic
    # the embedding is a linear code of the word set: least squares over the vocabulary recovers it
    vocab = list(DIGIT_NAMES) + [w for pair in ADJECTIVES.values() for w in pair]
    basis = torch.stack([enc.word_vector(w) for w in vocab], 1) / 64 ** 0.5  # (dim, V)
    captions = Captions(16, "val").captions[:50]
    coefficients = torch.linalg.lstsq(basis, enc(captions).T).solution.T  # (N, V)
    for caption, row in zip(captions, coefficients):
        assert {vocab[j] for j in torch.nonzero(row > 0.5).flatten()} == set(content_words(caption))
    with pytest.raises(ValueError):
        BagOfWordsEncoder(0)


# --------------------------------------------------------------------------------------- folder
def _write_png(path, array):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def image_folder(tmp_path):
    root = tmp_path / "faces"
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        for i in range(12):
            array = np.zeros((30, 60, 3), np.uint8)  # wide: red margins around a green centre square
            array[:, :15] = array[:, 45:] = (255, 0, 0)
            array[:, 15:45] = (0, 255 if cls == "cats" else 128, 0)
            array[:2, 20:40] = rng.integers(0, 255, (2, 20, 3))
            _write_png(root / cls / f"{i:02d}.png", array)
    return root


def test_folder_images_with_classes(image_folder):
    everything = Folder(image_folder, resolution=16, split="all")
    assert everything.class_names == ("cats", "dogs") and len(everything) == 24
    t = everything.tensors()
    assert t["image"].shape == (24, 3, 16, 16) and t["label"].tolist() == [0] * 12 + [1] * 12
    assert_in_range(t["image"])
    centre = t["image"][:, :, 4:, 4:12]  # the centre crop removed the red margins
    assert (centre[:, 0] < -0.9).all() and (centre[:12, 1] > 0.9).all()
    train, val = Folder(image_folder, 16, "train"), Folder(image_folder, 16, "val", val_percent=30)
    train30 = Folder(image_folder, 16, "train", val_percent=30)
    assert not set(train30.files) & set(val.files) and len(train30) + len(val) == 24 and len(val) > 0
    assert Folder(image_folder, 16, "train").files == train.files  # fixed
    item = everything[3]
    assert set(item) == {"image", "label"} and torch.allclose(item["image"], t["image"][3])
    grey = Folder(image_folder, 16, "all", channels=1, limit=5)
    assert grey.tensors()["image"].shape == (5, 1, 16, 16)


def test_folder_flat_and_voxels_and_errors(tmp_path, monkeypatch):
    flat = tmp_path / "flat"
    for i in range(3):
        _write_png(flat / f"{i}.jpg.png", np.full((20, 20, 3), 40 * i, np.uint8))
    data = Folder(flat, 8, "all")
    assert data.class_names == () and set(data[0]) == {"image"} and data.tensors()["image"].shape == (3, 3, 8, 8)
    shapes = tmp_path / "shapes"
    (shapes / "chairs").mkdir(parents=True)
    (shapes / "tables").mkdir()
    grid = np.zeros((16, 16, 16), bool)
    grid[4:12, 4:12, 4:12] = True
    for i in range(3):
        np.save(shapes / "chairs" / f"{i}.npy", grid)
        np.save(shapes / "tables" / f"{i}.npy", grid[None].astype(np.float32) * 0.5)
    vox = Folder(shapes, 32, "all")
    t = vox.tensors()
    assert vox.kind == "voxels" and t["voxels"].shape == (6, 1, 32, 32, 32) and t["label"].tolist() == [0] * 3 + [1] * 3
    assert_in_range(t["voxels"], 0.0, 1.0)
    assert t["voxels"][0, 0, 16, 16, 16] == 1 and t["voxels"][0, 0, 2, 2, 2] == 0
    np.save(shapes / "tables" / "bad.npy", np.full((4, 4, 4), 3.0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Folder(shapes, 8, "all").tensors()
    _write_png(shapes / "chairs" / "photo.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="kind="):
        Folder(shapes, 8, "all")
    monkeypatch.delenv("GENZOO_FOLDER_ROOT", raising=False)
    with pytest.raises(ValueError, match="root"):
        Folder()
    monkeypatch.setenv("GENZOO_FOLDER_ROOT", str(flat))
    assert len(Folder(resolution=8, split="all")) == 3
    with pytest.raises(FileNotFoundError):
        Folder(tmp_path / "nowhere")


# --------------------------------------------------------------------------------------- registry and CLI
def test_every_dataset_is_registered_and_batches():
    from zoo import registry
    from zoo.data.batches import TensorBatches

    cat = registry.catalog()
    assert set(ALL_DATASETS) <= set(cat.names("dataset"))
    batch = next(iter(TensorBatches(Layouts(32, size=8).tensors(), batch_size=4)))
    assert batch["segmentation"].shape == (4, len(LAYOUT_CLASSES), 32, 32)


@pytest.mark.parametrize("name", ALL_DATASETS)
def test_zoo_data_show_writes_a_picture(name, tmp_path, image_folder):
    from PIL import Image

    from zoo.cli import main

    out = tmp_path / f"{name}.png"
    argv = ["data", "show", name, "-o", str(out), "-n", "4"]
    if name == "folder":
        argv += ["--root", str(image_folder), "--split", "all"]
    if name in ("photos-sr", "photos-inpaint", "layouts"):
        argv += ["--resolution", "32"]
    assert main(argv) == 0
    with Image.open(out) as image:
        assert image.mode == "RGB" and image.width > 64 and image.height > 64
        assert len(np.unique(np.asarray(image).reshape(-1, 3), axis=0)) > 2  # not a blank sheet
