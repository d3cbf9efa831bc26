"""A character-level LSTM language model trained on Python's own standard-library sources.

    python examples/char_lstm.py                                   # the default run (figures in README.md)
    python examples/char_lstm.py --checkpoint runs/char.safetensors  # save after every epoch
    python examples/char_lstm.py --resume runs/char.safetensors --epochs 5
    python examples/char_lstm.py --temperature 0.5 --sample-length 600

Data: a fixed, sorted list of modules from `sysconfig.get_paths()["stdlib"]`, so every
machine with Python has it offline; the last tenth of each file is the validation text.
Characters outside printable ASCII (plus newline and tab) map to one unknown symbol,
so the vocabulary is fixed and a checkpoint never depends on the corpus' contents.

Training is the jitted functional core: `jax.jit(jax.value_and_grad(...))` over the pure
`Embedding -> LSTM -> Linear` layers and the pure Adam rule of `functorch_lite.optim`,
with params, optimizer state and the carried LSTM state donated. We chose it over the
compiled facade because truncated BPTT carries the hidden state from chunk to chunk:
in the core it is an explicit array that goes in and out of the step (cut from the
graph by `stop_gradient`), where the facade would need `detach()` bookkeeping in Python
around each call; the step, the validation pass and the sampler are each one XLA
program, and the sampler scans over the generated characters instead of calling back
into Python per character.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import sysconfig
import time

import jax
import jax.numpy as jnp
import numpy as np

import functorch_lite as fl
import functorch_lite.functional as fn
from functorch_lite import optim

FILES = (
    "abc.py",
    "bisect.py",
    "calendar.py",
    "colorsys.py",
    "contextlib.py",
    "copy.py",
    "fnmatch.py",
    "fractions.py",
    "functools.py",
    "glob.py",
    "heapq.py",
    "keyword.py",
    "numbers.py",
    "operator.py",
    "queue.py",
    "random.py",
    "shlex.py",
    "string.py",
    "textwrap.py",
    "types.py",
)
VOCAB = "\x00\t\n" + "".join(chr(c) for c in range(32, 127))  # "\x00" stands for every other character
_INDEX = np.zeros(0x110000, np.uint8)
_INDEX[[ord(c) for c in VOCAB]] = np.arange(len(VOCAB))
# Settings that shape the trajectory; a resumed run must keep them.
RESUME_MUST_MATCH = ("files", "max_chars", "batch_size", "seq_len", "embed_dim", "hidden_size", "num_layers", "lr")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--files", type=int, default=len(FILES), help=f"use the first N of the {len(FILES)} modules")
    p.add_argument("--max-chars", type=int, default=0, help="cut each file to N characters (0: whole files)")
    p.add_argument("--batch-size", type=int, default=32, help="parallel text streams")
    p.add_argument("--seq-len", type=int, default=64, help="truncated-BPTT chunk length")
    p.add_argument("--embed-dim", type=int, default=32)
    p.add_argument("--hidden-size", type=int, default=128)
    p.add_argument("--num-layers", type=int, default=1)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--clip", type=float, default=5.0, help="max global gradient norm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=50, help="steps between progress lines")
    p.add_argument("--checkpoint", default=None, help="save model and optimizer here after every epoch")
    p.add_argument("--resume", default=None, help="continue from a checkpoint written by --checkpoint")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (> 0)")
    p.add_argument("--sample-length", type=int, default=400)
    p.add_argument("--prompt", default="def ")
    args = p.parse_args(argv)
    for name in ("epochs", "files", "batch_size", "seq_len", "embed_dim", "hidden_size", "num_layers", "log_every"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.files > len(FILES):
        p.error(f"--files must be at most {len(FILES)}, got {args.files}")
    if not (0 < args.lr < math.inf and 0 < args.temperature < math.inf and args.clip > 0):
        p.error("--lr, --temperature and --clip must be positive finite numbers")
    if args.max_chars < 0 or args.sample_length < 0:
        p.error("--max-chars and --sample-length must be >= 0")
    if args.resume and not os.path.isfile(args.resume):
        p.error(f"--resume {args.resume}: no such checkpoint file")
    return args


def encode(text: str) -> np.ndarray:
    return _INDEX[np.frombuffer(text.encode("utf-32-le"), np.uint32)].astype(np.int32)


def decode(tokens) -> str:
    return "".join(VOCAB[int(t)] if t else "?" for t in tokens)


def load_corpus(args) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) token arrays: the first 90% of each module trains, the last 10% validates."""
    stdlib = sysconfig.get_paths()["stdlib"]
    train, val = [], []
    for name in FILES[: args.files]:
        with open(os.path.join(stdlib, name), encoding="utf-8") as f:
            text = f.read()
        if args.max_chars:
            text = text[: args.max_chars]
        cut = int(len(text) * 0.9)
        train.append(text[:cut])
        val.append(text[cut:])
    return encode("".join(train)), encode("".join(val))


