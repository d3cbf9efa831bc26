"""Rows of `lenet_train.py` for the imperative facade: the seed's loop eager, compiled, and data-parallel.

Each `run_*(batch, steps) -> samples/s` times the seed program's loop (zero_grad, forward,
CrossEntropyLoss, backward, SGD(lr=0.001, momentum=0.9).step, loss.item()) written with
`import functorch_lite as torch`, as the anchor benchmark times PyTorch eager. The
`first_step_*` functions measure the time from a fresh model to the end of the first
compiled step (tracing plus XLA compilation), for functorch_lite.compile and torch.compile.
"""

from __future__ import annotations

import time

from common import LR, MOMENTUM, random_batches, seed_net, throughput


def _seed_step(torch, nn, F, compile_step=None):
    net = seed_net(nn, F)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def train_step(inputs, labels):
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    return compile_step(train_step) if compile_step else train_step


def _facade(compiled: bool, mesh=None):
    import functorch_lite as torch
    import functorch_lite.nn as nn
    import functorch_lite.nn.functional as F

    torch.manual_seed(0)
    compile_step = (lambda f: torch.compile(f, mesh=mesh)) if compiled else None
    return torch, _seed_step(torch, nn, F, compile_step)


def _time_facade(batch: int, steps: int, compiled: bool, mesh=None) -> float:
    torch, train_step = _facade(compiled, mesh)
    images, labels = random_batches(batch, steps)
    # Batches as Tensors, as the DataLoader yields them.
    images = [torch.as_tensor(x) for x in images]
    labels = [torch.as_tensor(y) for y in labels]
    return throughput(lambda i: train_step(images[i], labels[i]).item(), batch, steps)


def run_facade_eager(batch: int, steps: int) -> float:
    """The seed's loop on the facade, op by op (the dynamic graph)."""
    return _time_facade(batch, steps, compiled=False)


def run_facade_compiled(batch: int, steps: int) -> float:
    """The seed's loop with its step wrapped in functorch_lite.compile (one XLA program per step)."""
    return _time_facade(batch, steps, compiled=True)


def run_facade_data_parallel(batch: int, steps: int) -> float:
    """The compiled step with compile(mesh=...) over every local device (batch split, state replicated)."""
    from functorch_lite import parallel

    return _time_facade(batch, steps, compiled=True, mesh=parallel.data_parallel_mesh())


def first_step_functorch_lite(batch: int) -> float:
    """Seconds from a fresh model to the end of the first functorch_lite.compile step."""
    start = time.perf_counter()
    torch, train_step = _facade(compiled=True)
    images, labels = random_batches(batch, 1)
    train_step(torch.as_tensor(images[0]), torch.as_tensor(labels[0])).item()
    return time.perf_counter() - start


def first_step_torch_compile(batch: int) -> float:
    """Seconds from a fresh model to the end of the first torch.compile step (the same loop)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    start = time.perf_counter()
    torch.manual_seed(0)
    train_step = _seed_step(torch, nn, F, torch.compile)
    images, labels = random_batches(batch, 1)
    train_step(torch.from_numpy(images[0]), torch.from_numpy(labels[0]).long()).item()
    return time.perf_counter() - start
