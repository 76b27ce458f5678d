"""Generated data for the learner tests: a CSV table and a folder of shape images."""

import csv

import numpy as np
import pytest


def _write_table(path, n=300, seed=0):
    """x1 numeric, x2 numeric noise, color categorical; label depends on x1 and color.
    About 10% of x1 and x2 and 5% of color are missing."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x1", "x2", "color", "label"])
        for _ in range(n):
            x1, x2, color = rng.normal(), rng.normal(), rng.choice(["red", "green", "blue"])
            score = x1 + {"red": 1.5, "green": -0.5, "blue": 0.0}[color]
            w.writerow([
                "" if rng.random() < 0.1 else f"{x1:.3f}",
                "NA" if rng.random() < 0.1 else f"{x2:.3f}",
                "" if rng.random() < 0.05 else color,
                "yes" if score > 0.3 else "no",
            ])  # fmt: skip
    return path


def _make_shapes(root, n=40, seed=0):
    """Three classes of 16x16 grey images: circles, filled squares, horizontal bars."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for name in ["bar", "circle", "square"]:
        (root / name).mkdir(parents=True)
        for i in range(n):
            img = Image.new("L", (16, 16), 0)
            d = ImageDraw.Draw(img)
            x, y, r = (int(v) for v in (rng.integers(2, 7), rng.integers(2, 7), rng.integers(3, 5)))
            if name == "circle":
                d.ellipse([x, y, x + 2 * r, y + 2 * r], outline=255)
            elif name == "square":
                d.rectangle([x, y, x + 2 * r, y + 2 * r], fill=255)
            else:
                d.line([0, y + r, 15, y + r], fill=255, width=2)
            img.save(root / name / f"{i}.png")
    return root


@pytest.fixture
def write_table():
    return _write_table


@pytest.fixture
def make_shapes():
    return _make_shapes
