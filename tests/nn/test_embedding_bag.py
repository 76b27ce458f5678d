"""nn.EmbeddingBag and F.embedding_bag (the bag-of-words layer of PyTorch's text
classification tutorial) against PyTorch, and their values written out."""

import numpy as np
import pytest

import scratchish as sh
from helpers import optional_torch
from scratchish.nn import functional as F

torch = optional_torch()

TABLE = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
BAGS = [
    {"input": [[1, 2, 4], [4, 3, 2]]},
    {"input": [1, 2, 4, 5, 4, 3, 2, 9], "offsets": [0, 4]},
    {"input": [1, 2, 4, 5, 4, 3, 2, 9], "offsets": [0, 3, 3, 8], "include_last_offset": True},
    {"input": [1, 2, 4, 5, 4, 3, 2, 9], "offsets": [0, 2, 2, 5]},  # an empty bag
    {"input": [1, 2, 2, 5, 2, 3, 2, 9], "offsets": [0, 4], "padding_idx": 2},
    {"input": [[1, 2, 2], [2, 2, 2]], "padding_idx": 2},  # a bag of padding only
]


def _run(lib, bag, mode, weights):
    table = lib.tensor(TABLE.copy(), requires_grad=True)
    kwargs = {k: (lib.tensor(v) if k == "offsets" else v) for k, v in bag.items() if k != "input"}
    scale = None
    if weights:
        shape = np.shape(bag["input"])
        scale = lib.tensor(np.linspace(-1, 2, int(np.prod(shape)), dtype=np.float32).reshape(shape))
        scale.requires_grad_(True)
        kwargs["per_sample_weights"] = scale
    out = lib.nn.functional.embedding_bag(lib.tensor(bag["input"]), table, mode=mode, **kwargs)
    out.backward(lib.tensor(np.arange(out.numel(), dtype=np.float32).reshape(tuple(out.shape))))
    return out.detach().numpy(), table.grad.numpy(), None if scale is None else scale.grad.numpy()


@pytest.mark.parametrize("bag", BAGS, ids=range(len(BAGS)))
@pytest.mark.parametrize(
    "mode, weights", [("mean", False), ("sum", False), ("sum", True), ("max", False)]
)
def test_embedding_bag_matches_torch(bag, mode, weights):
    if torch is None:
        pytest.skip("needs torch")
    ours, theirs = _run(sh, bag, mode, weights), _run(torch, bag, mode, weights)
    for a, b in zip(ours, theirs):
        if b is not None:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_embedding_bag_values_written_out():
    t = sh.tensor(TABLE)
    x = sh.tensor([1, 2, 4, 5])
    bags = F.embedding_bag(x, t, sh.tensor([0, 3, 3]), mode="sum").numpy()
    np.testing.assert_allclose(bags[0], TABLE[[1, 2, 4]].sum(0), rtol=1e-6)
    assert bags[1].tolist() == [0.0] * 4  # an empty bag
    np.testing.assert_allclose(bags[2], TABLE[5], rtol=1e-6)
    mean = F.embedding_bag(sh.tensor([[1, 2], [3, 3]]), t).numpy()  # mode 'mean', 2-d input
    np.testing.assert_allclose(mean, [TABLE[[1, 2]].mean(0), TABLE[3]], rtol=1e-6)
    top = F.embedding_bag(sh.tensor([[1, 2, 7]]), t, mode="max").numpy()
    np.testing.assert_allclose(top[0], TABLE[[1, 2, 7]].max(0), rtol=1e-6)
    with pytest.raises(sh.ArgumentError, match="offsets"):
        F.embedding_bag(sh.tensor([1, 2]), t)
    with pytest.raises(sh.ArgumentError, match="per_sample_weights"):
        F.embedding_bag(sh.tensor([[1]]), t, mode="mean", per_sample_weights=sh.ones(1, 1))


def test_embedding_bag_module_trains_like_the_text_tutorials_model():
    sh.manual_seed(0)
    bag = sh.nn.EmbeddingBag(20, 8, mode="mean")
    head = sh.nn.Linear(8, 3)
    opt = sh.optim.SGD([*bag.parameters(), *head.parameters()], lr=0.5)
    text, offsets = sh.tensor([1, 5, 7, 2, 2, 9, 11, 3]), sh.tensor([0, 3, 5])
    labels = sh.tensor([0, 1, 2])
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(head(bag(text, offsets)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert repr(bag) == "EmbeddingBag(20, 8, mode='mean')" and list(bag.state_dict()) == ["weight"]
    if torch is not None:
        torch.manual_seed(0)
        sh.manual_seed(0)
        np.testing.assert_array_equal(
            sh.nn.EmbeddingBag(6, 3, padding_idx=1).weight.detach().numpy(),
            torch.nn.EmbeddingBag(6, 3, padding_idx=1).weight.detach().numpy(),
        )
