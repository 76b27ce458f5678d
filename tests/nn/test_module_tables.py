"""A module's tables (_parameters, _buffers, _modules) and its attributes agree: each entry is
also kept in the module's __dict__ (nn/module.py, _Members), through every way of changing a
table, copying and pickling a module."""

import copy
import gc
import pickle
import weakref

import pytest

import scratchish as sh
from scratchish import nn
from scratchish.nn.module import _Members

MISSING = object()


def assert_agree(module, names):
    """module.<name> is the table's entry for every name, and missing where no table has it."""
    for name in names:
        entry = MISSING
        for table in (module._parameters, module._buffers, module._modules):
            entry = table.get(name, entry)
        assert getattr(module, name, MISSING) is entry, name


def test_entries_are_found_without_getattr(monkeypatch):
    lin = nn.Linear(2, 3)
    seq = nn.Sequential(lin)
    bn = nn.BatchNorm1d(3)

    def refuse(self, name):
        raise AssertionError(f"__getattr__ was asked for {name!r}")

    monkeypatch.setattr(nn.Module, "__getattr__", refuse)
    assert lin.weight is lin._parameters["weight"] and lin.bias is lin._parameters["bias"]
    assert getattr(seq, "0") is lin
    assert bn.running_mean is bn._buffers["running_mean"]
    assert vars(lin)["weight"] is lin.weight


def test_every_change_to_a_table_shows_in_the_attributes():
    lin = nn.Linear(2, 3)
    names = ["weight", "bias", "extra", "other"]
    p, q = nn.Parameter(sh.ones(3)), nn.Parameter(sh.zeros(1))
    table = lin._parameters
    table["bias"] = p
    assert lin.bias is p
    assert_agree(lin, names)
    del table["bias"]
    assert not hasattr(lin, "bias")
    assert table.pop("weight") is not None and not hasattr(lin, "weight")
    assert table.pop("weight", None) is None
    with pytest.raises(KeyError):
        table.pop("weight")
    table.update({"extra": p}, other=q)
    assert lin.extra is p and lin.other is q
    assert_agree(lin, names)
    assert table.setdefault("extra", q) is p and table.setdefault("weight", q) is q
    assert lin.weight is q
    name, value = table.popitem()
    assert not hasattr(lin, name) and value is not None
    table |= {"bias": None}
    assert lin.bias is None
    assert_agree(lin, names)
    table.clear()
    assert_agree(lin, names)
    assert not hasattr(lin, "extra")
    assert type(table.copy()) is dict  # a copy is a plain dict, bound to no module


def test_containers_renumbering_and_setattr_paths_keep_agreeing():
    seq = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2))
    del seq[0]  # renumbers '0', '1' as PyTorch does
    assert_agree(seq, ["0", "1", "2"])
    assert not hasattr(seq, "2") and isinstance(getattr(seq, "1"), nn.Linear)
    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    assert isinstance(md.pop("a"), nn.ReLU) and not hasattr(md, "a")
    md.clear()
    assert not hasattr(md, "b")

    net = nn.Module()
    net.w = nn.Parameter(sh.ones(2))
    net.register_buffer("buf", sh.zeros(2))
    net.sub = nn.Linear(1, 1)
    net.w = None  # a parameter slot that holds None, as a layer without bias
    net.buf = sh.ones(3)
    new_w = nn.Parameter(sh.zeros(1))
    net.w = new_w
    assert_agree(net, ["w", "buf", "sub"])
    assert net.w is new_w and net.buf.shape == (3,)
    del net.sub
    assert not hasattr(net, "sub")
    net.sub = 5  # a plain attribute now
    assert net.sub == 5 and "sub" not in net._modules


def test_a_plain_attribute_of_the_same_name_shadows_the_entry_as_in_torch():
    net = nn.Module()
    object.__setattr__(net, "w", "plain")  # bypasses registration, as vars(net)["w"] = ... would
    p = nn.Parameter(sh.ones(1))
    net._parameters["w"] = p
    assert net.w == "plain"  # torch: an instance attribute is found before __getattr__ runs
    del net._parameters["w"]
    assert net.w == "plain"  # deleting the entry leaves the plain attribute alone


def test_deepcopy_and_pickle_bind_the_copy_to_its_own_tables():
    for make_copy in (copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))):
        seq = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        twin = make_copy(seq)
        lin, twin_lin = seq[0], twin[0]
        assert isinstance(twin_lin._parameters, _Members)
        assert twin_lin.weight is twin_lin._parameters["weight"]
        assert twin_lin.weight is not lin.weight
        assert (twin_lin.weight.detach().numpy() == lin.weight.detach().numpy()).all()
        assert twin[1].running_var is twin[1]._buffers["running_var"]
        p = nn.Parameter(sh.zeros(2))
        twin_lin._parameters["bias"] = p
        assert twin_lin.bias is p and lin.bias is not p
        assert_agree(twin_lin, ["weight", "bias"])
        assert_agree(lin, ["weight", "bias"])


def test_pickled_state_leaves_the_attribute_copies_out():
    lin = nn.Linear(2, 2)
    state = lin.__getstate__()
    assert "weight" not in state and "bias" not in state
    assert state["_parameters"]["weight"] is lin.weight


def test_a_module_pickled_with_plain_dict_tables_still_loads():
    lin = nn.Linear(2, 2)
    state = lin.__getstate__()
    for key in ("_parameters", "_buffers", "_modules"):
        state[key] = dict(state[key])  # as a pickle written before _Members
    old = nn.Linear.__new__(nn.Linear)
    old.__setstate__(state)
    assert isinstance(old._parameters, _Members)
    assert old.weight is lin.weight
    p = nn.Parameter(sh.zeros(2))
    old._parameters["bias"] = p
    assert old.bias is p


def test_shallow_copy_shares_the_tables_as_torch_does():
    torch = pytest.importorskip("torch")
    for lib, ones in ((nn, sh.ones), (torch.nn, torch.ones)):
        lin = lib.Linear(2, 2)
        twin = copy.copy(lin)
        assert twin._parameters is lin._parameters
        p = lib.Parameter(ones(2))
        twin.bias = p  # one shared table: both modules see the new bias
        assert lin.bias is p and twin.bias is p, lib


def test_modules_are_freed_without_the_garbage_collector():
    # the tables hold their modules weakly: no reference cycle keeps a dropped model alive
    enabled = gc.isenabled()
    gc.disable()
    try:
        model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        first = weakref.ref(model[0])
        whole = weakref.ref(model)
        twin = copy.copy(model)
        del model
        assert whole() is None and first() is not None  # twin shares the first layer
        del twin
        assert first() is None
        layer = nn.Linear(2, 2)
        for _ in range(5):  # shallow copies made and dropped: their owner entries go too
            copy.copy(layer)
        assert len(layer._parameters._owners) <= 2
    finally:
        if enabled:
            gc.enable()
