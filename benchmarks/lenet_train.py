"""Training-step throughput of LeNet-5 on CPU: functorch_lite against PyTorch eager (and peers).

Each measurement runs in its own fresh subprocess, so no implementation inherits another's
threads, caches or XLA flags. Rounds are interleaved (every row once per round, in turn)
and the table reports the median over rounds, because a shared machine is noisy: compare
ratios within one run, not numbers across runs.

    python benchmarks/lenet_train.py                     # batch 64 and 256, 5 rounds
    python benchmarks/lenet_train.py --with-peers        # + raw JAX jit, Flax NNX, Equinox
    python benchmarks/lenet_train.py --batches 64 --runs 7 --steps 100

To add a row, write `def run_<name>(batch, steps) -> float` (samples/s, timed with
`common.throughput`) and register it in `IMPLEMENTATIONS` (and, for an optional row, in
`PEERS`). Rows that need XLA flags get their own entry in `ROWS` with an environment.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # functorch_lite from this checkout

import facade_rows  # noqa: E402 - beside this file; its rows import functorch_lite lazily
from common import (  # noqa: E402 - beside this file
    LR,
    MOMENTUM,
    device_batches,
    measure_in_subprocess,
    random_batches,
    seed_net,
    throughput,
)


def _device_batches(images: np.ndarray, labels: np.ndarray) -> tuple[list, list]:
    return device_batches(images, labels)


# ---------------------------------------------------------------------------------------
# Implementations: each builds its model and step, then returns samples/s.
# ---------------------------------------------------------------------------------------


def run_torch_eager(batch: int, steps: int) -> float:
    """The seed's PyTorch eager loop: zero_grad, forward, CrossEntropyLoss, backward, SGD step."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    net = seed_net(nn, F)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    images, labels = random_batches(batch, steps)
    images, labels = torch.from_numpy(images), torch.from_numpy(labels).long()

    def step(i):
        optimizer.zero_grad()
        loss = criterion(net(images[i]), labels[i])
        loss.backward()
        optimizer.step()
        loss.item()

    return throughput(step, batch, steps)


def run_functorch_lite_jit(batch: int, steps: int) -> float:
    """`models.lenet5()` + `functional.cross_entropy` + `optim.sgd`, one jitted step with
    parameters and optimizer state donated."""
    import jax

    import functorch_lite.functional as fn
    from functorch_lite.models import lenet5
    from functorch_lite.optim import sgd

    net = lenet5()
    optimizer = sgd(LR, momentum=MOMENTUM)
    params = net.init(jax.random.PRNGKey(0))
    state = optimizer.init(params)

    def train_step(params, state, x, y):
        loss, grads = jax.value_and_grad(lambda p: fn.cross_entropy(net.apply(p, x), y))(params)
        params, state = optimizer.update(grads, state, params)
        return params, state, loss

    train_step = jax.jit(train_step, donate_argnums=(0, 1))
    images, labels = random_batches(batch, steps)
    images, labels = _device_batches(images, labels)
    carry = [params, state]

    def step(i):
        carry[0], carry[1], loss = train_step(carry[0], carry[1], images[i], labels[i])
        float(loss)

    return throughput(step, batch, steps)


def _jax_lenet_init(key):
    """PyTorch-like uniform init for the raw JAX peer (weights OIHW / (out, in))."""
    import jax
    import jax.numpy as jnp

    keys = jax.random.split(key, 5)

    def layer(k, shape, fan_in):
        bound = 1 / np.sqrt(fan_in)
        return {"w": jax.random.uniform(k, shape, minval=-bound, maxval=bound), "b": jnp.zeros(shape[0])}

    return {
        "conv1": layer(keys[0], (6, 1, 5, 5), 25),
        "conv2": layer(keys[1], (16, 6, 5, 5), 150),
        "fc1": layer(keys[2], (120, 400), 400),
        "fc2": layer(keys[3], (84, 120), 120),
        "fc3": layer(keys[4], (10, 84), 84),
    }


