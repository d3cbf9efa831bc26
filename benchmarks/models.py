"""Training-step throughput of a model suite on CPU: every face of functorch_lite against PyTorch eager.

Models: MLP 784-512-512-10, LeNet-5, ResNet-8 and ResNet-20 for CIFAR, a 2-layer LSTM
language model and a 4-layer Transformer encoder classifier (the last two only where
`functorch_lite.nn` has `LSTM` / `TransformerEncoder`; otherwise the table says they were
skipped). Rows per model and batch:

- `jit`: the functional core (`functorch_lite.functional` + `optim.sgd`) under one
  `jax.jit` with parameters and optimizer state donated;
- `compile`: the imperative facade (`import functorch_lite as torch`) with its step wrapped
  in `functorch_lite.compile`;
- `eager`: the same facade loop, op by op;
- `torch`: PyTorch eager (the baseline of every ratio);
- `torch.compile` with `--torch-compile` (its warm-up, seconds to the first step, is reported);
- `jit_no_ynn` with `--flag-rows`: the `jit` row with `XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=`
  set in its own subprocess only (XLA:CPU's YNNPACK fusions off: Eigen runs the convolutions).

Every measurement is a fresh subprocess; rounds are interleaved (every row once per round)
and the table shows the median over rounds with the min-max range. Per model it also
reports the FLOPs of one training sample (XLA's `cost_analysis()` of the jitted step, plus
the LSTM's recurrent dots for the loop trips it counts only once) and
the fraction of the measured float32 matmul peak (a big jitted matmul, measured in the same
run) that each row reaches; for ResNet-20 at batch 128 (or the largest ResNet row run) it
reports the step's memory: XLA temp + argument bytes (`memory_analysis()`) and the
process's peak RSS during the timed steps, against PyTorch's.

    python benchmarks/models.py                                  # the full suite
    python benchmarks/models.py --models resnet8 --batches 128 --rounds 3 --only jit torch
    python benchmarks/models.py --models lenet --batches 256 --steps 50 --seconds 5

Optimizer everywhere: SGD, lr 0.001, momentum 0.9; cross-entropy loss; random data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # functorch_lite from this checkout

from common import (  # noqa: E402 - beside this file
    LR,
    MOMENTUM,
    device_batches,
    measure_in_subprocess,
    median_range,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
    seed_net,
    timed_throughput,
)

DISTINCT_BATCHES = 4  # random batches cycled through by every row

# ---------------------------------------------------------------------------------------
# Models over a torch-like namespace (torch's or functorch_lite's nn / F): one definition
# serves PyTorch, the facade eager and the facade compiled.
# ---------------------------------------------------------------------------------------


def mlp_net(nn, F):
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def resnet_net(nn, F, blocks_per_stage: int):
    """ResNet for CIFAR: conv3x3-16 + BN + ReLU; three stages (16, 32, 64 channels, the last two
    starting with stride 2) of basic blocks (two conv3x3 + BN, a conv1x1 + BN shortcut where the
    shape changes); global average pool; Linear(64, 10). Convolutions have no bias.
    blocks_per_stage 1 is ResNet-8, 3 is ResNet-20."""

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = None
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            layers, cin = [], 16
            for cout, stride in ((16, 1), (32, 2), (64, 2)):
                for i in range(blocks_per_stage):
                    layers.append(Block(cin, cout, stride if i == 0 else 1))
                    cin = cout
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = self.layers(F.relu(self.bn(self.conv(x))))
            return self.fc(self.pool(x).flatten(1))

    return ResNet()


VOCAB, SEQ_LSTM, SEQ_TRANSFORMER = 2000, 35, 64


def lstm_net(nn, F):
    """2-layer LSTM language model: embedding 256, hidden 256, vocabulary 2,000, 35-token segments
    (truncated BPTT: each step backpropagates through one segment; every row starts it from a
    zero state rather than carrying the previous segment's)."""

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 256)
            self.lstm = nn.LSTM(256, 256, num_layers=2, batch_first=True)
            self.out = nn.Linear(256, VOCAB)

        def forward(self, tokens):
            y, _ = self.lstm(self.embed(tokens))
            return self.out(y).reshape(-1, VOCAB)

    return LM()


