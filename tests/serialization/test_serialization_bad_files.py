"""Empty, truncated, corrupt and foreign files raise a ValueError naming the file and the defect."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest

from functorch_lite.serialization import load, save
from functorch_lite.serialization.safetensors_format import write_safetensors


def safetensors_bytes(header: dict, data: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode()
    return len(encoded).to_bytes(8, "little") + encoded + data


def valid_file(tmp_path):
    path = tmp_path / "good.safetensors"
    save({"w": np.arange(16, dtype=np.float32), "step": 3}, path)
    return path.read_bytes()


ENTRY = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def tree_file(tree: str) -> bytes:
    return safetensors_bytes({"__metadata__": {"functorch_lite.tree": tree}})


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"is empty"),
        (b"\x01\x02\x03", r"file of 3 bytes is too short for a header"),
        (np.random.default_rng(0).bytes(4096), r"bad header length \d+ for a file of 4096 bytes"),
        ((10**6).to_bytes(8, "little") + b"{}", r"bad header length 1000000 for a file of 10"),
        ((4).to_bytes(8, "little") + b"\xff\xfe{]", r"header is not JSON"),
        (safetensors_bytes([1, 2]), r"header is JSON but not an object"),
        (safetensors_bytes({"x": {**ENTRY, "dtype": "F12"}}, bytes(8)), r"unknown dtype 'F12'"),
        (safetensors_bytes({"x": {**ENTRY, "shape": [-2]}}, bytes(8)), r"invalid shape \[-2\]"),
        (
            safetensors_bytes({"x": {**ENTRY, "data_offsets": [0, 80]}}, bytes(8)),
            r"data_offsets \[0, 80\] outside the data area of 8 bytes",
        ),
        (
            safetensors_bytes({"x": {**ENTRY, "data_offsets": [0, 4]}}, bytes(8)),
            r"needs 8 bytes, but data_offsets \[0, 4\] span 4",
        ),
        (
            safetensors_bytes({"__metadata__": {"a": 1}}),
            r"__metadata__ must map strings to strings",
        ),
        (
            tree_file("{not json"),
            r"functorch_lite.tree metadata is not JSON",
        ),
        (
            tree_file('{"version": 99, "root": 1}'),
            r"format version 99 is not supported",
        ),
        (
            tree_file('{"version": 1, "root": {"array": "x"}}'),
            r"malformed functorch_lite.tree metadata: reference to missing tensor 'x'",
        ),
        (
            tree_file('{"version": 1, "root": {"set": []}}'),
            r"malformed functorch_lite.tree metadata: unknown node kind \['set'\]",
        ),
        (pickle.dumps({"w": [1.0]}, protocol=2), r"is a pickle file .*only torch itself can read"),
    ],
    ids=[
        "empty", "tiny", "random-bytes", "header-longer-than-file", "header-not-utf8-json",
        "header-not-object", "unknown-dtype", "negative-shape", "offsets-outside-file",
        "offsets-wrong-size", "metadata-not-strings", "tree-not-json", "tree-newer-version",
        "tree-missing-tensor", "tree-unknown-node", "plain-pickle",
    ],
)  # fmt: skip
def test_bad_file_raises_value_error_naming_it(tmp_path, content, message):
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"load: '.*bad\.bin'.*{message}"):
        load(path)


def test_truncated_checkpoint_names_the_tensor(tmp_path):
    content = valid_file(tmp_path)
    (tmp_path / "cut.safetensors").write_bytes(content[:-10])
    with pytest.raises(ValueError, match=r"cut\.safetensors'.*tensor 'w' .*outside the data area"):
        load(tmp_path / "cut.safetensors")


def test_zip_without_data_pkl(tmp_path):
    with zipfile.ZipFile(tmp_path / "foreign.zip", "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")
    with pytest.raises(ValueError, match=r"foreign\.zip' is a zip archive with 0 '<name>/data.pkl'"):
        load(tmp_path / "foreign.zip")


def test_truncated_zip(tmp_path):
    with zipfile.ZipFile(tmp_path / "full.zip", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
    (tmp_path / "cut.pt").write_bytes((tmp_path / "full.zip").read_bytes()[:40])
    with pytest.raises(ValueError, match=r"cut\.pt' starts like a zip archive but is not one"):
        load(tmp_path / "cut.pt")


def test_zip_with_garbage_pickle(tmp_path):
    with zipfile.ZipFile(tmp_path / "g.pt", "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02garbage")
    with pytest.raises(ValueError, match=r"g\.pt' has a malformed PyTorch data.pkl"):
        load(tmp_path / "g.pt")


def test_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load: no such file .*absent\.safetensors"):
        load(tmp_path / "absent.safetensors")


def test_header_length_with_low_byte_0x80_is_not_mistaken_for_pickle(tmp_path):
    # Regression: a header of 128 + 256k bytes starts with byte 0x80, like a pickle.
    metadata = {"pad": ""}
    with open(tmp_path / "h.safetensors", "wb") as file:
        for padding in range(200):
            metadata["pad"] = "x" * padding
            file.seek(0)
            file.truncate()
            write_safetensors(file, {"w": np.ones(2, np.float32)}, metadata)
            file.flush()
            if (tmp_path / "h.safetensors").read_bytes()[0] == 0x80:
                break
    assert (tmp_path / "h.safetensors").read_bytes()[0] == 0x80
    np.testing.assert_array_equal(load(tmp_path / "h.safetensors", "numpy")["w"], np.ones(2))
