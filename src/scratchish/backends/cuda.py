"""torch.backends.cuda: GPU matmul switches. They can be set (nanoGPT sets
`torch.backends.cuda.matmul.allow_tf32 = True`) and change nothing: there is no GPU here."""


class MatmulFlags:
    """`torch.backends.cuda.matmul`: precision shortcuts for GPU matrix products."""

    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = MatmulFlags()


def is_built() -> bool:
    """False: scratchish has no CUDA kernels."""
    return False