def transformer_net(nn, F):
    """4-layer Transformer encoder classifier: d_model 128, 4 heads, feed-forward 512, sequence 64,
    PyTorch's default post-norm; mean over positions, then Linear(128, 10)."""

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 128)
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 4)
            self.fc = nn.Linear(128, 10)

        def forward(self, tokens):
            return self.fc(self.encoder(self.embed(tokens)).mean(1))

    return Classifier()


# name -> (model builder over (nn, F), input shape per sample (None: token ids), needed facade layer)
MODELS: dict[str, tuple[Callable, tuple[int, ...], str | None]] = {
    "mlp": (mlp_net, (784,), None),
    "lenet": (seed_net, (1, 32, 32), None),
    "resnet8": (lambda nn, F: resnet_net(nn, F, 1), (3, 32, 32), None),
    "resnet20": (lambda nn, F: resnet_net(nn, F, 3), (3, 32, 32), None),
    "lstm": (lstm_net, (SEQ_LSTM,), "LSTM"),
    "transformer": (transformer_net, (SEQ_TRANSFORMER,), "TransformerEncoder"),
}
DEFAULT_BATCHES = {"lenet": (32, 128, 256)}  # every other model: 32 and 128


def missing_layer(model: str) -> str | None:
    """The facade layer a model needs and functorch_lite.nn lacks, or None."""
    needed = MODELS[model][2]
    if needed is None:
        return None
    import functorch_lite.nn

    return None if hasattr(functorch_lite.nn, needed) else needed


