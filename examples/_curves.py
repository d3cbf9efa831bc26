"""Per-epoch curves for the example scripts: TensorBoard scalars (--logdir) and a PNG plot (--plot)."""

from __future__ import annotations

import os


class Curves:
    """Records train/test loss and accuracy per epoch; writes them to TensorBoard and/or a PNG."""

    def __init__(self, logdir: str | None, plot: str | None, title: str):
        self.plot, self.title = plot, title
        self.history: dict[str, list[float]] = {
            "epoch": [],
            "train_loss": [],
            "train_acc": [],
            "test_loss": [],
            "test_acc": [],
        }
        self.writer = None
        if logdir:
            from functorch_lite.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(logdir)

    def epoch(self, epoch: int, train_loss: float, train_acc: float, test_loss: float, test_acc: float) -> None:
        for name, value in zip(self.history, (epoch, train_loss, train_acc, test_loss, test_acc)):
            self.history[name].append(value)
        if self.writer is not None:
            self.writer.add_scalars("loss", {"train": train_loss, "test": test_loss}, epoch)
            self.writer.add_scalars("accuracy", {"train": train_acc, "test": test_acc}, epoch)
            self.writer.flush()

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self.writer is not None:
            self.writer.add_scalar(tag, value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.plot and self.history["epoch"]:
            self._save_plot()

    def _save_plot(self) -> None:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt

        figure, (loss_axes, acc_axes) = plt.subplots(1, 2, figsize=(10, 4))
        epochs = self.history["epoch"]
        for split, style in (("train", "-o"), ("test", "-s")):
            loss_axes.plot(epochs, self.history[f"{split}_loss"], style, label=split, markersize=3)
            acc_axes.plot(epochs, self.history[f"{split}_acc"], style, label=split, markersize=3)
        loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
        acc_axes.set(
            xlabel="epoch", ylabel="accuracy", title=f"accuracy (final test {self.history['test_acc'][-1]:.4f})"
        )
        for axes in (loss_axes, acc_axes):
            axes.grid(alpha=0.3)
            axes.legend()
        figure.suptitle(self.title)
        figure.tight_layout()
        os.makedirs(os.path.dirname(os.path.abspath(self.plot)), exist_ok=True)
        figure.savefig(self.plot, dpi=100)
        plt.close(figure)
