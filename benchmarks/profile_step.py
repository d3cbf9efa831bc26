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
- `elementwise`: every other fusion; `other`: every other instruction.

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

KINDS = ("convolution", "dot", "reduce", "transpose/copy", "elementwise", "other")
_CONTROL = {"while", "call", "conditional"}
_MOVE = {
    "parameter", "copy", "transpose", "bitcast", "reshape", "slice", "dynamic-slice", "dynamic-update-slice",
    "pad", "concatenate", "broadcast", "gather", "constant", "tuple", "get-tuple-element", "reverse", "iota",
}  # fmt: skip
_REDUCE = {"reduce", "reduce-window", "select-and-scatter"}
_INSTRUCTION = re.compile(r"^\s*(?:ROOT )?%?([\w.\-]+) = (.+?) ([a-z][\w\-]*)\(")
_COMPUTATION = re.compile(r"^(?:ENTRY )?%?([\w.\-]+) .*\{$")


def _shape_dims(shape: str) -> list[int]:
    """Dimensions of the first array shape in an HLO shape string, e.g. `f32[32,64]{1,0}` -> [32, 64]."""
    match = re.search(r"\[([\d,]*)\]", shape)
    return [int(d) for d in match.group(1).split(",") if d] if match else []


def parse_hlo(text: str) -> tuple[dict[str, dict], dict[str, list[tuple[str, str, str]]]]:
    """(instruction name -> {opcode, shape, line, computation}, computation -> its instructions)."""
    instructions, computations, current = {}, defaultdict(list), None
    for line in text.splitlines():
        header = _COMPUTATION.match(line)
        if header and "=" not in line.split("(")[0]:
            current = header.group(1)
            continue
        match = _INSTRUCTION.match(line)
        if match and current is not None:
            name, shape, opcode = match.groups()
            instructions[name] = {"opcode": opcode, "shape": shape, "line": line, "computation": current}
            computations[current].append((name, opcode, line))
    return instructions, computations


def _called(line: str) -> list[str]:
    return re.findall(r"(?:calls|to_apply|body|condition)=%?([\w.\-]+)", line)


def _opcodes(computation: str, computations: dict, seen: set | None = None) -> set[str]:
    """Every opcode in a computation and the computations it calls."""
    seen = set() if seen is None else seen
    if computation in seen:
        return set()
    seen.add(computation)
    found = set()
    for _, opcode, line in computations.get(computation, []):
        found.add(opcode)
        for callee in _called(line):
            found |= _opcodes(callee, computations, seen)
    return found


def kind_of(name: str, instructions: dict, computations: dict) -> str | None:
    """The kind (one of KINDS) of an executed instruction; None for control flow."""
    info = instructions[name]
    opcode = info["opcode"]
    if opcode in _CONTROL:
        return None
    ops = {opcode}
    if opcode in ("fusion", "custom-call") or opcode.endswith("fusion"):
        for callee in _called(info["line"]):
            ops |= _opcodes(callee, computations)
    if "convolution" in ops:
        return "convolution"
    if "dot" in ops:
        return "dot"
    if ops & _REDUCE:
        return "reduce"
    if opcode in ("copy", "transpose") or (opcode == "fusion" and ops - {"fusion"} <= _MOVE):
        return "transpose/copy"
    if opcode == "fusion":
        return "elementwise"
    return "other"


def matmul_flops(instructions: dict) -> dict[str, float]:
    """Multiply-add flops (2 per multiply) of every dot and convolution, from their shapes."""
    shapes = {name: info["shape"] for name, info in instructions.items()}
    totals = {"dot": 0.0, "convolution": 0.0}
    for info in instructions.values():
        line, out = info["line"], _shape_dims(info["shape"])
        operands = re.findall(r"%([\w.\-]+)", line.split("(", 1)[1])
        if not operands or operands[0] not in shapes:
            continue
        lhs = _shape_dims(shapes[operands[0]])
        if info["opcode"] == "dot":
            contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", line)
            k = 1
            for d in contracting.group(1).split(",") if contracting and contracting.group(1) else []:
                k *= lhs[int(d)]
            totals["dot"] += 2.0 * k * _prod(out)
        elif info["opcode"] == "convolution" and len(operands) > 1 and operands[1] in shapes:
            rhs = _shape_dims(shapes[operands[1]])
            labels = re.search(r"dim_labels=\w+_(\w+)->\w+", line)
            if labels:  # per output element: the kernel's spatial size times its input features
                kernel = labels.group(1)
                per_output = _prod([rhs[i] for i, c in enumerate(kernel) if c not in "o"])
                totals["convolution"] += 2.0 * per_output * _prod(out)
    return totals


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


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

    directory = tempfile.mkdtemp(prefix="profile_step_")
    options = jax.profiler.ProfileOptions()
    options.host_tracer_level = 3
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
    flops = matmul_flops(instructions)
    print(f"{model}, batch {batch}: functional-core training step under jax.jit, {steps} traced steps")
    print(f"  wall time per step (untraced): {wall_ms:.2f} ms; summed op time per traced step: {total:.2f} ms")
    print(
        f"  XLA cost_analysis of the step: {cost.get('flops', 0) / 1e9:.3f} GFLOP, "
        f"{cost.get('bytes accessed', 0) / 2**20:.1f} MiB accessed; counted from shapes: "
        f"dot {flops['dot'] / 1e9:.3f} GFLOP, convolution {flops['convolution'] / 1e9:.3f} GFLOP"
    )
    if total == 0:
        print("  the trace recorded no XLA ops (profiler unavailable?)")
        return
    print(f"  {'kind':16s} {'ms/step':>9s} {'share':>6s} {'ops':>5s}")
    for kind in sorted(KINDS, key=lambda k: -by_kind.get(k, 0.0)):
        if kind in by_kind:
            print(f"  {kind:16s} {by_kind[kind]:9.2f} {100 * by_kind[kind] / total:5.1f}% {counts[kind]:5d}")
    print(f"  costliest {top} ops:")
    for name, ms in sorted(per_op.items(), key=lambda item: -item[1])[:top]:
        kind = kind_of(name, instructions, computations) or "control flow"
        info = instructions[name]
        where = re.search(r'op_name="([^"]*)"', info["line"])
        print(
            f"    {ms:8.2f} ms  {kind:14s} {name} {info['shape'].split('{')[0]}"
            f"  {where.group(1)[-70:] if where else ''}"
        )


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
