"""Train the seed's LeNet-5 with one jitted XLA step per batch (the project's main job).

    python examples/train_jit.py                         # built-in digits data, ~97-99% test accuracy
    python examples/train_jit.py --dataset fashion-mnist --epochs 5
    python examples/train_jit.py --checkpoint runs/lenet.safetensors     # save every epoch
    python examples/train_jit.py --resume runs/lenet.safetensors --epochs 6
    python examples/train_jit.py --logdir runs/tb --plot curves.png      # TensorBoard and a PNG of the curves

The model is `functorch_lite.models.lenet5()` (pure params dict with PyTorch's
state_dict keys), the optimizer a pure `functorch_lite.optim` rule, and the step
`jax.jit(..., donate_argnums=...)`, so params and optimizer state are updated in place.
Checkpoints are safetensors files written atomically (never pickle) and hold the
model, optimizer, data-order and RNG state, so `--resume` continues bit-for-bit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite import datasets, optim, parallel
from functorch_lite.utils.data import DataLoader, TensorDataset, numpy_collate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _curves import Curves  # noqa: E402

DATASETS = ("digits", "fashion-mnist", "mnist")
# Settings that shape the trajectory (data order, augmentation, lr schedule): a resumed run must keep them.
_INF = float("inf")
# (flag, test, what it must be). `0 < x < inf` also refuses nan, which every comparison lets through.
RANGE_CHECKS = (
    ("epochs", lambda v: v > 0, "must be positive"),
    ("batch_size", lambda v: v > 0, "must be positive"),
    ("lr", lambda v: 0 < v < _INF, "must be a positive finite number"),
    ("momentum", lambda v: 0 <= v < _INF, "must be a non-negative finite number"),
    ("weight_decay", lambda v: 0 <= v < _INF, "must be a non-negative finite number"),
    ("shift", lambda v: v >= 0, "must be >= 0"),
    ("seed", lambda v: v >= 0, "must be >= 0"),
)
RESUME_MUST_MATCH = ("dataset", "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "shift", "seed")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data-dir", default=None, help="directory with the IDX files (mnist; optional for fashion-mnist)")
    p.add_argument("--epochs", type=int, default=None, help="default: 30 on digits, 5 otherwise")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="default: 0.02 for sgd, 0.001 for adam")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument(
        "--shift",
        type=int,
        default=None,
        help="augment: random translation by up to N pixels (default: 2 on digits, 0 otherwise)",
    )
    p.add_argument("--device", default="cpu", help="cpu | gpu | cuda | cuda:N")
    p.add_argument(
        "--data-parallel",
        action="store_true",
        help="split every batch across all devices of --device's kind (--batch-size is global)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default=None, help="save model/optimizer/data state here after every epoch")
    p.add_argument("--resume", default=None, help="continue from a checkpoint written by --checkpoint")
    p.add_argument("--progress", choices=("auto", "bar", "lines"), default="auto")
    p.add_argument("--logdir", default=None, help="write TensorBoard curves here (needs tensorboard)")
    p.add_argument("--plot", default=None, help="save a PNG of loss and accuracy per epoch here (needs matplotlib)")
    args = p.parse_args(argv)
    _fill_defaults(args)
    for name, valid, expected in RANGE_CHECKS:
        if not valid(getattr(args, name)):
            p.error(f"--{name.replace('_', '-')} {expected}, got {getattr(args, name)}")
    if args.resume and not os.path.isfile(args.resume):
        p.error(f"--resume {args.resume}: no such checkpoint file")
    try:
        args.jax_device = fl.device(args.device).jax_device
    except (ValueError, TypeError) as err:
        p.error(f"--device {args.device}: {err}")
    return args


def _fill_defaults(args: argparse.Namespace) -> None:
    """Defaults that depend on other flags (the dataset, the optimizer)."""
    if args.epochs is None:
        args.epochs = 30 if args.dataset == "digits" else 5
    if args.shift is None:
        args.shift = 2 if args.dataset == "digits" else 0
    if args.lr is None:
        args.lr = 0.02 if args.optimizer == "sgd" else 1e-3


def load_data(args):
    """(train, test) pairs of (images, labels), standardised with the training set's mean and std."""
    (x_train, y_train), (x_test, y_test) = _load_raw(args)
    mean, std = float(x_train.mean()), float(x_train.std())
    return ((x_train - mean) / std, y_train), ((x_test - mean) / std, y_test)


def _load_raw(args):
    if args.dataset == "digits":
        return datasets.digits(train=True), datasets.digits(train=False)
    if args.dataset == "fashion-mnist":
        load = lambda train: datasets.fashion_mnist(args.data_dir, train=train, image_size=32)  # noqa: E731
    else:
        if args.data_dir is None:
            sys.exit("error: --dataset mnist needs --data-dir DIR holding the four MNIST IDX .gz files")
        load = lambda train: datasets.mnist(args.data_dir, train=train, image_size=32)  # noqa: E731
    return load(True), load(False)