def random_data(model: str, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """DISTINCT_BATCHES random inputs and int32 labels (token ids and next tokens for the LM)."""
    rng = np.random.default_rng(0)
    shape = MODELS[model][1]
    if model == "lstm":
        tokens = rng.integers(0, VOCAB, (DISTINCT_BATCHES, batch, SEQ_LSTM)).astype(np.int32)
        return tokens, np.roll(tokens, -1, axis=2).reshape(DISTINCT_BATCHES, -1)
    if model == "transformer":
        tokens = rng.integers(0, VOCAB, (DISTINCT_BATCHES, batch, SEQ_TRANSFORMER)).astype(np.int32)
        return tokens, rng.integers(0, 10, (DISTINCT_BATCHES, batch)).astype(np.int32)
    images = rng.standard_normal((DISTINCT_BATCHES, batch, *shape), dtype=np.float32)
    return images, rng.integers(0, 10, (DISTINCT_BATCHES, batch)).astype(np.int32)


# ---------------------------------------------------------------------------------------
# The functional core: pure models over parameter dicts.
# ---------------------------------------------------------------------------------------


def _pure_resnet(blocks_per_stage: int):
    """(init(rng) -> (params, state), apply(params, state, x) -> (logits, state)) for `resnet_net`."""
    import jax.numpy as jnp

    import functorch_lite.functional as fn

    specs = [("conv", 3, 16, 3, 1)]  # (name, cin, cout, kernel, stride); each conv has a BN
    blocks, cin = [], 16
    for s, (cout, stride) in enumerate(((16, 1), (32, 2), (64, 2))):
        for i in range(blocks_per_stage):
            name, st = f"layers.{s * blocks_per_stage + i}", stride if i == 0 else 1
            specs += [(f"{name}.conv1", cin, cout, 3, st), (f"{name}.conv2", cout, cout, 3, 1)]
            if st != 1 or cin != cout:
                specs.append((f"{name}.shortcut", cin, cout, 1, st))
            blocks.append((name, st != 1 or cin != cout, st))
            cin = cout

    def init(rng):
        params, state = {}, {}
        for name, ci, co, k, _ in specs:
            params[name] = {
                "w": jnp.asarray(rng.standard_normal((co, ci, k, k), dtype=np.float32) * np.sqrt(2 / (ci * k * k))),
                "g": jnp.ones(co),
                "b": jnp.zeros(co),
            }
            state[name] = {"mean": jnp.zeros(co), "var": jnp.ones(co)}
        bound = 1 / np.sqrt(64)
        params["fc"] = {
            "w": jnp.asarray(rng.uniform(-bound, bound, (10, 64)).astype(np.float32)),
            "b": jnp.zeros(10),
        }
        return params, state

    def apply(params, state, x):
        new_state = {}

        def conv_bn(name, x, stride):
            p, s = params[name], state[name]
            k = p["w"].shape[-1]
            y = fn.conv2d(x, p["w"], stride=stride, padding=k // 2)
            y, mean, var = fn.batch_norm(y, s["mean"], s["var"], p["g"], p["b"], training=True)
            new_state[name] = {"mean": mean, "var": var}
            return y

        x = fn.relu(conv_bn("conv", x, 1))
        for name, has_shortcut, stride in blocks:
            y = fn.relu(conv_bn(f"{name}.conv1", x, stride))
            y = conv_bn(f"{name}.conv2", y, 1)
            x = fn.relu(y + (conv_bn(f"{name}.shortcut", x, stride) if has_shortcut else x))
        x = fn.adaptive_avg_pool2d(x, 1).reshape(x.shape[0], -1)
        return fn.linear(x, params["fc"]["w"], params["fc"]["b"]), new_state

    return init, apply


def _pure_transformer():
    """`transformer_net` in the functional core: the same 4 post-norm ReLU layers (d_model 128, 4 heads,
    feed-forward 512) with PyTorch's default dropout 0.1 in training mode, as the facade and torch rows
    run it. The model state is the PRNG key of the dropout masks, split once per step."""
    import jax
    import jax.numpy as jnp

    import functorch_lite.functional as fn

    embed, head = fn.Embedding(VOCAB, 128), fn.Linear(128, 10)
    layer = fn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.1, batch_first=True)
    encoder = fn.TransformerEncoder(layer, 4)

    def init():
        k1, k2, k3, k4 = jax.random.split(jax.random.PRNGKey(0), 4)
        params = {"embed": embed.init(k1), "encoder": encoder.init(k2), "fc": head.init(k3)}
        return params, {"dropout_key": k4}

    def apply(p, s, tokens, training=True):
        next_key, step_key = jax.random.split(s["dropout_key"])
        y = encoder.apply(p["encoder"], embed.apply(p["embed"], tokens), key=step_key, training=training)
        return head.apply(p["fc"], jnp.mean(y, axis=1)), {"dropout_key": next_key}

    return init, apply


def _pure_model(model: str):
    """(init() -> (params, state), apply(params, state, x) -> (logits, state)) of the functional core."""
    import jax

    import functorch_lite.functional as fn
    from functorch_lite.models import lenet5

    if model in ("mlp", "lenet"):
        net = (
            lenet5()
            if model == "lenet"
            else fn.Sequential(fn.Linear(784, 512), fn.ReLU(), fn.Linear(512, 512), fn.ReLU(), fn.Linear(512, 10))
        )
        return (lambda: (net.init(jax.random.PRNGKey(0)), {})), (lambda p, s, x: (net.apply(p, x), s))
    if model in ("resnet8", "resnet20"):
        init, apply = _pure_resnet(1 if model == "resnet8" else 3)
        return (lambda: init(np.random.default_rng(0))), apply
    if model == "lstm":
        embed, lstm, head = fn.Embedding(VOCAB, 256), fn.LSTM(256, 256, 2, batch_first=True), fn.Linear(256, VOCAB)

        def init_lstm():
            k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
            return {"embed": embed.init(k1), "lstm": lstm.init(k2), "head": head.init(k3)}, {}

        def apply_lstm(p, s, tokens):
            out, _ = lstm.apply(p["lstm"], embed.apply(p["embed"], tokens), None, training=False)
            return head.apply(p["head"], out).reshape(-1, VOCAB), s

        return init_lstm, apply_lstm
    if model == "transformer":
        return _pure_transformer()
    raise NotImplementedError(f"the functional core has no {model} (its layers are not in functorch_lite.functional)")


def jit_step(model: str, batch: int):
    """The functional core's training step for `model` at `batch`, lowered and compiled with parameters,
    optimizer state and model state donated: (compiled, carry, inputs, labels), where one step is
    `carry[:] = compiled(*carry, inputs[i], labels[i])[:3]` and the 4th output is the loss."""
    import jax

    import functorch_lite.functional as fn
    from functorch_lite.optim import sgd

    init, apply = _pure_model(model)
    params, model_state = init()
    optimizer = sgd(LR, momentum=MOMENTUM)
    opt_state = optimizer.init(params)

    def train_step(params, opt_state, model_state, x, y):
        def loss_fn(p):
            logits, new_state = apply(p, model_state, x)
            return fn.cross_entropy(logits, y), new_state

        (loss, model_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        params, opt_state = optimizer.update(grads, opt_state, params)
        return params, opt_state, model_state, loss

    inputs, labels = device_batches(*random_data(model, batch))
    jitted = jax.jit(train_step, donate_argnums=(0, 1, 2))
    compiled = jitted.lower(params, opt_state, model_state, inputs[0], labels[0]).compile()
    return compiled, [params, opt_state, model_state], inputs, labels


def run_jit(model: str, batch: int, steps: int, seconds: float) -> dict:
    """The functional core under one donated jax.jit; also FLOPs and memory of the compiled step.

    FLOPs: XLA's `cost_analysis()` of the step, plus the dots inside while loops (the LSTM's time
    steps) counted for every trip beyond the first, which `cost_analysis()` leaves out."""
    from hlo_count import matmul_flops, parse_hlo

    compiled, carry, inputs, labels = jit_step(model, batch)
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    loop_flops = matmul_flops(*parse_hlo(compiled.as_text()))["in_loops_beyond_one_trip"]
    memory = compiled.memory_analysis()

    def step(i):
        carry[0], carry[1], carry[2], loss = compiled(
            *carry, inputs[i % DISTINCT_BATCHES], labels[i % DISTINCT_BATCHES]
        )
        float(loss)

    return _timed(step, batch, steps, seconds) | {
        "flops_per_sample": (float(cost["flops"]) + loop_flops) / batch,
        "loop_flops_per_sample": loop_flops / batch,
        "xla_temp_bytes": int(memory.temp_size_in_bytes),
        "xla_argument_bytes": int(memory.argument_size_in_bytes),
    }


def _timed(step: Callable[[int], None], batch: int, steps: int, seconds: float) -> dict:
    """samples/s plus the peak RSS of the timed steps (absolute, and above the RSS before them)."""
    step(0)  # compile / first-call work outside the RSS window; then 2 warm-up steps
    before = rss_bytes()
    reset_peak_rss()
    samples = timed_throughput(step, batch, steps, seconds, warmup=2)
    peak = peak_rss_bytes()
    return {"samples_per_s": samples, "peak_rss_bytes": peak, "rss_delta_bytes": max(peak - before, 0)}


# ---------------------------------------------------------------------------------------
# The facade (eager and compiled) and PyTorch (eager and torch.compile): one loop.
# ---------------------------------------------------------------------------------------


def _imperative_step(torch, model: str, compile_step: Callable | None):
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    net = MODELS[model][0](nn, F)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    return compile_step(train_step) if compile_step else train_step


def _run_imperative(torch, model: str, batch: int, steps: int, seconds: float, compile_step, to_tensor) -> dict:
    start = time.perf_counter()
    train_step = _imperative_step(torch, model, compile_step)
    inputs, labels = random_data(model, batch)
    inputs, labels = [to_tensor(x) for x in inputs], [to_tensor(y, labels=True) for y in labels]
    train_step(inputs[0], labels[0]).item()
    first_step_s = time.perf_counter() - start

    def step(i):
        train_step(inputs[i % DISTINCT_BATCHES], labels[i % DISTINCT_BATCHES]).item()

    return _timed(step, batch, steps, seconds) | {"first_step_s": first_step_s}


def run_facade(model: str, batch: int, steps: int, seconds: float, compiled: bool) -> dict:
    import functorch_lite as torch

    compile_step = torch.compile if compiled else None
    return _run_imperative(
        torch, model, batch, steps, seconds, compile_step, lambda a, labels=False: torch.as_tensor(a)
    )


def run_torch(model: str, batch: int, steps: int, seconds: float, compiled: bool) -> dict:
    import torch

    def to_tensor(a, labels=False):
        return torch.from_numpy(a).long() if labels else torch.from_numpy(a)

    compile_step = torch.compile if compiled else None
    return _run_imperative(torch, model, batch, steps, seconds, compile_step, to_tensor)


def run_matmul_peak() -> dict:
    """GFLOP/s of a jitted 2048x2048x2048 float32 matmul (precision HIGHEST), best of 10 calls."""
    import jax
    import jax.numpy as jnp

    n = 2048
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n), dtype=np.float32))
    f = jax.jit(lambda a, b: jnp.dot(a, b, precision=jax.lax.Precision.HIGHEST))
    f(a, a).block_until_ready()
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        f(a, a).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return {"gflops": 2 * n**3 / best / 1e9}