def streams(tokens: np.ndarray, batch: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets) of shape (chunks, batch, seq_len): `batch` contiguous streams cut into chunks."""
    length = (len(tokens) - 1) // batch
    chunks = length // seq_len
    if chunks == 0:
        sys.exit(f"error: {len(tokens)} characters are too few for --batch-size {batch} and --seq-len {seq_len}")
    usable = chunks * seq_len
    x = tokens[: batch * length].reshape(batch, length)[:, :usable]
    y = tokens[1 : batch * length + 1].reshape(batch, length)[:, :usable]
    split = lambda a: a.reshape(batch, chunks, seq_len).transpose(1, 0, 2)  # noqa: E731
    return split(x), split(y)


class CharModel:
    """Embedding -> LSTM (batch_first) -> Linear, as pure layers over one params dict."""

    def __init__(self, args):
        self.embed = fn.Embedding(len(VOCAB), args.embed_dim)
        self.lstm = fn.LSTM(args.embed_dim, args.hidden_size, args.num_layers, batch_first=True)
        self.head = fn.Linear(args.hidden_size, len(VOCAB))

    def init(self, key):
        k1, k2, k3 = jax.random.split(key, 3)
        return {"embed": self.embed.init(k1), "lstm": self.lstm.init(k2), "head": self.head.init(k3)}

    def apply(self, params, tokens, state):
        out, state = self.lstm.apply(params["lstm"], self.embed.apply(params["embed"], tokens), state, training=False)
        return self.head.apply(params["head"], out), state


def make_steps(model: CharModel, opt, clip: float):
    def loss_fn(params, x, y, state):
        logits, state = model.apply(params, x, state)
        return fn.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), state

    @functools.partial(jax.jit, donate_argnums=(0, 1, 2))
    def train_step(params, opt_state, state, x, y):
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, state)
        grads, _ = optim.clip_by_global_norm(grads, clip)
        params, opt_state = opt.update(grads, opt_state, params)
        return params, opt_state, jax.lax.stop_gradient(state), loss  # truncated BPTT: the state goes on, not its graph

    @jax.jit
    def eval_step(params, state, x, y):
        loss, state = loss_fn(params, x, y, state)
        return loss, state

    return train_step, eval_step


def zero_state(args):
    shape = (args.num_layers, args.batch_size, args.hidden_size)
    return jnp.zeros(shape), jnp.zeros(shape)


def evaluate(eval_step, params, data, args) -> float:
    """Mean cross-entropy (nats per character) over the validation streams, state carried across chunks."""
    state, total = zero_state(args), 0.0
    for x, y in zip(*data, strict=True):
        loss, state = eval_step(params, state, x, y)
        total += float(loss)
    return total / len(data[0])


def make_sampler(model: CharModel, length: int):
    @jax.jit
    def sample(params, prompt, key, temperature):
        logits, state = model.apply(params, prompt[None], None)

        def body(carry, key):
            last, state = carry
            token = jax.random.categorical(key, last / temperature)
            logits, state = model.apply(params, token[:, None], state)
            return (logits[:, -1], state), token[0]

        _, tokens = jax.lax.scan(body, (logits[:, -1], state), jax.random.split(key, length))
        return tokens

    return sample


def initial_state(args, model, opt):
    """(params, opt_state, first epoch, history): fresh from --seed, or restored from --resume."""
    if not args.resume:
        params = model.init(jax.random.key(args.seed))
        return params, opt.init(params), 0, []
    ckpt = fl.load(args.resume)
    changed = [k for k in RESUME_MUST_MATCH if ckpt["args"][k] != getattr(args, k)]
    if changed:
        details = ", ".join(f"--{k.replace('_', '-')} {ckpt['args'][k]!r} -> {getattr(args, k)!r}" for k in changed)
        sys.exit(f"error: --resume {args.resume}: the run was started with other settings ({details})")
    epoch = int(ckpt["epoch"])
    print(f"resumed from {args.resume} after epoch {epoch}")
    return ckpt["params"], ckpt["opt_state"], epoch, [float(v) for v in ckpt["history"]]


def save_checkpoint(args, params, opt_state, epoch: int, history: list[float]) -> None:
    """Written atomically by `functorch_lite.save`: a kill mid-write leaves the previous checkpoint."""
    os.makedirs(os.path.dirname(os.path.abspath(args.checkpoint)), exist_ok=True)
    settings = {k: getattr(args, k) for k in RESUME_MUST_MATCH}
    fl.save(
        {"params": params, "opt_state": opt_state, "epoch": epoch, "history": history, "args": settings},
        args.checkpoint,
    )


def main(argv=None) -> list[float]:
    args = parse_args(argv)
    t_start = time.perf_counter()
    train_tokens, val_tokens = load_corpus(args)
    train, val = (
        streams(train_tokens, args.batch_size, args.seq_len),
        streams(val_tokens, args.batch_size, args.seq_len),
    )
    model = CharModel(args)
    opt = optim.adam(args.lr)
    params, opt_state, start_epoch, history = initial_state(args, model, opt)
    train_step, eval_step = make_steps(model, opt, args.clip)
    steps = len(train[0])
    print(
        f"char-LSTM on {args.files} stdlib modules: {len(train_tokens):,} train / {len(val_tokens):,} validation "
        f"characters, vocabulary {len(VOCAB)}; LSTM({args.embed_dim}, {args.hidden_size}, "
        f"num_layers={args.num_layers}), batch {args.batch_size} x {args.seq_len}, adam lr={args.lr}, "
        f"{steps} steps/epoch",
        flush=True,
    )
    if not history:
        history.append(evaluate(eval_step, params, val, args))
        print(f"epoch   0  val loss {history[0]:.4f}  val ppl {math.exp(history[0]):7.2f}", flush=True)
    for epoch in range(start_epoch, args.epochs):
        t0, state, running = time.perf_counter(), zero_state(args), 0.0
        for i, (x, y) in enumerate(zip(*train, strict=True)):
            params, opt_state, state, loss = train_step(params, opt_state, state, x, y)
            running += float(loss)
            if (i + 1) % args.log_every == 0:
                rate = (i + 1) * args.batch_size * args.seq_len / (time.perf_counter() - t0)
                print(f"  epoch {epoch + 1} step {i + 1:4d}/{steps}  loss {float(loss):.4f}  {rate:,.0f} chars/s")
        val_loss = evaluate(eval_step, params, val, args)
        history.append(val_loss)
        print(
            f"epoch {epoch + 1:3d}  train loss {running / steps:.4f}  val loss {val_loss:.4f}  "
            f"val ppl {math.exp(val_loss):7.2f}  ({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        if args.checkpoint:
            save_checkpoint(args, params, opt_state, epoch + 1, history)
    if args.sample_length:
        prompt = jnp.asarray(encode(args.prompt) if args.prompt else encode("\n"))
        tokens = make_sampler(model, args.sample_length)(
            params, prompt, jax.random.key(args.seed + 1), args.temperature
        )
        print(f"--- sample (temperature {args.temperature}) ---\n{args.prompt}{decode(np.asarray(tokens))}\n---")
    print(f"val loss by epoch: {' '.join(f'{v:.4f}' for v in history)}  ({time.perf_counter() - t_start:.1f} s total)")
    return history


if __name__ == "__main__":
    main()
