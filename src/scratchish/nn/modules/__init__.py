"""torch.nn.modules: PyTorch's package of layer files, under its names, so that code written
against them (`from torch.nn.modules.module import Module`, `from torch.nn.modules.loss
import _Loss` for a custom loss) runs. Each torch.nn.modules.<file> is the scratchish.nn
file that holds the same layers (compat.MODULES lists them: torch's pooling layers are in
conv.py here, Flatten in linear.py); the layers themselves are nn's.
"""

import importlib

from ... import compat


def __getattr__(name: str):
    # torch.nn.modules.Linear is torch.nn.Linear; a file name (torch.nn.modules.pooling) is
    # found through compat.MODULES
    nn = importlib.import_module("scratchish.nn")
    if not name.startswith("_") and f"torch.nn.modules.{name}" not in compat.MODULES:
        found = getattr(nn, name, None)
        if found is not None:
            return found
    return compat.unsupported_attribute("torch.nn.modules", name)