def make_optimizer(args, steps_per_epoch: int):
    # Cosine decay to zero over the whole run: the last epochs settle instead of bouncing.
    lr = optim.cosine_annealing_lr(args.lr, T_max=args.epochs * steps_per_epoch)
    if args.optimizer == "sgd":
        return optim.sgd(lr, momentum=args.momentum, weight_decay=args.weight_decay)
    return optim.adam(lr, weight_decay=args.weight_decay)


def random_shift(key, x, max_shift: int):
    """Translates each image by up to max_shift pixels, filling with the image's corner value."""
    n, _, h, w = x.shape
    padded = jnp.pad(x, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)), mode="edge")
    offsets = jax.random.randint(key, (n, 2), 0, 2 * max_shift + 1)
    crop = lambda img, o: jax.lax.dynamic_slice(img, (0, o[0], o[1]), (img.shape[0], h, w))  # noqa: E731
    return jax.vmap(crop)(padded, offsets)


def pad_to_multiple(x, y, multiple: int):
    """Pads a short evaluation batch with rows labelled -100, which cross_entropy ignores."""
    extra = -len(y) % multiple
    if extra:
        x = np.concatenate([x, np.zeros((extra, *x.shape[1:]), x.dtype)])
        y = np.concatenate([y, np.full(extra, -100, y.dtype)])
    return x, y


def make_steps(model, opt, max_shift: int, mesh=None):
    def loss_fn(params, x, y):
        logits = model.apply(params, x)
        return fn.cross_entropy(logits, y), logits

    def train_step(params, opt_state, x, y, key):
        if max_shift:
            x = random_shift(key, x, max_shift)
        (loss, logits), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
        params, opt_state = opt.update(grads, opt_state, params)
        correct = jnp.sum(jnp.argmax(logits, axis=1) == y)
        return params, opt_state, loss, correct

    def eval_step(params, x, y):
        logits = model.apply(params, x)
        return fn.cross_entropy(logits, y, reduction="sum"), jnp.sum(jnp.argmax(logits, axis=1) == y)

    if mesh is not None:  # state replicated, batch split; XLA all-reduces the gradients
        return (
            parallel.data_parallel(train_step, mesh, batch_argnums=(2, 3), donate_argnums=(0, 1)),
            parallel.data_parallel(eval_step, mesh, batch_argnums=(1, 2)),
        )
    return jax.jit(train_step, donate_argnums=(0, 1)), jax.jit(eval_step)


def evaluate(eval_step, params, loader, device, mesh=None):
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        if mesh is None:
            loss, hits = eval_step(params, jax.device_put(x, device), jax.device_put(y, device))
        else:
            loss, hits = eval_step(params, *pad_to_multiple(x, y, mesh.size))
        total_loss += float(loss)
        correct += int(hits)
        count += len(y)
    return total_loss / count, correct / count


class Progress:
    """A tqdm bar on a terminal; one line per epoch otherwise (logs, CI)."""

    def __init__(self, mode: str):
        use_bar = mode == "bar" or (mode == "auto" and sys.stdout.isatty())
        self.tqdm = None
        if use_bar:
            try:
                from tqdm import tqdm

                self.tqdm = tqdm
            except ImportError:
                pass

    def epoch(self, iterable, total, desc):
        if self.tqdm is None:
            return iterable
        return self.tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)


def main(argv=None) -> float:
    args = parse_args(argv)
    device = args.jax_device
    mesh = make_mesh(args)
    # data_parallel places host batches itself (split across the mesh)
    put = (lambda a: a) if mesh is not None else (lambda a: jax.device_put(a, device))  # noqa: E731
    train_loader, test_loader, in_channels = make_loaders(args)
    model = fl.models.lenet5(num_classes=10, in_channels=in_channels)
    opt = make_optimizer(args, len(train_loader))
    params, opt_state, start_epoch = initial_state(args, model, opt, train_loader)
    train_step, eval_step = make_steps(model, opt, args.shift, mesh)
    progress = Progress(args.progress)
    curves = Curves(args.logdir, args.plot, f"LeNet-5 on {args.dataset}")
    print(
        f"LeNet-5 on {args.dataset}: {len(train_loader.dataset)} train / {len(test_loader.dataset)} test images, "
        f"{args.optimizer} lr={args.lr}, batch {args.batch_size}, "
        + (f"data parallel over {mesh.size} devices" if mesh is not None else f"device {device}")
    )
    t_start = time.perf_counter()
    test_acc = None
    for epoch in range(start_epoch, args.epochs):
        bar = progress.epoch(train_loader, len(train_loader), f"epoch {epoch + 1}/{args.epochs}")
        params, opt_state, train_loss, train_acc, samples_per_s = train_epoch(
            train_step, params, opt_state, bar, epoch, args.seed, put, progress.tqdm is not None
        )
        test_loss, test_acc = evaluate(eval_step, params, test_loader, device, mesh)
        print(
            f"epoch {epoch + 1:3d}/{args.epochs}  loss {train_loss:.4f}  train acc {train_acc:.4f}  "
            f"test loss {test_loss:.4f}  test acc {test_acc:.4f}  {samples_per_s:,.0f} samples/s",
            flush=True,
        )
        curves.epoch(epoch + 1, train_loss, train_acc, test_loss, test_acc)
        if args.checkpoint:
            save_checkpoint(args, params, opt_state, epoch + 1, train_loader)
    curves.close()
    if test_acc is None:  # resumed after the last epoch: nothing trained, so evaluate once
        _, test_acc = evaluate(eval_step, params, test_loader, device, mesh)
    print(f"final test accuracy: {test_acc:.4f} ({time.perf_counter() - t_start:.1f} s training + evaluation)")
    return test_acc


