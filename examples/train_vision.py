"""Train the CIFAR ResNet-20 on Fashion-MNIST (padded to 32x32) or CIFAR-10, on the pure path.

    python examples/train_vision.py                                    # Fashion-MNIST (Debian's files or --data-dir)
    python examples/train_vision.py --epochs 2 --train-subset 10000    # a short run
    python examples/train_vision.py --dataset cifar10 --data-dir DIR   # DIR/cifar-10-batches-py
    python examples/train_vision.py --logdir runs/resnet20 --plot curves.png --checkpoint runs/resnet20.safetensors

Data comes from `functorch_lite.vision.datasets` (the whole uint8 array, normalised
once); each batch is augmented inside the jitted step by
`functorch_lite.vision.functional.augment` (random crop with 4-pixel padding and
horizontal flip, per sample, from a PRNG key). The model is
`vision.models.resnet20(pure=True)` with its BatchNorm statistics as explicit
state, trained by SGD with Nesterov momentum and a cosine schedule.
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
from functorch_lite import optim
from functorch_lite.utils.data import DataLoader, TensorDataset, numpy_collate
from functorch_lite.vision import datasets, models
from functorch_lite.vision import functional as augmentation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _curves import Curves  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("fashion-mnist", "cifar10"), default="fashion-mnist")
    p.add_argument("--data-dir", default=None, help="dataset root (torchvision's layout); default: Debian's files")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--train-subset", type=int, default=None, help="train on the first N images only (quick runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logdir", default=None, help="TensorBoard log directory")
    p.add_argument("--plot", default=None, help="save a PNG of the curves here")
    p.add_argument("--checkpoint", default=None, help="save params, BatchNorm state and optimizer every epoch")
    p.add_argument("--resume", default=None, help="continue from a --checkpoint file")
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if not 0 < args.lr < float("inf"):
        p.error(f"--lr must be a positive finite number, got {args.lr}")
    return args


def load_arrays(args):
    """((x_train, y_train), (x_test, y_test)): float32 NCHW 32x32, standardised per channel."""
    root = args.data_dir or "data"
    try:
        if args.dataset == "fashion-mnist":
            train, test = datasets.FashionMNIST(root, train=True), datasets.FashionMNIST(root, train=False)
            to_nchw = lambda data: np.pad(data[:, None], ((0, 0), (0, 0), (2, 2), (2, 2)))  # noqa: E731
        else:
            train, test = datasets.CIFAR10(root, train=True), datasets.CIFAR10(root, train=False)
            to_nchw = lambda data: data.transpose(0, 3, 1, 2)  # noqa: E731
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    x_train, x_test = to_nchw(train.data).astype(np.float32) / 255, to_nchw(test.data).astype(np.float32) / 255
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = x_train.std(axis=(0, 2, 3), keepdims=True)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    y_train, y_test = np.asarray(train.targets, np.int32), np.asarray(test.targets, np.int32)
    if args.train_subset:
        x_train, y_train = x_train[: args.train_subset], y_train[: args.train_subset]
    return (x_train, y_train), (x_test, y_test)


def make_steps(model, opt):
    def loss_fn(params, state, x, y):
        logits, new_state = model.apply(params, x, state=state, training=True)
        return fn.cross_entropy(logits, y), (logits, new_state)

    def train_step(params, state, opt_state, x, y, key):
        x = augmentation.augment(key, x, padding=4)
        (loss, (logits, state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, x, y)
        params, opt_state = opt.update(grads, opt_state, params)
        return params, state, opt_state, loss, jnp.sum(jnp.argmax(logits, axis=1) == y)

    def eval_step(params, state, x, y):
        logits, _ = model.apply(params, x, state=state, training=False)
        return fn.cross_entropy(logits, y, reduction="sum"), jnp.sum(jnp.argmax(logits, axis=1) == y)

    return jax.jit(train_step, donate_argnums=(0, 1, 2)), jax.jit(eval_step)


def evaluate(eval_step, params, state, loader):
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        loss, hits = eval_step(params, state, x, y)
        total_loss, correct, count = total_loss + float(loss), correct + int(hits), count + len(y)
    return total_loss / count, correct / count


def initial_state(args, model, opt):
    if not args.resume:
        params = model.init(jax.random.key(args.seed))
        return params, model.init_state(), opt.init(params), 0
    checkpoint = fl.load(args.resume)
    print(f"resumed from {args.resume} after epoch {int(checkpoint['epoch'])}")
    return checkpoint["params"], checkpoint["state"], checkpoint["opt_state"], int(checkpoint["epoch"])


def main(argv=None) -> float:
    args = parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load_arrays(args)
    train_loader = DataLoader(
        TensorDataset(x_train, y_train),
        args.batch_size,
        shuffle=True,
        drop_last=True,
        seed=args.seed,
        collate_fn=numpy_collate,
    )
    test_loader = DataLoader(TensorDataset(x_test, y_test), 1000, collate_fn=numpy_collate)
    model = models.resnet20(pure=True, in_channels=x_train.shape[1], num_classes=10)
    schedule = optim.cosine_annealing_lr(args.lr, T_max=args.epochs * len(train_loader))
    opt = optim.sgd(schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    params, state, opt_state, start_epoch = initial_state(args, model, opt)
    train_loader.load_state_dict({"seed": args.seed, "epoch": start_epoch, "batches_yielded": 0})
    train_step, eval_step = make_steps(model, opt)
    curves = Curves(args.logdir, args.plot, f"ResNet-20 on {args.dataset}")
    print(f"ResNet-20 on {args.dataset}: {len(y_train)} train / {len(y_test)} test images, batch {args.batch_size}")
    started, test_acc = time.perf_counter(), None
    for epoch in range(start_epoch, args.epochs):
        epoch_start, losses, correct = time.perf_counter(), [], 0
        for i, (x, y) in enumerate(train_loader):
            key = jax.random.fold_in(jax.random.key(args.seed + 1), epoch * len(train_loader) + i)
            params, state, opt_state, loss, hits = train_step(params, state, opt_state, x, y, key)
            losses.append(loss)
            correct += hits
            if i % 50 == 0:
                print(f"  epoch {epoch + 1} batch {i}/{len(train_loader)} loss {float(loss):.4f}", flush=True)
        train_loss, train_acc = float(jnp.mean(jnp.stack(losses))), int(correct) / (len(losses) * args.batch_size)
        test_loss, test_acc = evaluate(eval_step, params, state, test_loader)
        seconds = time.perf_counter() - epoch_start
        print(
            f"epoch {epoch + 1:3d}/{args.epochs}  loss {train_loss:.4f}  train acc {train_acc:.4f}  "
            f"test loss {test_loss:.4f}  test acc {test_acc:.4f}  {seconds:.1f} s",
            flush=True,
        )
        curves.epoch(epoch + 1, train_loss, train_acc, test_loss, test_acc)
        curves.scalar("lr", float(schedule((epoch + 1) * len(train_loader))), epoch + 1)
        if args.checkpoint:
            os.makedirs(os.path.dirname(os.path.abspath(args.checkpoint)), exist_ok=True)
            fl.save({"params": params, "state": state, "opt_state": opt_state, "epoch": epoch + 1}, args.checkpoint)
    curves.close()
    if test_acc is None:
        _, test_acc = evaluate(eval_step, params, state, test_loader)
    print(f"final test accuracy: {test_acc:.4f} ({time.perf_counter() - started:.1f} s)")
    return test_acc


if __name__ == "__main__":
    main()
