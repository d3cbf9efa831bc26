"""Reading a compiled XLA module's text (`compiled.as_text()`): each instruction's kind, and matmul flops.

`parse_hlo` indexes the instructions by name (the names `jax.profiler` traces carry on
XLA:CPU); `kind_of` sorts an executed instruction into one of `KINDS` by what it (or the
fusion computation it calls) contains; `matmul_flops` counts the flops of every dot and
convolution from its shapes, times the known trip count of every while loop around it
(XLA's `cost_analysis()` counts a loop body once).
"""

from __future__ import annotations

import re
from collections import defaultdict

KINDS = ("convolution", "dot", "reduce", "transpose/copy", "elementwise+transpose", "elementwise", "other")
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
            current = ("ENTRY " if line.startswith("ENTRY") else "") + header.group(1)
            continue
        match = _INSTRUCTION.match(line)
        if match and current is not None:
            name, shape, opcode = match.groups()
            instructions[name] = {"opcode": opcode, "shape": shape, "line": line, "computation": current}
            computations[current].append((name, opcode, line))
    return instructions, computations


def called(line: str) -> list[str]:
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
        for callee in called(line):
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
        for callee in called(info["line"]):
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
        return "elementwise+transpose" if ops & {"transpose", "copy"} else "elementwise"
    return "other"


def _multipliers(computations: dict) -> dict[str, int]:
    """How many times each computation runs per execution of the entry: the product of the known trip
    counts of the while loops around it (1 where a loop's count is unknown)."""
    entry = next(name for name in computations if name.startswith("ENTRY "))
    times = {entry: 1}
    pending = [entry]
    while pending:
        caller = pending.pop()
        for _, opcode, line in computations[caller]:
            trips = re.search(r'known_trip_count":\{"n":"(\d+)"', line) if opcode == "while" else None
            for callee in called(line):
                count = times[caller] * (int(trips.group(1)) if trips and f"body=%{callee}" in line else 1)
                if callee in computations and times.get(callee, 0) < count:
                    times[callee] = count
                    pending.append(callee)
    return times


def matmul_flops(instructions: dict, computations: dict) -> dict[str, float]:
    """Flops (2 per multiply-add) of every dot and convolution from their shapes, loop trips included.

    A convolution counts every kernel tap, also those that land on padding or on the holes of a
    dilated input (its gradients), so this is more than XLA counts for it. `in_loops_beyond_one_trip`
    is what the dots and convolutions inside while loops add beyond one trip: the part of the step's
    flops that `cost_analysis()` leaves out."""
    times = _multipliers(computations)
    shapes = {name: info["shape"] for name, info in instructions.items()}
    totals = {"dot": 0.0, "convolution": 0.0, "in_loops_beyond_one_trip": 0.0}
    for info in instructions.values():
        line, out = info["line"], _shape_dims(info["shape"])
        operands = re.findall(r"%([\w.\-]+)", line.split("(", 1)[1])
        if not operands or operands[0] not in shapes:
            continue
        lhs, runs = _shape_dims(shapes[operands[0]]), times.get(info["computation"], 1)
        if info["opcode"] == "dot":
            contracting = re.search(r"lhs_contracting_dims=\{([\d,]*)\}", line)
            k = _prod(lhs[int(d)] for d in contracting.group(1).split(",") if d) if contracting else 1
            totals["dot"] += 2.0 * k * _prod(out) * runs
            totals["in_loops_beyond_one_trip"] += 2.0 * k * _prod(out) * (runs - 1)
        elif info["opcode"] == "convolution" and len(operands) > 1 and operands[1] in shapes:
            rhs = _shape_dims(shapes[operands[1]])
            labels = re.search(r"dim_labels=\w+_(\w+)->\w+", line)
            if labels:  # per output element: the kernel's spatial size times its input features
                per_output = _prod(rhs[i] for i, c in enumerate(labels.group(1)) if c != "o")
                totals["convolution"] += 2.0 * per_output * _prod(out) * runs
                totals["in_loops_beyond_one_trip"] += 2.0 * per_output * _prod(out) * (runs - 1)
    return totals


def _prod(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n
