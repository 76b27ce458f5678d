"""torch.utils.tensorboard's SummaryWriter over tensorboardX: scratchish tensors reach the
event files as their values (read back from the files), and add_graph explains."""

import struct
import sys

import pytest

import scratchish as sh
from scratchish import compat
from scratchish.errors import UnsupportedError

pytest.importorskip("tensorboardX")


def events(folder):
    """Every summary value in the event files of `folder`, as (tag, step, value proto)."""
    from tensorboardX.proto import event_pb2

    found = []
    for path in sorted(folder.rglob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):  # TFRecord: length u64, crc u32, payload, crc u32
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            payload = data[offset + 12 : offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event.FromString(payload)
            found += [(v.tag, event.step, v) for v in event.summary.value]
    return found


def test_the_writer_takes_scratchish_tensors(tmp_path):
    with compat.as_torch():
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(str(tmp_path / "run")) as writer:
            for step in range(3):
                writer.add_scalar("training loss", sh.tensor(2.0 - step), step)
            writer.add_scalars("both", {"a": 1.5, "b": sh.tensor(0.5)}, 4)
            grid = sh.vision.utils.make_grid(sh.rand(4, 1, 5, 5), padding=1)
            writer.add_image("grid", grid, 0)
            writer.add_histogram("weights", sh.randn(100), 0)
    found = events(tmp_path)
    # tensorboardX writes the tag with "_" for the space, as TensorBoard shows it
    losses = [(step, v.simple_value) for tag, step, v in found if tag == "training_loss"]
    assert losses == [(0, 2.0), (1, 1.0), (2, 0.0)]
    images = [v.image for tag, _, v in found if tag == "grid"]
    assert len(images) == 1 and (images[0].height, images[0].width) == (7, 25)  # 4 in a row
    histograms = [v.histo for tag, _, v in found if tag == "weights"]
    assert len(histograms) == 1 and histograms[0].num == 100
    both = sorted(v.simple_value for tag, step, v in found if tag == "both" and step == 4)
    assert both == [0.5, 1.5]  # one curve per name, each in its own folder


def test_add_graph_explains_and_a_missing_tensorboardx_says_how_to_install(tmp_path, monkeypatch):
    from scratchish.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    with pytest.raises(UnsupportedError, match="PyTorch's JIT.*draw_graph"):
        writer.add_graph(sh.nn.Linear(2, 2), sh.ones(1, 2))
    writer.close()
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'scratchish\[tensorboard\]'"):
        SummaryWriter(str(tmp_path / "other"))
