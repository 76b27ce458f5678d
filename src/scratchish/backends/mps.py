"""torch.backends.mps: Apple's GPUs, which scratchish does not use (it runs on the CPU)."""


def is_available() -> bool:
    """False: scratchish runs on the CPU, so `"mps" if ...is_available() else "cpu"` picks it."""
    return False


def is_built() -> bool:
    """False: scratchish has no Metal (MPS) kernels."""
    return False
