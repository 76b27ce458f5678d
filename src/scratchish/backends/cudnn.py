"""torch.backends.cudnn: flags for NVIDIA's cuDNN library. Set them freely; they change nothing
here (scratchish has no cuDNN and is always deterministic). Defaults are PyTorch's."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    """False: there is no cuDNN (and no GPU) in scratchish."""
    return False


def version() -> None:
    """None, as PyTorch answers when cuDNN is not available."""
    return None