ROWS: dict[str, tuple[str, Callable[..., dict]]] = {
    "jit": ("functional core, jax.jit", run_jit),
    "compile": ("facade, functorch_lite.compile", lambda *a: run_facade(*a, compiled=True)),
    "eager": ("facade eager", lambda *a: run_facade(*a, compiled=False)),
    "torch": ("PyTorch eager", lambda *a: run_torch(*a, compiled=False)),
    "torch_compile": ("torch.compile", lambda *a: run_torch(*a, compiled=True)),
    "jit_no_ynn": ("jit, XLA_FLAGS: YNN fusions off", run_jit),
}
BASELINE = "torch"
# Rows that run only when asked for, by the flag that adds them.
OPTIONAL_ROWS = {"torch_compile": "torch_compile", "jit_no_ynn": "flag_rows"}
# A row's own environment, set only in its subprocess: functorch_lite sets no XLA flags itself.
# With XLA:CPU's YNNPACK fusions off, convolutions and their gradients run on Eigen, whose
# weight gradients are about 2x faster at ResNet's shapes (benchmarks/README.md).
ROW_ENV = {"jit_no_ynn": {"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type="}}


def _worker(args: list[str]) -> None:
    if args[0] == "peak":
        print(json.dumps(run_matmul_peak()))
        return
    row, model, batch, steps, seconds = args[0], args[1], int(args[2]), int(args[3]), float(args[4])
    print(json.dumps(ROWS[row][1](model, batch, steps, seconds)))


