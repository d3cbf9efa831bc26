"""Per-call cost of a compiled training step against plain `jax.jit`, as the parameter count grows.

    python benchmarks/compile_overhead.py                    # depths 10, 100, 300; 5 rounds
    python benchmarks/compile_overhead.py --depths 100 --rounds 3 --steps 50

The model is an MLP of `depth` x (`Linear(16, 16)` + `ReLU`), batch 8, MSE loss, plain SGD.
Rows, each one training step per call, timed over `--steps` calls after warm-up (the loss is
read back at the end of each round, not every step, so the dispatch cost is what is measured):

- raw_jit: `jax.jit` over a list of weight/bias arrays, written by hand;
- functional_jit: the functional core (`functional.Sequential` of `Linear`/`ReLU`,
  `functional.mse_loss`, `optim.sgd`) under `jax.jit` with params and state donated;
- compile: the imperative step (`zero_grad`, forward, `backward`, `SGD.step`) under
  `functorch_lite.compile`;
- nnx_jit: Flax NNX's `nnx.jit` over the same MLP with `nnx.Optimizer(optax.sgd)`, only if flax is
  installed (`pip install flax`; not a dependency of functorch_lite).

Each cell is the median over rounds of the per-step time in ms; the ratio column is
compile / functional_jit from the same run. The machine is shared: compare ratios only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

WIDTH, BATCH, LR = 16, 8, 0.01
GOAL_RATIO = 1.2


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, WIDTH), dtype=np.float32), rng.standard_normal((BATCH, WIDTH), dtype=np.float32)


def raw_jit(depth: int):
    keys = jax.random.split(jax.random.PRNGKey(0), depth)
    params = [[jax.random.uniform(k, (WIDTH, WIDTH), minval=-0.25, maxval=0.25), jnp.zeros(WIDTH)] for k in keys]

    def loss_fn(params, x, y):
        for w, b in params:
            x = jax.nn.relu(x @ w.T + b)
        return jnp.mean((x - y) ** 2)

    @jax.jit
    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return jax.tree.map(lambda p, g: p - LR * g, params, grads), loss

    x, y = map(jnp.asarray, _data())
    carry = [params]

    def call():
        carry[0], loss = step(carry[0], x, y)
        return loss

    return call


def functional_jit(depth: int):
    import functorch_lite.functional as fn
    from functorch_lite.optim import sgd

    layers = []
    for _ in range(depth):
        layers += [fn.Linear(WIDTH, WIDTH), fn.ReLU()]
    net = fn.Sequential(*layers)
    optimizer = sgd(LR)
    params = net.init(jax.random.PRNGKey(0))
    state = optimizer.init(params)

    def train_step(params, state, x, y):
        loss, grads = jax.value_and_grad(lambda p: fn.mse_loss(net.apply(p, x), y))(params)
        params, state = optimizer.update(grads, state, params)
        return params, state, loss

    step = jax.jit(train_step, donate_argnums=(0, 1))
    x, y = map(jnp.asarray, _data())
    carry = [params, state]

    def call():
        carry[0], carry[1], loss = step(carry[0], carry[1], x, y)
        return loss

    return call


def compiled(depth: int):
    import functorch_lite as torch
    import functorch_lite.nn as nn
    import functorch_lite.nn.functional as F

    torch.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    net = nn.Sequential(*layers)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)

    @torch.compile
    def step(x, y):
        optimizer.zero_grad()
        loss = F.mse_loss(net(x), y)
        loss.backward()
        optimizer.step()
        return loss

    x, y = (torch.tensor(a) for a in _data())
    return lambda: step(x, y)


def nnx_jit(depth: int):
    import optax  # flax's own dependency: nnx.Optimizer wraps an optax transformation
    from flax import nnx

    class MLP(nnx.Module):
        def __init__(self, rngs: nnx.Rngs):
            self.layers = nnx.List([nnx.Linear(WIDTH, WIDTH, rngs=rngs) for _ in range(depth)])

        def __call__(self, x):
            for layer in self.layers:
                x = nnx.relu(layer(x))
            return x

    model = MLP(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.sgd(LR), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, x, y):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        optimizer.update(model, grads)
        return loss

    x, y = map(jnp.asarray, _data())
    return lambda: step(model, optimizer, x, y)


ROWS = {"raw_jit": raw_jit, "functional_jit": functional_jit, "compile": compiled}


def _time(call, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        loss = call()
    float(np.asarray(getattr(loss, "array", loss)))
    return (time.perf_counter() - start) / steps * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 100, 300])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    rows = dict(ROWS)
    try:
        import flax  # noqa: F401

        rows["nnx_jit"] = nnx_jit
    except ImportError:
        print("nnx_jit: skipped (flax is not installed)")
    header = f"{'depth':>5} {'params':>6} " + " ".join(f"{r:>15}" for r in rows) + f" {'compile/functional':>19}"
    if "nnx_jit" in rows:
        header += f" {'nnx/functional':>15}"
    print(header)
    goal = {}
    for depth in args.depths:
        calls = {name: make(depth) for name, make in rows.items()}
        for call in calls.values():  # compile and warm up
            for _ in range(3):
                call()
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.rounds):  # interleaved rounds: the same load for every row
            for name, call in calls.items():
                times[name].append(_time(call, args.steps))
        medians = {name: statistics.median(t) for name, t in times.items()}
        cells = " ".join(f"{medians[name]:>12.3f} ms" for name in rows)
        ratio = goal[depth] = medians["compile"] / medians["functional_jit"]
        line = f"{depth:>5} {2 * depth:>6} {cells} {ratio:>18.2f}x"
        if "nnx_jit" in rows:
            line += f" {medians['nnx_jit'] / medians['functional_jit']:>14.2f}x"
        print(line, flush=True)
    if 100 in goal:
        verdict = "met" if goal[100] <= GOAL_RATIO else "NOT met"
        print(f"goal (issue 9): compile within {GOAL_RATIO}x of functional_jit at depth 100: {verdict}", end=" ")
        print(f"({goal[100]:.2f}x)")


if __name__ == "__main__":
    main()
