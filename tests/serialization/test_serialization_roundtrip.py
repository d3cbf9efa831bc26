"""save/load round trips: dtypes bit for bit, nested structures, placement, bad objects."""

from __future__ import annotations

import json
import pathlib
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

from functorch_lite.optim import rules
from functorch_lite.serialization import load, save
from functorch_lite.serialization import tree_codec as tree_codec_module
from tests.helpers.numerics import assert_bitwise

DTYPES = [
    np.float16, ml_dtypes.bfloat16, np.float32, np.float64,
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_,
]  # fmt: skip


def sample(dtype: type, shape: tuple) -> np.ndarray:
    """Values that expose any lossy step: NaN payloads, -0.0, extremes."""
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(*shape, np.dtype(dtype).itemsize), dtype=np.uint8)
    if np.dtype(dtype) == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    return raw.view(dtype).reshape(shape)


def read_header(path: pathlib.Path) -> dict:
    data = path.read_bytes()
    return json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)], ids=str)
def test_numpy_round_trip_is_bitwise(tmp_path, dtype, shape):
    array = sample(dtype, shape)
    save({"x": array, "nested": [array]}, tmp_path / "a.safetensors")
    loaded = load(tmp_path / "a.safetensors", map_location="numpy")
    assert_bitwise(loaded["x"], array)
    assert_bitwise(loaded["nested"][0], array)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_jax_round_trip_keeps_dtype_with_x64(tmp_path, dtype):
    array = sample(dtype, (5,))
    with jax.enable_x64(True):
        save({"x": jnp.asarray(array)}, tmp_path / "a.safetensors")
        loaded = load(tmp_path / "a.safetensors")
        assert isinstance(loaded["x"], jax.Array)
        assert_bitwise(loaded["x"], array)


