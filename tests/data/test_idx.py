"""Tests of the IDX reader and of mnist() on small IDX files written to tmp_path."""

import gzip
import os
import struct

import numpy as np
import pytest

from functorch_lite import datasets as fl_datasets


def _idx_bytes(array: np.ndarray, dtype_code: int = 0x08, big_endian_dtype=None) -> bytes:
    header = bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = array.astype(big_endian_dtype or array.dtype).tobytes()
    return header + data


def _write(path, content: bytes, compress: bool = False):
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_uint8_round_trip(tmp_path, compress):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = _write(tmp_path / "a-idx3-ubyte", _idx_bytes(array), compress)
    loaded = fl_datasets.read_idx(path)
    assert loaded.dtype == np.uint8 and loaded.shape == (2, 3, 4)
    np.testing.assert_array_equal(loaded, array)
    assert not loaded.flags.writeable


@pytest.mark.parametrize(
    "dtype_code,big_endian", [(0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8"), (0x09, "i1")]
)
def test_read_idx_wider_dtypes_are_big_endian(tmp_path, dtype_code, big_endian):
    array = np.array([[-3, 2], [7, 1000 if dtype_code != 0x09 else 100]])
    path = _write(tmp_path / "b.idx", _idx_bytes(array, dtype_code, big_endian))
    loaded = fl_datasets.read_idx(path)
    np.testing.assert_array_equal(loaded, array)
    assert loaded.dtype.byteorder in ("=", "|")


def test_read_idx_cache_sees_a_rewritten_file(tmp_path):
    path = _write(tmp_path / "c.idx", _idx_bytes(np.zeros(4, dtype=np.uint8)))
    assert fl_datasets.read_idx(path) is fl_datasets.read_idx(path)
    _write(path, _idx_bytes(np.ones(5, dtype=np.uint8)))
    os.utime(path, ns=(1, 1))
    np.testing.assert_array_equal(fl_datasets.read_idx(path), np.ones(5))


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x00\x00", "too short for an IDX header"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "wrong magic number 0x01000801"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "wrong magic number 0x00000701"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated inside its header"),
        (
            b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00\x01",
            r"is truncated: shape \(5,\) "
            "of uint8 needs 5 data bytes, found 2",
        ),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 1) + b"\x00\x01", "longer than its header says"),
    ],
)
def test_read_idx_rejects_corrupt_files(tmp_path, content, message):
    path = _write(tmp_path / "bad-idx", content)
    with pytest.raises(ValueError, match=f"read_idx: .*bad-idx .*{message}"):
        fl_datasets.read_idx(path)


def test_read_idx_truncated_gzip(tmp_path):
    packed = gzip.compress(_idx_bytes(np.arange(1000, dtype=np.uint32).astype(np.uint8)))
    path = _write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="read_idx: .*cut.gz is a corrupt or truncated gzip"):
        fl_datasets.read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        fl_datasets.read_idx(tmp_path / "absent")


def _write_mnist(directory, count=5, label_count=None, image_side=28):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, image_side, image_side), dtype=np.uint8)
    labels = rng.integers(0, 10, size=label_count or count, dtype=np.uint8)
    directory.mkdir(parents=True, exist_ok=True)
    _write(directory / "train-images-idx3-ubyte.gz", _idx_bytes(images), compress=True)
    _write(directory / "train-labels-idx1-ubyte", _idx_bytes(labels))
    return images, labels


def test_mnist_reads_files_from_root(tmp_path):
    images, labels = _write_mnist(tmp_path)
    loaded_images, loaded_labels = fl_datasets.mnist(tmp_path)
    assert loaded_images.shape == (5, 1, 28, 28) and loaded_images.dtype == np.float32
    np.testing.assert_allclose(loaded_images[:, 0] * 255, images, atol=1e-4)
    assert loaded_labels.dtype == np.int32
    np.testing.assert_array_equal(loaded_labels, labels)


def test_mnist_pads_to_32_and_finds_torchvision_layout(tmp_path):
    images, _ = _write_mnist(tmp_path / "MNIST" / "raw")
    padded, _ = fl_datasets.mnist(str(tmp_path), image_size=32)
    assert padded.shape == (5, 1, 32, 32)
    assert not padded[:, :, :2].any() and not padded[:, :, 30:].any()
    assert not padded[:, :, :, :2].any() and not padded[:, :, :, 30:].any()
    np.testing.assert_allclose(padded[:, 0, 2:30, 2:30] * 255, images, atol=1e-4)


def test_mnist_count_mismatch_and_bad_shape(tmp_path):
    _write_mnist(tmp_path / "mismatch", count=5, label_count=4)
    with pytest.raises(
        ValueError,
        match="mnist: count mismatch: .*train-images-idx3-ubyte.gz "
        "holds 5 images but .*train-labels-idx1-ubyte holds 4",
    ):
        fl_datasets.mnist(tmp_path / "mismatch")
    _write_mnist(tmp_path / "small", image_side=8)
    with pytest.raises(ValueError, match=r"shape \(N, 28, 28\), got uint8 \(5, 8, 8\)"):
        fl_datasets.mnist(tmp_path / "small")


def test_mnist_missing_files_lists_every_path_and_the_remedy(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        fl_datasets.mnist(tmp_path, train=False)
    message = str(caught.value)
    for name in (
        "t10k-images-idx3-ubyte.gz",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte",
    ):
        assert os.path.join(str(tmp_path), name) in message
        assert os.path.join(str(tmp_path), "MNIST", "raw", name) in message
    assert "get the four IDX files" in message
    assert "pass it as root=" in message and "not downloaded" in message


def test_fashion_mnist_missing_files_says_apt_get(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist.*root="):
        fl_datasets.fashion_mnist(tmp_path)


def test_mnist_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="mnist: image_size must be an int >= 28"):
        fl_datasets.mnist(tmp_path, image_size=16)
    with pytest.raises(TypeError, match="mnist: root must be a directory path"):
        fl_datasets.mnist(None)
    with pytest.raises(TypeError, match="fashion_mnist: train must be a bool"):
        fl_datasets.fashion_mnist(tmp_path, train="test")