def run_jax_jit(batch: int, steps: int) -> float:
    """Raw JAX as in the anchors: NCHW `conv_general_dilated`, `reduce_window` max pool."""
    import jax
    import jax.numpy as jnp

    def conv(p, x):
        y = jax.lax.conv_general_dilated(x, p["w"], (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + p["b"][None, :, None, None]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_fn(p, x, y):
        x = pool(jax.nn.relu(conv(p["conv1"], x)))
        x = pool(jax.nn.relu(conv(p["conv2"], x))).reshape(x.shape[0], -1)
        x = jax.nn.relu(x @ p["fc1"]["w"].T + p["fc1"]["b"])
        x = jax.nn.relu(x @ p["fc2"]["w"].T + p["fc2"]["b"])
        logits = x @ p["fc3"]["w"].T + p["fc3"]["b"]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    def train_step(p, m, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        m = jax.tree.map(lambda m, g: MOMENTUM * m + g, m, g)
        p = jax.tree.map(lambda p, m: p - LR * m, p, m)
        return p, m, loss

    train_step = jax.jit(train_step, donate_argnums=(0, 1))
    params = _jax_lenet_init(jax.random.PRNGKey(0))
    carry = [params, jax.tree.map(jnp.zeros_like, params)]
    images, labels = random_batches(batch, steps)
    images, labels = _device_batches(images, labels)

    def step(i):
        carry[0], carry[1], loss = train_step(carry[0], carry[1], images[i], labels[i])
        float(loss)

    return throughput(step, batch, steps)


def run_flax_nnx(batch: int, steps: int) -> float:
    """Flax NNX (NHWC, its idiomatic layout) with optax SGD, as in the anchors."""
    import optax
    from flax import nnx

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.conv1 = nnx.Conv(1, 6, (5, 5), padding="VALID", rngs=rngs)
            self.conv2 = nnx.Conv(6, 16, (5, 5), padding="VALID", rngs=rngs)
            self.fc1 = nnx.Linear(400, 120, rngs=rngs)
            self.fc2 = nnx.Linear(120, 84, rngs=rngs)
            self.fc3 = nnx.Linear(84, 10, rngs=rngs)

        def __call__(self, x):
            x = nnx.max_pool(nnx.relu(self.conv1(x)), (2, 2), (2, 2))
            x = nnx.max_pool(nnx.relu(self.conv2(x)), (2, 2), (2, 2))
            x = x.reshape(x.shape[0], -1)
            return self.fc3(nnx.relu(self.fc2(nnx.relu(self.fc1(x)))))

    model = Net(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.sgd(LR, momentum=MOMENTUM), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(model):
            return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    images, labels = random_batches(batch, steps)
    images, labels = _device_batches(images.transpose(0, 1, 3, 4, 2), labels)

    def step(i):
        float(train_step(model, optimizer, images[i], labels[i]))

    return throughput(step, batch, steps)


def run_equinox(batch: int, steps: int) -> float:
    """Equinox (per-example model under vmap) with optax SGD, as in the anchors."""
    import equinox as eqx
    import jax
    import optax

    class Net(eqx.Module):
        layers: list

        def __init__(self, key):
            k = jax.random.split(key, 5)
            self.layers = [
                eqx.nn.Conv2d(1, 6, 5, key=k[0]),
                eqx.nn.Conv2d(6, 16, 5, key=k[1]),
                eqx.nn.Linear(400, 120, key=k[2]),
                eqx.nn.Linear(120, 84, key=k[3]),
                eqx.nn.Linear(84, 10, key=k[4]),
            ]

        def __call__(self, x):
            pool = eqx.nn.MaxPool2d(2, 2)
            c1, c2, f1, f2, f3 = self.layers
            x = pool(jax.nn.relu(c1(x)))
            x = pool(jax.nn.relu(c2(x))).reshape(-1)
            return f3(jax.nn.relu(f2(jax.nn.relu(f1(x)))))

    model = Net(jax.random.PRNGKey(0))
    tx = optax.sgd(LR, momentum=MOMENTUM)
    opt_state = tx.init(eqx.filter(model, eqx.is_array))

    @eqx.filter_jit(donate="all-except-first")
    def train_step(x, model, opt_state, y):
        def loss_fn(model):
            return optax.softmax_cross_entropy_with_integer_labels(jax.vmap(model)(x), y).mean()

        loss, grads = eqx.filter_value_and_grad(loss_fn)(model)
        updates, opt_state = tx.update(grads, opt_state, model)
        return loss, eqx.apply_updates(model, updates), opt_state

    images, labels = random_batches(batch, steps)
    images, labels = _device_batches(images, labels)
    carry = [model, opt_state]

    def step(i):
        loss, carry[0], carry[1] = train_step(images[i], carry[0], carry[1], labels[i])
        float(loss)

    return throughput(step, batch, steps)


# The registry: later rows (the facade's eager loop, a compiled facade step, a
# data-parallel step) are one `run_*` function and one entry here each.
IMPLEMENTATIONS: dict[str, Callable[[int, int], float]] = {
    "torch_eager": run_torch_eager,
    "functorch_lite_jit": run_functorch_lite_jit,
    "facade_eager": facade_rows.run_facade_eager,
    "facade_compiled": facade_rows.run_facade_compiled,
    "facade_data_parallel": facade_rows.run_facade_data_parallel,
    "jax_jit": run_jax_jit,
    "flax_nnx": run_flax_nnx,
    "equinox": run_equinox,
}
# Seconds from a fresh model to the end of the first compiled step (tracing + compilation).
FIRST_STEP: dict[str, Callable[[int], float]] = {
    "functorch_lite.compile": facade_rows.first_step_functorch_lite,
    "torch.compile": facade_rows.first_step_torch_compile,
}
# The data-parallel row splits each batch over 2 CPU devices (XLA's host-platform device count).
DATA_PARALLEL_ENV = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
PEERS = ("jax_jit", "flax_nnx", "equinox")
BASELINE = "torch_eager"

# XLA flags are read when the backend starts, so a flagged row is its own subprocess with
# XLA_FLAGS set; functorch_lite itself never sets flags.
ONEDNN_FLAGS = "--xla_cpu_use_onednn=true"
# XLA:CPU mallocs each execution's scratch buffer; glibc serves 32 MiB and more with a fresh
# mmap, so a step whose scratch is larger page-faults it in on every call (LeNet-5 at batch
# 512: 57 MiB). These glibc tunables keep freed blocks in one heap for the next call (with several
# arenas, worker threads still got fresh mappings in about half the runs); like the flags
# they are set only in that row's subprocess, never by functorch_lite.
MALLOC_ENV = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "2147483647"}


def rows(with_peers: bool, flag_rows: bool) -> list[tuple[str, str, dict[str, str]]]:
    """(label, implementation, extra environment) for each row of the table, in run order."""
    table = [
        ("torch_eager", "torch_eager", {}),
        ("functorch_lite jit", "functorch_lite_jit", {}),
        ("facade eager (seed loop, no compile)", "facade_eager", {}),
        ("facade compiled (functorch_lite.compile)", "facade_compiled", {}),
        ("facade compiled, data-parallel over 2 CPU devices", "facade_data_parallel", DATA_PARALLEL_ENV),
    ]
    if flag_rows:
        table.append(
            (f"functorch_lite jit, XLA_FLAGS={ONEDNN_FLAGS}", "functorch_lite_jit", {"XLA_FLAGS": ONEDNN_FLAGS})
        )
        table.append(
            ("functorch_lite jit, glibc heap reuse (MALLOC_ARENA_MAX=1 ...)", "functorch_lite_jit", MALLOC_ENV)
        )
    if with_peers:
        table += [(name, name, {}) for name in PEERS]
    return table


def _measure_in_subprocess(impl: str, batch: int, steps: int, env: dict[str, str]) -> float:
    """Samples/s of a training row, or seconds to the first step of a FIRST_STEP row, in a fresh process."""
    return float(measure_in_subprocess(__file__, [impl, str(batch), str(steps)], env)[_metric(impl)])


def _metric(impl: str) -> str:
    """The JSON key a worker reports its figure under: what the number measures."""
    return "first_step_s" if impl in FIRST_STEP else "samples_per_s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds; the table shows the median")
    parser.add_argument("--steps", type=int, default=50, help="timed steps per run (after 5 warm-up steps)")
    parser.add_argument("--with-peers", action="store_true", help="add raw JAX jit, Flax NNX and Equinox rows")
    parser.add_argument(
        "--no-flag-rows", action="store_true", help=f"skip the tuned rows ({ONEDNN_FLAGS}; glibc heap reuse)"
    )
    parser.add_argument(
        "--first-step",
        action="store_true",
        help="also time the first compiled step: functorch_lite.compile vs torch.compile",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="IMPL",
        choices=sorted(IMPLEMENTATIONS),
        help=f"time only these implementations ({BASELINE} is always kept, for the ratio)",
    )
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "BATCH", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        impl, batch, steps = args.worker[0], int(args.worker[1]), int(args.worker[2])
        value = FIRST_STEP[impl](batch) if impl in FIRST_STEP else IMPLEMENTATIONS[impl](batch, steps)
        print(json.dumps({_metric(impl): value}))
        return
    if args.first_step:
        batch = args.batches[0]
        print(f"time to the first compiled step of the seed loop at batch {batch} (fresh process, seconds):")
        for name in FIRST_STEP:
            print(f"  {name:24s} {_measure_in_subprocess(name, batch, 1, {}):8.1f}", flush=True)

    table = rows(args.with_peers, not args.no_flag_rows)
    if args.only:
        table = [row for row in table if row[1] in {*args.only, BASELINE}]
    # Rows are keyed by position: two rows may run one implementation (with and without flags).
    baseline_row = next(i for i, (_, impl, env) in enumerate(table) if impl == BASELINE and not env)
    results: dict[tuple[int, int], list[float]] = {(i, b): [] for i in range(len(table)) for b in args.batches}
    for round_index in range(args.runs):
        for batch in args.batches:
            for i, (_, impl, env) in enumerate(table):
                results[i, batch].append(_measure_in_subprocess(impl, batch, args.steps, env))
        print(f"round {round_index + 1}/{args.runs} done", file=sys.stderr, flush=True)

    print(
        f"LeNet-5 training step, samples/s (median of {args.runs} interleaved runs, {args.steps} steps each; "
        f"min-max in brackets); ratio = median / median of {BASELINE} at the same batch"
    )
    width = max(len(label) for label, _, _ in table)
    print(f"{'implementation':{width}s} {'batch':>5s} {'samples/s':>10s} {'(min-max)':>15s} {'ratio':>6s}")
    for batch in args.batches:
        baseline = float(np.median(results[baseline_row, batch]))
        for i, (label, _, _) in enumerate(table):
            values = results[i, batch]
            median = float(np.median(values))
            spread = f"({min(values):.0f}-{max(values):.0f})"
            print(f"{label:{width}s} {batch:5d} {median:10.0f} {spread:>15s} {median / baseline:6.2f}")


if __name__ == "__main__":
    main()