def test_nested_structure_round_trips_with_types(tmp_path):
    checkpoint = {
        "model": {"conv.weight": jnp.ones((2, 1, 3, 3)), "bn.running_mean": np.zeros(2, np.float32)},
        "optimizer": {
            "state": {0: {"step": np.array(3.0, np.float32), "exp_avg": np.ones(2, np.float32)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}],
        },
        "scheduler": {"last_epoch": 7, "name": "step", "gamma": None},
        "rng": jax.random.key_data(jax.random.PRNGKey(42)),
        "pairs": [(1, 2), [3, 4]],
        "mixed_keys": {1: "int", "1": "str", (2, "a"): "tuple", None: "none", False: "bool"},
        "floats": [float("inf"), -0.0, 1e-300],
    }
    save(checkpoint, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")
    assert list(loaded) == list(checkpoint)
    assert isinstance(loaded["model"]["conv.weight"], jax.Array)
    np.testing.assert_array_equal(loaded["model"]["conv.weight"], np.ones((2, 1, 3, 3)))
    state = loaded["optimizer"]["state"]
    assert list(state) == [0] and isinstance(next(iter(state)), int)
    assert float(state[0]["step"]) == 3.0
    group = loaded["optimizer"]["param_groups"][0]
    assert group == {"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}
    assert isinstance(group["betas"], tuple) and isinstance(group["params"], list)
    assert loaded["scheduler"] == checkpoint["scheduler"]
    assert isinstance(loaded["pairs"][0], tuple) and isinstance(loaded["pairs"][1], list)
    assert loaded["mixed_keys"] == checkpoint["mixed_keys"]
    assert [type(key) for key in loaded["mixed_keys"]] == [int, str, tuple, type(None), bool]
    assert loaded["floats"][0] == float("inf") and str(loaded["floats"][1]) == "-0.0"
    np.testing.assert_array_equal(loaded["rng"], checkpoint["rng"])


def test_scalars_and_bare_array_at_the_root(tmp_path):
    for obj in [None, 3, "text", [], {}, ()]:
        save(obj, tmp_path / "s.safetensors")
        loaded = load(tmp_path / "s.safetensors")
        assert loaded == obj and type(loaded) is type(obj)
    save(np.arange(4, dtype=np.int16), tmp_path / "s.safetensors")
    assert_bitwise(load(tmp_path / "s.safetensors", "numpy"), np.arange(4, dtype=np.int16))


def test_flat_state_dict_is_plain_safetensors(tmp_path):
    state_dict = {"fc.weight": np.ones((2, 3), np.float32), "fc.bias": np.zeros(2, np.float32)}
    save(state_dict, tmp_path / "sd.safetensors")
    header = read_header(tmp_path / "sd.safetensors")
    assert header.pop("__metadata__") == {"format": "pt"}
    assert list(header) == ["fc.weight", "fc.bias"]
    assert header["fc.weight"]["dtype"] == "F32" and header["fc.weight"]["shape"] == [2, 3]
    loaded = load(tmp_path / "sd.safetensors", "numpy")
    assert list(loaded) == list(state_dict)
    assert_bitwise(loaded["fc.weight"], state_dict["fc.weight"])


def test_colliding_dotted_names_stay_distinct(tmp_path):
    obj = {"a.b": np.array([1]), "a": {"b": np.array([2])}, "__metadata__": [np.array([3])]}
    save(obj, tmp_path / "n.safetensors")
    loaded = load(tmp_path / "n.safetensors", "numpy")
    assert [int(loaded["a.b"][0]), int(loaded["a"]["b"][0]), int(loaded["__metadata__"][0][0])] == [1, 2, 3]


class Pair(NamedTuple):
    first: object
    second: object


def test_namedtuple_inside_the_package_round_trips_as_its_class(tmp_path, monkeypatch):
    # Pretend Pair lives in functorch_lite: only such classes may be re-imported.
    monkeypatch.setattr(Pair, "__module__", tree_codec_module.__name__)
    monkeypatch.setattr(tree_codec_module, "Pair", Pair, raising=False)
    save({"state": Pair(np.ones(2, np.float32), (1, None))}, tmp_path / "p.safetensors")
    loaded = load(tmp_path / "p.safetensors")["state"]
    assert type(loaded) is Pair and loaded.second == (1, None)


def test_optimizer_state_namedtuple_round_trips(tmp_path):
    state = rules.SGDState(step=jnp.array(4), momentum_buffer={"w": jnp.ones(3)})
    save(state, tmp_path / "o.safetensors")
    loaded = load(tmp_path / "o.safetensors")
    assert type(loaded) is rules.SGDState
    np.testing.assert_array_equal(loaded.momentum_buffer["w"], np.ones(3))


def test_namedtuple_from_outside_the_package_loads_as_dict(tmp_path):
    save(Pair(np.ones(2), "x"), tmp_path / "p.safetensors")
    header = read_header(tmp_path / "p.safetensors")
    assert "test_serialization_roundtrip:Pair" in header["__metadata__"]["functorch_lite.tree"]
    loaded = load(tmp_path / "p.safetensors", "numpy")
    assert type(loaded) is dict and list(loaded) == ["first", "second"] and loaded["second"] == "x"


def test_namedtuple_naming_a_foreign_module_is_never_imported(tmp_path, monkeypatch):
    imported = []
    monkeypatch.setattr("importlib.import_module", lambda name: imported.append(name))
    tree = {"version": 1, "root": {"namedtuple": "os:system", "fields": ["a"], "values": [1]}}
    path = tmp_path / "t.safetensors"
    with open(path, "wb") as file:
        from functorch_lite.serialization.safetensors_format import write_safetensors

        write_safetensors(file, {}, {"functorch_lite.tree": json.dumps(tree)})
    assert load(path) == {"a": 1}
    assert imported == []


def test_object_with_array_protocol_saves_as_array(tmp_path):
    class HasArray:
        def __array__(self, dtype=None, copy=None):
            return np.arange(3, dtype=np.int32)

    class HasJaxArray:
        def __jax_array__(self):
            return jnp.full((2,), 7, jnp.int32)

    save({"a": HasArray(), "b": [HasJaxArray()]}, tmp_path / "x.safetensors")
    loaded = load(tmp_path / "x.safetensors", "numpy")
    assert_bitwise(loaded["a"], np.arange(3, dtype=np.int32))
    assert_bitwise(loaded["b"][0], np.full((2,), 7, np.int32))


@pytest.mark.parametrize(
    "obj, message",
    [
        (
            {"optimizer": {"param_groups": [{"foo": lambda: 0}]}},
            r"save: cannot serialise object at 'optimizer.param_groups\[0\].foo' of type function",
        ),
        ([1, object()], r"object at '\[1\]' of type object"),
        ({"s": {1, 2}}, r"object at 's' of type set"),
        ({3: {"b": b"bytes"}}, r"object at '\[3\].b' of type bytes"),
        ({"x": np.array([1 + 2j], np.complex128)}, r"array at 'x' has dtype complex128"),
        ({"x": np.array(["a"], object)}, r"array at 'x' has dtype object"),
        ({frozenset(): 1}, r"dict key frozenset\(\) of type frozenset"),
    ],
)
def test_unsupported_objects_raise_type_error_naming_the_path(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        save(obj, tmp_path / "bad.safetensors")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


def test_map_location_numpy_default_and_devices(tmp_path):
    save({"w": np.ones(3, np.float32)}, tmp_path / "m.safetensors")
    as_numpy = load(tmp_path / "m.safetensors", map_location="numpy")["w"]
    assert type(as_numpy) is np.ndarray and as_numpy.flags.writeable
    default = load(tmp_path / "m.safetensors")["w"]
    assert isinstance(default, jax.Array) and default.devices() == {jax.devices()[0]}
    cpu = jax.devices("cpu")[0]
    assert load(tmp_path / "m.safetensors", cpu)["w"].devices() == {cpu}
    assert load(tmp_path / "m.safetensors", "cpu")["w"].devices() == {cpu}
    assert load(str(tmp_path / "m.safetensors"), "cpu:0")["w"].devices() == {cpu}


def test_bad_map_location_and_path_types(tmp_path):
    save({"w": np.ones(1)}, tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="load: map_location must be .* got int"):
        load(tmp_path / "m.safetensors", map_location=0)
    with pytest.raises(TypeError, match="save: path must be a str or os.PathLike, got int"):
        save({}, 3)
    with pytest.raises(TypeError, match="load: path must be a str or os.PathLike, got NoneType"):
        load(None)


def test_safetensors_package_reads_our_files_and_we_read_its(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    state_dict = {"a": sample(np.float32, (2, 2)), "b": sample(np.int64, (3,))}
    save(state_dict, tmp_path / "ours.safetensors")
    theirs = safetensors_numpy.load_file(str(tmp_path / "ours.safetensors"))
    assert list(theirs) == ["a", "b"] or sorted(theirs) == ["a", "b"]
    for key, array in state_dict.items():
        assert_bitwise(theirs[key], array)
    safetensors_numpy.save_file(state_dict, str(tmp_path / "theirs.safetensors"))
    loaded = load(tmp_path / "theirs.safetensors", "numpy")
    for key, array in state_dict.items():
        assert_bitwise(loaded[key], array)
    # A structured checkpoint is still a valid safetensors file for them.
    save({"nested": [state_dict["a"]], "step": 3}, tmp_path / "tree.safetensors")
    assert_bitwise(safetensors_numpy.load_file(str(tmp_path / "tree.safetensors"))["nested.0"],
                   state_dict["a"])  # fmt: skip