def _mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--batches", type=int, nargs="+", help="default: 32 128 (and 256 for LeNet)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the table shows the median")
    parser.add_argument("--steps", type=int, default=30, help="at most this many timed steps per run")
    parser.add_argument("--seconds", type=float, default=1.5, help="stop a run's timing after this long")
    parser.add_argument("--only", nargs="+", choices=list(ROWS), help=f"only these rows ({BASELINE} is always kept)")
    parser.add_argument("--torch-compile", action="store_true", help="add the torch.compile row")
    parser.add_argument(
        "--flag-rows", action="store_true", help="add the jit row under XLA flags (set in its own process only)"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return

    rows = [r for r in ROWS if r not in OPTIONAL_ROWS or getattr(args, OPTIONAL_ROWS[r])]
    if args.only:
        rows = [r for r in rows if r in {*args.only, BASELINE}]
    skipped = {m: missing_layer(m) for m in args.models}
    models = [m for m in args.models if skipped[m] is None]
    cells = [(m, b) for m in models for b in (args.batches or DEFAULT_BATCHES.get(m, (32, 128)))]
    started = time.perf_counter()
    results: dict[tuple[str, int, str], list[dict]] = {(m, b, r): [] for m, b in cells for r in rows}
    failures: dict[tuple[str, int, str], str] = {}
    peaks = []
    for round_index in range(args.rounds):
        peaks.append(measure_in_subprocess(__file__, ["peak"])["gflops"])
        for m, b in cells:
            for r in rows:
                if (m, b, r) in failures:
                    continue
                try:
                    worker = [r, m, str(b), str(args.steps), str(args.seconds)]
                    out = measure_in_subprocess(__file__, worker, env=ROW_ENV.get(r))
                except RuntimeError as error:
                    failures[m, b, r] = str(error).strip().splitlines()[-1][:150]
                    continue
                results[m, b, r].append(out)
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    peak = float(np.median(peaks))
    print(
        f"Training step (SGD momentum), samples/s: median of {args.rounds} interleaved rounds (min-max), fresh process "
        f"per run, at most {args.steps} steps or {args.seconds} s each; ratio = median / median of PyTorch eager; "
        f"%peak = achieved FLOP/s / float32 matmul peak ({peak:.0f} GFLOP/s, jitted 2048^3, median of rounds)."
    )
    for m in args.models:
        if skipped[m]:
            print(f"\n{m}: skipped, functorch_lite.nn has no {skipped[m]} yet")
    width = max(len(ROWS[r][0]) for r in rows)
    for m, b in cells:
        flops = next((o["flops_per_sample"] for o in results[m, b, "jit"] if "flops_per_sample" in o), None)
        loops = next((o.get("loop_flops_per_sample", 0.0) for o in results[m, b, "jit"]), 0.0)
        flop_note = f"{flops / 1e6:.1f} MFLOP per training sample (XLA cost analysis" if flops else "FLOPs n/a"
        if flops:
            flop_note += f", + {loops / 1e6:.1f} of loop trips it skips)" if loops else ")"
        print(f"\n{m}, batch {b}: {flop_note}")
        base = results[m, b, BASELINE]
        base_median = median_range([o["samples_per_s"] for o in base])[0] if base else float("nan")
        for r in rows:
            if (m, b, r) in failures:
                print(f"  {ROWS[r][0]:{width}s}  failed: {failures[m, b, r]}")
                continue
            values = [o["samples_per_s"] for o in results[m, b, r]]
            med, lo, hi = median_range(values)
            pct = f"{100 * med * flops / (peak * 1e9):5.1f}%" if flops else "   n/a"
            extra = ""
            if r == "torch_compile":
                extra = f"  warm-up {np.median([o['first_step_s'] for o in results[m, b, r]]):.1f} s"
            print(
                f"  {ROWS[r][0]:{width}s} {med:10.0f} ({lo:.0f}-{hi:.0f})"
                f"  ratio {med / base_median:5.2f}  peak {pct}{extra}"
            )
    memory_cells = [c for c in cells if c[0] == "resnet20"] or [c for c in cells if c[0].startswith("resnet")]
    if memory_cells:
        m, b = max(memory_cells, key=lambda c: c[1])
        print(f"\nmemory of one training step, {m} batch {b} (median over rounds):")
        jit = results[m, b, "jit"] if "jit" in rows else []
        if jit:
            temp = np.median([o["xla_temp_bytes"] for o in jit])
            arguments = np.median([o["xla_argument_bytes"] for o in jit])
            print(
                f"  functional core jit: XLA temp {_mib(temp)} + arguments {_mib(arguments)} = {_mib(temp + arguments)}"
            )
        for r in rows:
            outs = results[m, b, r]
            if outs:
                peak_rss = np.median([o["peak_rss_bytes"] for o in outs])
                delta = np.median([o["rss_delta_bytes"] for o in outs])
                print(f"  {ROWS[r][0]:{width}s} peak RSS in steps {_mib(peak_rss)}, above the RSS before {_mib(delta)}")
        print("  (torch.cuda memory statistics: n/a on this CPU)")
    print(f"\nwall time of the run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
