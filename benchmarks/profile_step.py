"""Where the time of one jitted functional-core training step goes, per kind of XLA op.

Builds the `jit` row's step of `models.py` (same model, data, SGD and donation), runs it a
few times untraced, then `--steps` times under `jax.profiler` (host tracer level 3, which
records every XLA:CPU thunk the runtime executes, by its HLO instruction name). Each traced
op's wall time is summed by its kind, read from the compiled HLO module (`as_text()`):

- `convolution` / `dot`: the instruction, or a fusion whose computation contains one
  (XLA:CPU's YNNPACK fusions included);
- `reduce`: reduce, reduce-window, select-and-scatter, or a fusion containing one;
- `transpose/copy`: copy, transpose, and fusions of data movement only (slices, pads,
  concatenates, gathers, broadcasts, reshapes);
- `elementwise+transpose`: other fusions that also transpose or copy (e.g. a layout change
  fused with BatchNorm or ReLU math); `elementwise`: every other fusion;
- `other`: every other instruction.

Control-flow ops (while, call, conditional) are left out of the sums: the ops of their
bodies are traced and counted by themselves. Ops on different threads may overlap, so the
summed op time can differ from the wall time per step, which is measured too. It also prints
XLA's `cost_analysis()` of the whole step (flops and bytes accessed), the flops of the
dot and convolution instructions counted from their shapes, and the costliest single ops.
Measured on this machine at this moment: on a shared CPU, only compare numbers from one run.

    python benchmarks/profile_step.py resnet8 --batch 128
    python benchmarks/profile_step.py transformer --batch 32 --steps 5 --top 15
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402 - beside this file
from hlo_count import KINDS, called, kind_of, matmul_flops, parse_hlo  # noqa: E402


def profile(model: str, batch: int, steps: int, top: int) -> None:
    import jax
    from jax.profiler import ProfileData

    compiled, carry, inputs, labels = models.jit_step(model, batch)
    n = models.DISTINCT_BATCHES

    def step(i):
        carry[0], carry[1], carry[2], loss = compiled(*carry, inputs[i % n], labels[i % n])
        float(loss)

    for i in range(3):  # warm-up: first-call work and allocator growth stay out of the trace
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    wall_ms = (time.perf_counter() - start) / steps * 1e3

    options = jax.profiler.ProfileOptions()
    options.host_tracer_level = 3  # the default level records no XLA:CPU ops
    with tempfile.TemporaryDirectory(prefix="profile_step_") as directory:
        jax.profiler.start_trace(directory, profiler_options=options)
        for i in range(steps):
            step(i)
        jax.profiler.stop_trace()
        trace = ProfileData.from_file(glob.glob(f"{directory}/**/*.xplane.pb", recursive=True)[0])

    instructions, computations = parse_hlo(compiled.as_text())
    per_op: dict[str, float] = defaultdict(float)
    for plane in trace.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            if not line.name.startswith("tf_XLA"):
                continue
            for event in line.events:
                if event.name in instructions:
                    per_op[event.name] += event.duration_ns / 1e6 / steps
    by_kind: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for name, ms in per_op.items():
        kind = kind_of(name, instructions, computations)
        if kind is not None:
            by_kind[kind] += ms
            counts[kind] += 1
    total = sum(by_kind.values())

    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    flops = matmul_flops(instructions, computations)
    print(f"{model}, batch {batch}: functional-core training step under jax.jit, {steps} traced steps")
    print(f"  wall time per step (untraced): {wall_ms:.2f} ms; summed op time per traced step: {total:.2f} ms")
    print(
        f"  XLA cost_analysis of the step: {cost.get('flops', 0) / 1e9:.3f} GFLOP, "
        f"{cost.get('bytes accessed', 0) / 2**20:.1f} MiB accessed (while-loop bodies counted once)"
    )
    print(
        f"  counted from shapes, loop trips included: dot {flops['dot'] / 1e9:.3f} GFLOP, convolution "
        f"{flops['convolution'] / 1e9:.3f} GFLOP (every kernel tap, padding and dilation holes included)"
    )
    if total == 0:
        print("  the trace recorded no XLA ops (profiler unavailable?)")
        return
    print(f"  {'kind':21s} {'ms/step':>9s} {'share':>6s} {'ops':>5s}")
    for kind in sorted(KINDS, key=lambda k: -by_kind.get(k, 0.0)):
        if kind in by_kind:
            print(f"  {kind:21s} {by_kind[kind]:9.2f} {100 * by_kind[kind] / total:5.1f}% {counts[kind]:5d}")
    by_source: dict[str, float] = defaultdict(float)
    for name, ms in per_op.items():
        if kind_of(name, instructions, computations) is not None:
            by_source[_source(name, instructions, computations)] += ms
    print("  by the jax function or primitive the op comes from (the innermost named jit, else the primitive):")
    for source, ms in sorted(by_source.items(), key=lambda item: -item[1])[:top]:
        print(f"    {ms:8.2f} ms {100 * ms / total:5.1f}%  {source}")
    print(f"  costliest {top} ops:")
    for name, ms in sorted(per_op.items(), key=lambda item: -item[1])[:top]:
        kind = kind_of(name, instructions, computations) or "control flow"
        info = instructions[name]
        where = _op_name(name, instructions, computations)[-70:] or "(no source metadata)"
        print(f"    {ms:8.2f} ms  {kind:21s} {name} {info['shape'].split('{')[0]}  {where}")


def _op_name(name: str, instructions: dict, computations: dict) -> str:
    """The jax op path of an instruction (`jit(train_step)/jvp()/dot_general`), from it or its fused computation."""
    line = instructions[name]["line"]
    lines = [line] + [inner for c in called(line) for _, _, inner in computations.get(c, [])]
    return next((m.group(1) for m in (re.search(r'op_name="([^"]*)"', text) for text in lines) if m), "")


def _source(name: str, instructions: dict, computations: dict) -> str:
    path = _op_name(name, instructions, computations)
    if not path:
        return "(no source metadata)"
    jits = [j for j in re.findall(r"jit\(([^()]*)\)", path) if j != "train_step"]
    return f"jit({jits[-1]})" if jits else path.rsplit("/", 1)[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", choices=list(models.MODELS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5, help="timed and traced steps (each)")
    parser.add_argument("--top", type=int, default=10, help="how many of the costliest single ops to list")
    args = parser.parse_args(argv)
    profile(args.model, args.batch, args.steps, args.top)


if __name__ == "__main__":
    main()
