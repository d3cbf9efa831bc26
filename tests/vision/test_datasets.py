"""vision.datasets on tiny files in the real formats, compared with torchvision's datasets on the same files."""

from __future__ import annotations

import gzip
import os
import pickle

import numpy as np
import pytest

from functorch_lite.utils.data import DataLoader, numpy_collate
from functorch_lite.vision import datasets, transforms
from tests.vision._torchvision import torchvision

PIL = pytest.importorskip("PIL.Image")


def _idx(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.tobytes()


def _write_mnist(root, folder: str, count: int = 12, gz: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    raw = os.path.join(root, folder, "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", count), ("t10k", count // 2)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for stem, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            data = _idx(array)
            if gz:
                with gzip.open(os.path.join(raw, stem + ".gz"), "wb") as file:
                    file.write(data)
            else:
                with open(os.path.join(raw, stem), "wb") as file:
                    file.write(data)
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST"])
def test_mnist_matches_torchvision(tmp_path, name):
    tv = torchvision()
    _write_mnist(tmp_path, name)
    for train in (True, False):
        ours = getattr(datasets, name)(tmp_path, train=train)
        theirs = getattr(tv.datasets, name)(str(tmp_path), train=train)
        assert len(ours) == len(theirs)
        np.testing.assert_array_equal(ours.data, theirs.data.numpy())
        np.testing.assert_array_equal(ours.targets, theirs.targets.numpy())
        assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
        for index in (0, len(ours) - 1):
            (image, target), (their_image, their_target) = ours[index], theirs[index]
            assert image.mode == their_image.mode == "L" and target == their_target
            np.testing.assert_array_equal(np.asarray(image), np.asarray(their_image))


def test_mnist_reads_gzip_and_transforms_like_torchvision(tmp_path):
    tv = torchvision()
    arrays = _write_mnist(tmp_path, "MNIST", gz=True)
    ours = datasets.MNIST(
        tmp_path, transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    )
    image, target = ours[3]
    theirs = tv.transforms.Compose([tv.transforms.ToTensor(), tv.transforms.Normalize((0.1307,), (0.3081,))])
    expected = theirs(PIL.fromarray(arrays["train"][0][3], "L")).numpy()
    np.testing.assert_allclose(np.asarray(image), expected, rtol=1e-6, atol=1e-6)
    assert target == int(arrays["train"][1][3])


def test_missing_files_say_what_to_place_where(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"download=True cannot fetch.*train-images-idx3-ubyte.*MNIST/raw"):
        datasets.MNIST(tmp_path, download=True)
    with pytest.raises(FileNotFoundError, match=r"cifar-10-batches-py/data_batch_1"):
        datasets.CIFAR10(tmp_path)


def test_fashion_mnist_falls_back_to_the_debian_files(tmp_path):
    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("the dataset-fashion-mnist package is not installed")
    test_set = datasets.FashionMNIST(tmp_path, train=False)
    assert len(test_set) == 10_000 and test_set.classes[0] == "T-shirt/top"


def test_batched_fetch_in_a_dataloader(tmp_path):
    arrays = _write_mnist(tmp_path, "MNIST", count=10)
    dataset = datasets.MNIST(tmp_path)
    images, labels = next(iter(DataLoader(dataset, batch_size=4, collate_fn=numpy_collate)))
    np.testing.assert_array_equal(images, arrays["train"][0][:4])
    assert labels.dtype == np.int64 and labels.tolist() == arrays["train"][1][:4].tolist()
    with_transform = datasets.MNIST(tmp_path, transform=transforms.ToTensor())
    batch, labels = next(iter(DataLoader(with_transform, batch_size=3, num_workers=2)))
    assert tuple(batch.shape) == (3, 1, 28, 28)
    np.testing.assert_allclose(np.asarray(batch)[:, 0], arrays["train"][0][:3] / 255.0, rtol=1e-6)


def _write_cifar_python(root, hundred: bool, rng):
    """Batches as CIFAR's python version holds them (str keys once read with encoding="latin1")."""
    folder = os.path.join(root, "cifar-100-python" if hundred else "cifar-10-batches-py")
    os.makedirs(folder)
    batches = {}
    names = ["train", "test"] if hundred else [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
    for name in names:
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        if hundred:
            entry = {"data": data, "fine_labels": rng.integers(0, 100, 4).tolist(), "coarse_labels": [0] * 4}
        else:
            entry = {"data": data, "labels": rng.integers(0, 10, 4).tolist(), "batch_label": "x"}
        entry["filenames"] = ["a.png"] * 4
        with open(os.path.join(folder, name), "wb") as file:
            pickle.dump(entry, file, protocol=2)
        batches[name] = entry
    meta = (
        {"fine_label_names": [f"c{i}" for i in range(100)]}
        if hundred
        else {"label_names": [f"class{i}" for i in range(10)]}
    )
    with open(os.path.join(folder, "meta" if hundred else "batches.meta"), "wb") as file:
        pickle.dump(meta, file, protocol=2)
    return batches


@pytest.mark.parametrize("hundred", [False, True])
def test_cifar_python_batches_match_torchvision(tmp_path, hundred, monkeypatch):
    tv = torchvision()
    # torchvision checks the real files' md5 sums; these are small stand-ins in the same format.
    monkeypatch.setattr(tv.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)
    _write_cifar_python(tmp_path, hundred, np.random.default_rng(1))
    name = "CIFAR100" if hundred else "CIFAR10"
    for train in (True, False):
        ours = getattr(datasets, name)(tmp_path, train=train)
        theirs = getattr(tv.datasets, name)(str(tmp_path), train=train)
        np.testing.assert_array_equal(ours.data, theirs.data)
        assert ours.targets == theirs.targets and ours.classes == theirs.classes
        assert ours.class_to_idx == theirs.class_to_idx
        image, target = ours[2]
        np.testing.assert_array_equal(np.asarray(image), np.asarray(theirs[2][0]))
        assert target == theirs[2][1]


def test_cifar_binary_version_equals_the_python_version(tmp_path):
    batches = _write_cifar_python(tmp_path / "py", False, np.random.default_rng(2))
    folder = tmp_path / "bin" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for name, entry in batches.items():
        rows = np.concatenate([np.array(entry["labels"], np.uint8)[:, None], entry["data"]], axis=1)
        rows.tofile(folder / f"{name}.bin")
    (folder / "batches.meta.txt").write_text("".join(f"class{i}\n" for i in range(10)))
    for train in (True, False):
        python, binary = datasets.CIFAR10(tmp_path / "py", train=train), datasets.CIFAR10(tmp_path / "bin", train=train)
        np.testing.assert_array_equal(python.data, binary.data)
        assert python.targets == binary.targets and python.classes == binary.classes


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_refuses_a_pickle_with_other_globals(tmp_path):
    _write_cifar_python(tmp_path, False, np.random.default_rng(3))
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "wb") as file:
        pickle.dump({"data": _Evil(), "labels": []}, file, protocol=2)
    with pytest.raises(datasets.UnsafePickleError, match=r"global (posix|os)\.system.*not allowed"):
        datasets.CIFAR10(tmp_path)


def test_cifar_refuses_object_arrays(tmp_path):
    _write_cifar_python(tmp_path, False, np.random.default_rng(4))
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as file:
        pickle.dump({"data": np.array([1, "x"], dtype=object), "labels": [0]}, file, protocol=2)
    with pytest.raises(datasets.UnsafePickleError, match="Python objects"):
        datasets.CIFAR10(tmp_path, train=False)


def _write_image_tree(root, rng):
    for class_name, count in (("cat", 3), ("dog", 2), ("zebra", 1)):
        (root / class_name / "nested").mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
            where = root / class_name / ("nested" if i == 2 else "") / f"img{i}.png"
            PIL.fromarray(pixels).save(where)
        (root / class_name / "notes.txt").write_text("not an image")


def test_image_folder_matches_torchvision(tmp_path):
    tv = torchvision()
    _write_image_tree(tmp_path, np.random.default_rng(5))
    ours, theirs = datasets.ImageFolder(tmp_path), tv.datasets.ImageFolder(str(tmp_path))
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.targets == theirs.targets and ours.imgs == theirs.imgs
    for index in range(len(ours)):
        np.testing.assert_array_equal(np.asarray(ours[index][0]), np.asarray(theirs[index][0]))
    loader = lambda path: open(path).read()  # noqa: E731
    texts = datasets.DatasetFolder(tmp_path, loader, extensions=(".txt",))
    assert [target for _, target in texts.samples] == [0, 1, 2] and texts[0][0] == "not an image"


def test_image_folder_reports_an_empty_class(tmp_path):
    _write_image_tree(tmp_path, np.random.default_rng(6))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(tmp_path)
    assert len(datasets.ImageFolder(tmp_path, allow_empty=True).classes) == 4


def test_fake_data_is_reproducible_and_batches():
    fake = datasets.FakeData(size=6, image_size=(3, 8, 10), num_classes=4, transform=transforms.ToTensor())
    image, target = fake[5]
    again, same_target = fake[5]
    assert tuple(image.shape) == (3, 8, 10) and 0 <= target < 4 and target == same_target
    np.testing.assert_array_equal(np.asarray(image), np.asarray(again))
    raw = datasets.FakeData(size=6, image_size=(1, 8, 10))
    images, targets = DataLoader(raw, batch_size=6, collate_fn=numpy_collate).__iter__().__next__()
    assert images.shape == (6, 8, 10, 1) and targets.shape == (6,)
    np.testing.assert_array_equal(images[2, :, :, 0], np.asarray(raw[2][0]))
    with pytest.raises(IndexError):
        raw[6]