def make_mesh(args):
    """The mesh for --data-parallel (every device of --device's kind), else None."""
    if not args.data_parallel:
        return None
    mesh = parallel.data_parallel_mesh(jax.devices(args.jax_device.platform))
    if args.batch_size % mesh.size:
        sys.exit(
            f"error: --batch-size {args.batch_size} must be a multiple of the {mesh.size} "
            f"devices that --data-parallel uses"
        )
    return mesh


def make_loaders(args):
    """(train loader, test loader, image channels); exits with the loader's message if the data is missing."""
    try:
        (x_train, y_train), (x_test, y_test) = load_data(args)
    except (FileNotFoundError, ValueError, ImportError) as err:
        sys.exit(f"error: {err}")
    train_loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        seed=args.seed,
        collate_fn=numpy_collate,
    )
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512, collate_fn=numpy_collate)
    return train_loader, test_loader, x_train.shape[1]


def initial_state(args, model, opt, train_loader):
    """(params, opt_state, first epoch): fresh from --seed, or restored from --resume."""
    device = args.jax_device
    if not args.resume:
        params = jax.device_put(model.init(jax.random.key(args.seed)), device)
        return params, jax.device_put(opt.init(params), device), 0
    ckpt = fl.load(args.resume)
    changed = {
        k: (ckpt["args"][k], getattr(args, k)) for k in RESUME_MUST_MATCH if ckpt["args"].get(k) != getattr(args, k)
    }
    if changed:
        details = ", ".join(f"--{k.replace('_', '-')} {old!r} -> {new!r}" for k, (old, new) in changed.items())
        sys.exit(
            f"error: --resume {args.resume}: the run was started with other settings ({details}); "
            "pass the same ones to continue it exactly"
        )
    train_loader.load_state_dict(ckpt["loader"])
    start_epoch = int(ckpt["epoch"])
    print(f"resumed from {args.resume} after epoch {start_epoch}")
    return jax.device_put(ckpt["params"], device), jax.device_put(ckpt["opt_state"], device), start_epoch


def train_epoch(train_step, params, opt_state, batches, epoch, seed, put, show_loss):
    """One pass over `batches`: (params, opt_state, mean loss, accuracy, samples/s)."""
    base_key = jax.random.key(seed + 1)
    t0 = time.perf_counter()
    running_loss, running_correct, seen = jnp.zeros(()), jnp.zeros((), jnp.int32), 0
    for i, (x, y) in enumerate(batches):
        key = jax.random.fold_in(base_key, epoch * len(batches) + i)  # reproducible on resume
        params, opt_state, loss, correct = train_step(params, opt_state, put(x), put(y), key)
        running_loss, running_correct, seen = running_loss + loss, running_correct + correct, seen + len(y)
        if show_loss and i % 10 == 0:
            batches.set_postfix(loss=f"{float(loss):.3f}")
    elapsed = time.perf_counter() - t0
    return params, opt_state, float(running_loss) / len(batches), int(running_correct) / seen, seen / elapsed


def save_checkpoint(args, params, opt_state, epochs_done: int, train_loader) -> None:
    """Model, optimizer, data order and settings, written atomically to --checkpoint."""
    os.makedirs(os.path.dirname(os.path.abspath(args.checkpoint)), exist_ok=True)
    fl.save(
        {
            "params": params,
            "opt_state": opt_state,
            "epoch": epochs_done,
            "loader": train_loader.state_dict(),
            "args": {k: v for k, v in vars(args).items() if k != "jax_device"},
        },
        args.checkpoint,
    )


if __name__ == "__main__":
    main()
