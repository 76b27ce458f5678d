"""Prints what a script sees as `python FILE ARGS`, then exits with the code given."""

import os
import sys

import torch

print("argv", sys.argv[1:])
print("name", __name__)
print("torch", type(torch.tensor(1.0)).__module__)
print("folder on path", os.path.dirname(os.path.abspath(__file__)) == os.path.abspath(sys.path[0]))
import matplotlib  # noqa: E402

print("backend", matplotlib.get_backend().lower())
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
