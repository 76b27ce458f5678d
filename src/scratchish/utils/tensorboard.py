"""torch.utils.tensorboard: `SummaryWriter` writes losses, images and histograms for TensorBoard,
as PyTorch's does, through tensorboardX (an optional extra: pip install 'scratchish[tensorboard]').

tensorboardX takes NumPy arrays and numbers; this writer hands it scratchish tensors as NumPy
arrays, so `writer.add_image("grid", make_grid(images))` works as in PyTorch's TensorBoard
tutorial. add_graph needs PyTorch's tracer and is not here. Read next: journal/tensorboard.py,
which exports a whole run of the experiment journal.
"""

from __future__ import annotations

from ..errors import UnsupportedError
from ..tensor import Tensor

__all__ = ["SummaryWriter"]


def _tensorboard_x():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError(
            "torch.utils.tensorboard writes through tensorboardX, which is not installed: "
            "pip install 'scratchish[tensorboard]' (and pip install tensorboard to view the "
            "logs: tensorboard --logdir runs)."
        ) from None
    return tensorboardX


def _numpy(value):
    """A tensor as its NumPy array (detached); lists and tuples of them likewise."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy(v) for v in value)
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    return value


class SummaryWriter:
    """Writes TensorBoard event files under `log_dir` (default runs/<date>_<host>), as
    torch.utils.tensorboard.SummaryWriter; use it as PyTorch's:

        writer = SummaryWriter("runs/fashion_mnist")
        writer.add_scalar("training loss", loss.item(), step)
        writer.close()

    The add_* methods below are tensorboardX's, with scratchish tensors given to it as NumPy
    arrays; each takes PyTorch's arguments.
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = "") -> None:  # fmt: skip
        self._writer = _tensorboard_x().SummaryWriter(
            logdir=log_dir,
            comment=comment,
            purge_step=purge_step,
            max_queue=max_queue,
            flush_secs=flush_secs,
            filename_suffix=filename_suffix,
        )
        self.log_dir = self._writer.logdir

    def _add(self, name: str, args: tuple, kwargs: dict):
        """tensorboardX's writer.<name>, with tensors given to it as NumPy arrays."""
        return getattr(self._writer, name)(*_numpy(args), **_numpy(kwargs))

    def add_scalar(self, *args, **kwargs):
        """add_scalar(tag, value, global_step=None, walltime=None): one point of a curve."""
        return self._add("add_scalar", args, kwargs)

    def add_scalars(self, *args, **kwargs):
        """add_scalars(main_tag, {name: value}, global_step=None): several curves in one chart."""
        return self._add("add_scalars", args, kwargs)

    def add_histogram(self, *args, **kwargs):
        """add_histogram(tag, values, global_step=None, bins='tensorflow')."""
        return self._add("add_histogram", args, kwargs)

    def add_image(self, *args, **kwargs):
        """add_image(tag, img (C, H, W), global_step=None, dataformats='CHW')."""
        return self._add("add_image", args, kwargs)

    def add_images(self, *args, **kwargs):
        """add_images(tag, imgs (N, C, H, W), global_step=None, dataformats='NCHW')."""
        return self._add("add_images", args, kwargs)

    def add_figure(self, *args, **kwargs):
        """add_figure(tag, matplotlib figure, global_step=None, close=True)."""
        return self._add("add_figure", args, kwargs)

    def add_text(self, *args, **kwargs):
        """add_text(tag, text, global_step=None)."""
        return self._add("add_text", args, kwargs)

    def add_embedding(self, *args, **kwargs):
        """add_embedding(mat (N, D), metadata=None, label_img=None, global_step=None, tag)."""
        return self._add("add_embedding", args, kwargs)

    def add_pr_curve(self, *args, **kwargs):
        """add_pr_curve(tag, labels, predictions, global_step=None, num_thresholds=127)."""
        return self._add("add_pr_curve", args, kwargs)

    def add_hparams(self, *args, **kwargs):
        """add_hparams({hyper-parameter: value}, {metric: value})."""
        return self._add("add_hparams", args, kwargs)

    def add_graph(self, model, input_to_model=None, verbose=False, **kwargs):
        raise UnsupportedError(
            "SummaryWriter.add_graph traces the model with PyTorch's JIT, which scratchish does "
            "not have. print(model) shows its layers; sh.tools.draw_graph(loss) draws the "
            "graph of one step."
        )

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
