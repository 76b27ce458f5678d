"""draw_graph: the computation graph behind a tensor, as a picture you can look at.

Each op that made the tensor is a node (an oval), each tensor it used or made is a node (a box
with its name, shape, and for small tensors its values and gradient). Graphviz draws it when
its `dot` program is installed; otherwise render.py lays it out and draws it itself. A whole
model's graph stays readable by folding each module's ops into one box. Read next: explain.py.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..autograd import _FREED, topological_order
from ..errors import ArgumentError, BackwardError, UnsupportedError
from ..tensor import Tensor
from . import render
from .trace import BackwardRecorder, Tracer

# tensors shown with their values when show_values="auto"
SHOW_VALUES_UP_TO = 8

# ------------------------------------------------------------------------------------ names
# A tensor's Python variable name is not available to us, so names are given: name(t, "h"),
# a names={...} mapping, or a model's named_parameters(). A non-leaf tensor is named through
# the node that made it (the graph links nodes, not tensors); a leaf through itself.
_NAMES: dict = {}  # id(node or leaf) -> (weak reference to it, name)


def name(tensor: Tensor, label: str) -> Tensor:
    """Give `tensor` a name for draw_graph and explain_backward, and return the tensor.

    Example:
        >>> import scratchish as sh
        >>> z = sh.tensor(1.5, requires_grad=True)
        >>> h = sh.tools.name(z.relu(), "h")
        >>> sh.tools.draw_graph(h).nodes[-1].name
        'h'
    """
    if not isinstance(tensor, Tensor):
        raise ArgumentError(f"name: expected a tensor, got {type(tensor).__name__}.")
    obj = tensor.grad_fn if tensor.grad_fn is not None else tensor
    key = id(obj)

    def forget(ref, key=key) -> None:
        if _NAMES.get(key, (None,))[0] is ref:
            del _NAMES[key]

    _NAMES[key] = (weakref.ref(obj, forget), str(label))
    return tensor


def _registered_name(obj) -> str | None:
    entry = _NAMES.get(id(obj))
    if entry is not None and entry[0]() is obj:
        return entry[1]
    return None


# ------------------------------------------------------------------ which module made each op
# Function -> the stack of modules running when it was made: ((path, call, type, settings), ...)
_MODULE_OF: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class record_modules(Tracer):  # noqa: N801 - a context manager used like a function
    """Remember which module of `model` made each op during the forward passes inside.

    A forward pre-hook and a forward hook on every module keep a stack of the modules that
    are running; each op made meanwhile belongs to the innermost one. draw_graph then folds
    each module's ops into one box. `draw_graph(model, x)` does this for you.

    Example:
        >>> import scratchish as sh
        >>> model = sh.nn.Sequential(sh.nn.Linear(3, 4), sh.nn.ReLU(), sh.nn.Linear(4, 1))
        >>> with sh.tools.record_modules(model):
        ...     out = model(sh.randn(2, 3))
        >>> [n.name for n in sh.tools.draw_graph(out, model=model).nodes if n.kind == "module"]
        ['0', '1', '2']
    """

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model
        self.stack: list = []
        self.calls: dict = {}
        self.handles: list = []

    def __enter__(self):
        for path, module in self.model.named_modules():
            if path == "":
                continue  # the model itself is the whole picture, not a box
            self.handles.append(
                module.register_forward_pre_hook(functools.partial(self._enter, path))
            )
            self.handles.append(module.register_forward_hook(functools.partial(self._leave, path)))
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []
        super().__exit__(*exc)

    def _enter(self, path, module, args) -> None:
        self.calls[path] = self.calls.get(path, 0) + 1
        self.stack.append((path, self.calls[path], type(module).__name__, module.extra_repr()))

    def _leave(self, path, module, args, out) -> None:
        if self.stack and self.stack[-1][0] == path:
            self.stack.pop()

    def forward(self, fn, arrays, settings):
        if self.stack:
            _MODULE_OF[fn] = tuple(self.stack)
        return self.run_forward(fn, arrays, settings)


# ------------------------------------------------------------------ the graph behind a tensor
class GraphView:
    """What the autograd graph behind `tensor` holds, in forward order, with a name for each
    node. draw_graph and explain_backward both read the graph through this class.

    Attributes: `order` the Functions, loss first (reverse topological order); `leaves` the
    leaf tensors (forward order); `uses[key]` the (Function, input index) pairs that read a
    node's result (key: the Function, or id(leaf)); `out_tensor[fn]` fn's result when kept.
    """

    def __init__(self, tensor: Tensor, names=None, model=None) -> None:
        if not isinstance(tensor, Tensor):
            raise ArgumentError(f"expected a tensor, got {type(tensor).__name__}.")
        self.tensor, self.model = tensor, model
        root = tensor.grad_fn
        if root is not None and root.parents is None:
            raise BackwardError(
                "this graph was freed by backward(), so it cannot be drawn or explained. "
                "Look at it before calling backward() (draw_graph(loss, backward=True) and "
                "explain_backward(loss) run backward for you), or call "
                "loss.backward(retain_graph=True). " + _FREED.split(". ", 1)[0] + "."
            )
        self.root = root
        self.order = topological_order(root) if root is not None else []
        self.out_tensor: dict = {root: tensor} if root is not None else {}
        self.leaves: dict = {}  # id -> leaf tensor, in forward order
        self.uses: dict = {}
        for fn in reversed(self.order):
            for i, parent in enumerate(fn.parents):
                if parent is None:
                    continue
                if isinstance(parent, Tensor):
                    self.leaves.setdefault(id(parent), parent)
                    key = id(parent)
                else:
                    key = parent
                    if fn.inputs and parent not in self.out_tensor:
                        self.out_tensor[parent] = fn.inputs[i]
                self.uses.setdefault(key, []).append((fn, i))
        if root is None:
            self.leaves[id(tensor)] = tensor
        self.param_names = (
            {id(p): n for n, p in model.named_parameters()} if model is not None else {}
        )
        self.names = self._names(names or {})

    def _names(self, given: dict) -> dict:
        by_id = {}
        self.given = {}  # id(tensor) -> name, also for tensors outside the graph (inputs)
        for label, t in given.items():  # names={"h": h} or names=locals()
            if isinstance(t, Tensor) and not str(label).startswith("_"):
                by_id[id(t.grad_fn if t.grad_fn is not None else t)] = str(label)
                self.given[id(t)] = str(label)
        names: dict = {}
        for k, leaf in enumerate(self.leaves.values(), start=1):
            names[id(leaf)] = (
                by_id.get(id(leaf))
                or _registered_name(leaf)
                or self.param_names.get(id(leaf))
                or (f"t{k}" if leaf is not self.tensor else "x")
            )
        counts: dict = {}
        for fn in reversed(self.order):
            counts[fn.name()] = counts.get(fn.name(), 0) + 1
            label = by_id.get(id(fn)) or _registered_name(fn)
            if label is None and fn is self.root:
                label = "L" if self.tensor.array.size == 1 else "out"
            names[fn] = label or f"{fn.name()}{counts[fn.name()]}"
        return names

    def key(self, parent):
        """The key of a parent node in `names` and `uses`."""
        return id(parent) if isinstance(parent, Tensor) else parent

    def value(self, key):
        """The array of a node's result (a leaf's array, a kept input), or None."""
        if isinstance(key, int):
            return self.leaves[key].array
        t = self.out_tensor.get(key)
        return t.array if isinstance(t, Tensor) else None


def run_backward(view: GraphView, gradient=None) -> tuple:
    """Run backward from the view's tensor, keeping every node's gradients.

    Returns (recorder, leaf_grads): the BackwardRecorder (grad_out and grads per Function) and
    {id(leaf): gradient}. The graph is kept (retain_graph=True). Leaves without a .grad get one
    as loss.backward() would give; leaves that already hold one keep it unchanged, so that
    running this after your own backward does not count the gradient twice.
    """
    before = {}
    for key, leaf in view.leaves.items():
        if leaf.grad is not None:
            before[key] = (leaf.grad, leaf.grad.array.copy())
            leaf.grad = None
    try:
        with BackwardRecorder() as recorder:
            view.tensor.backward(gradient, retain_graph=True)
        leaf_grads = {
            key: None if leaf.grad is None else leaf.grad.array.copy()
            for key, leaf in view.leaves.items()
        }
    finally:
        for key, (grad, array) in before.items():
            np.copyto(grad.array, array)  # the same buffer may have been reused by backward
            view.leaves[key].grad = grad
    return recorder, leaf_grads


# -------------------------------------------------------------------------------- the picture
@dataclass
class Node:
    """One box or oval of the picture.

    kind: "tensor", "op" or "module"; role (tensors): "leaf", "param", "intermediate" or
    "output"; lines: the text shown, title first.
    """

    id: str
    kind: str
    name: str
    lines: list
    shape: tuple | None = None
    role: str = ""
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    module: str | None = None
    members: list = field(default_factory=list)  # a module box: the ids of what it folds


class Graph:
    """A picture of a computation graph: `.nodes`, `.edges` ((source id, target id) pairs).

    Shows itself in Jupyter; `save("g.svg" | "g.png" | "g.html")`; `to_dot()` gives Graphviz
    source. Rendered by Graphviz when `dot` is on the PATH, else by scratchish's own layout.
    """

    def __init__(self, nodes: list, edges: list, title: str = "computation graph") -> None:
        self.nodes, self.edges, self.title = nodes, edges, title

    def __repr__(self) -> str:
        n_ops = sum(n.kind == "op" for n in self.nodes)
        n_modules = sum(n.kind == "module" for n in self.nodes)
        folded = f", {n_modules} module boxes" if n_modules else ""
        return (
            f"<Graph: {len(self.nodes)} nodes ({n_ops} ops{folded}), {len(self.edges)} edges; "
            f"show it in Jupyter or .save('graph.svg')>"
        )

    # --- Graphviz
    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (`dot -Tsvg` draws it)."""
        lines = [
            "digraph G {",
            '  graph [rankdir=TB, fontname="DejaVu Sans Mono"];',
            '  node [fontname="DejaVu Sans Mono", fontsize=11];',
        ]
        for n in self.nodes:
            style = render.STYLES[render.style_of(n.kind, n.role)]
            label = "\\n".join(_dot_escape(line) for line in n.lines)
            shape = {"op": "ellipse", "module": "box3d"}.get(n.kind, "box")
            lines.append(
                f'  {n.id} [label="{label}", shape={shape}, style="filled,rounded", '
                f'fillcolor="{style["fill"]}", color="{style["stroke"]}"];'
            )
        for src, dst in self.edges:
            lines.append(f"  {src} -> {dst};")
        lines.append("}")
        return "\n".join(lines)

    def _dot(self, fmt: str) -> bytes | None:
        """Graphviz's rendering, or None when `dot` is not installed (or fails)."""
        dot = shutil.which("dot")
        if dot is None:
            return None
        try:
            done = subprocess.run(
                [dot, f"-T{fmt}"], input=self.to_dot().encode(), capture_output=True, timeout=60
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 and done.stdout else None

    # --- our own renderer
    def _boxes(self) -> list:
        return [render.Box(n.id, n.lines, render.style_of(n.kind, n.role)) for n in self.nodes]

    def svg(self) -> str:
        """The picture as SVG text (Graphviz's when available, else our own)."""
        drawn = self._dot("svg")
        if drawn is not None:
            return drawn.decode()
        return render.to_svg(self._boxes(), self.edges, title=self.title)

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return f'<div style="max-width:100%;overflow:auto">{self.svg()}</div>'

    def html(self) -> str:
        """A standalone HTML page showing the picture."""
        return (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{render.escape(self.title)}</title></head>\n"
            f"<body style='margin:8px;background:#fff'>\n{self.svg()}\n</body></html>\n"
        )

    def save(self, path) -> Path:
        """Write the picture to `path`: .svg, .html or .png (by its extension).

        PNG comes from Graphviz when `dot` is installed, else from matplotlib drawing our own
        layout; with neither, an UnsupportedError says what to install.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.svg(), encoding="utf-8")
        elif suffix in (".html", ".htm"):
            path.write_text(self.html(), encoding="utf-8")
        elif suffix == ".png":
            drawn = self._dot("png")
            if drawn is not None:
                path.write_bytes(drawn)
            else:
                try:
                    render.to_png(self._boxes(), self.edges, path)
                except ImportError:
                    raise UnsupportedError(
                        "Graph.save: a PNG needs Graphviz (the `dot` program) or matplotlib, "
                        "and neither is installed. Save as .svg or .html instead (no "
                        "dependency), or `pip install matplotlib`."
                    ) from None
        else:
            raise ArgumentError(
                f"Graph.save: cannot tell the format of {path.name!r}; use a name ending in "
                f".svg, .png or .html."
            )
        return path


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def fmt_array(a: np.ndarray | None, limit: int = SHOW_VALUES_UP_TO) -> str:
    """A short text for an array: its values when it has at most `limit` elements, else its
    mean and norm (used by the pictures and the explanation)."""
    if a is None:
        return "?"
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a + 0.0  # -0.0 shows as 0
    if a.size == 1:
        return f"{a.item():.4g}"
    if a.size <= limit:
        return np.array2string(
            a, separator=", ", max_line_width=10_000, formatter={"float_kind": "{:.4g}".format}
        ).replace("\n", "")
    a64 = a.astype(np.float64)
    return f"shape {_shape_text(a.shape)}, mean {a64.mean():.4g}, norm {np.linalg.norm(a64):.4g}"


def _shape_text(shape) -> str:
    return str(tuple(int(n) for n in shape))


def draw_graph(
    tensor,
    *inputs,
    model=None,
    names: dict | None = None,
    group_by_module: bool | int = True,
    show_values="auto",
    backward: bool = False,
) -> Graph:
    """Draw the computation graph that produced `tensor`.

    Args:
        tensor: the result to draw (often the loss); or a Module, then `draw_graph(model, x)`
            runs `model(x)` while recording which module made each op, and draws the output.
        model: the model, for its parameter names ("fc1.weight") and for module boxes.
        names: names for tensors, {"h": h, ...}; `names=locals()` names every variable.
        group_by_module: fold each module's ops into one box (True: the innermost module; a
            number n: modules n levels deep). Needs `model`; the exact grouping needs the
            forward pass to have run under `record_modules(model)` (draw_graph(model, x) does
            this); otherwise ops are grouped by the module whose parameters they read.
        show_values: "auto" shows values and gradients of tensors with at most 8 elements;
            True shows every tensor's (long ones as mean and norm); False none.
        backward: run backward first (keeping the graph) and show every node's gradient.
            Otherwise leaves show their .grad when they have one.

    Returns:
        A Graph: `.nodes`, `.edges`, shown inline in Jupyter, `.save(path)`, `.to_dot()`.

    Example:
        >>> import scratchish as sh
        >>> x = sh.tensor(2.0, requires_grad=True)
        >>> g = sh.tools.draw_graph((x * x + 1).relu(), names={"x": x})
        >>> [n.name for n in g.nodes if n.kind == "op"]
        ['mul', 'add', 'relu']
    """
    if not isinstance(tensor, Tensor) and hasattr(tensor, "named_modules"):
        model = tensor
        with record_modules(model):
            tensor = model(*inputs)
        if isinstance(tensor, (tuple, list)):
            tensor = tensor[0]
    elif inputs:
        raise ArgumentError(
            "draw_graph: extra positional arguments are the model's inputs, so the first "
            "argument must then be a model: draw_graph(model, x)."
        )
    view = GraphView(tensor, names, model)
    node_grads: dict = {}
    if backward and view.root is not None:
        recorder, leaf_grads = run_backward(view)
        node_grads = {fn: recorder.grad_out.get(fn) for fn in view.order}
        node_grads.update(leaf_grads)
    else:
        node_grads = {k: None if t.grad is None else t.grad.array for k, t in view.leaves.items()}
    nodes, edges = _full_graph(view, node_grads, show_values)
    if group_by_module and model is not None:
        nodes, edges = _fold_modules(view, nodes, edges, group_by_module)
    return Graph(nodes, edges)


def _tensor_lines(label: str, value, grad, shape, show_values) -> list:
    lines = [label, _shape_text(shape) if shape is not None else "shape ?"]
    size = int(np.prod(shape)) if shape is not None else 0
    show = show_values is True or (show_values == "auto" and size <= SHOW_VALUES_UP_TO)
    if show and value is not None:
        lines.append("data " + fmt_array(value))
    if show and grad is not None:
        lines.append("grad " + fmt_array(grad))
    return lines


def _full_graph(view: GraphView, node_grads: dict, show_values) -> tuple:
    """Every op, every leaf and every op's result as nodes, in forward order (a leaf just
    before the first op that reads it); edges along the data flow."""
    nodes, edges, node_id = [], [], {}
    leaf_number = {key: i for i, key in enumerate(view.leaves)}

    def add_leaf(key) -> None:
        leaf = view.leaves[key]
        node_id[key] = f"t{leaf_number[key]}"
        role = "param" if key in view.param_names else "leaf"
        grad = node_grads.get(key)
        lines = _tensor_lines(view.names[key], leaf.array, grad, leaf.array.shape, show_values)
        nodes.append(
            Node(
                node_id[key],
                "tensor",
                view.names[key],
                lines,
                tuple(leaf.array.shape),
                role,
                leaf.array,
                grad,
            )
        )

    for j, fn in enumerate(reversed(view.order)):
        for parent in fn.parents:
            if isinstance(parent, Tensor) and id(parent) not in node_id:
                add_leaf(id(parent))
        op_id, out_id = f"op{j}", f"v{j}"
        nodes.append(Node(op_id, "op", fn.name(), [fn.name()]))
        for parent in fn.parents:
            if parent is not None:
                edges.append((node_id[view.key(parent)], op_id))
        node_id[fn] = out_id
        value, grad = view.value(fn), node_grads.get(fn)
        role = "output" if fn is view.root else "intermediate"
        lines = _tensor_lines(view.names[fn], value, grad, fn.out_shape, show_values)
        nodes.append(
            Node(out_id, "tensor", view.names[fn], lines, tuple(fn.out_shape), role, value, grad)
        )
        edges.append((op_id, out_id))
    for key in view.leaves:
        if key not in node_id:  # the tensor drawn is itself a leaf
            add_leaf(key)
    return nodes, edges


def _group_of(view: GraphView, fn, depth) -> tuple | None:
    """The module box an op falls in: (path, call, type name, settings), or None."""
    stack = _MODULE_OF.get(fn)
    if stack is None:  # not recorded: the module whose parameter the op reads, if any
        for parent in fn.parents:
            param = view.param_names.get(id(parent)) if isinstance(parent, Tensor) else None
            if param is not None and "." in param:
                path = param.rsplit(".", 1)[0]
                module = view.model.get_submodule(path)
                stack = ((path, 0, type(module).__name__, module.extra_repr()),)
                break
    if not stack:
        return None
    if depth is True:
        return stack[-1]
    inside = [entry for entry in stack if entry[0].count(".") + 1 <= depth]
    return inside[-1] if inside else None


def _fold_modules(view: GraphView, nodes: list, edges: list, depth) -> tuple:
    """Fold each module call's ops and results (and parameters only it reads) into one box."""
    group_of_node: dict = {}
    for j, fn in enumerate(reversed(view.order)):
        group = _group_of(view, fn, depth)
        if group is not None:
            group_of_node[f"op{j}"] = group_of_node[f"v{j}"] = group
    readers: dict = {}
    for src, dst in edges:
        readers.setdefault(src, set()).add(group_of_node.get(dst))
    for n in nodes:  # a parameter read only inside one box goes into that box
        if n.role == "param" and len(readers.get(n.id, ())) == 1:
            (group,) = readers[n.id]
            if group is not None:
                group_of_node[n.id] = group
    if not group_of_node:
        return nodes, edges
    box_id: dict = {}  # group -> the id of its box
    boxes: dict = {}  # group -> its box Node
    folded_nodes, by_id = [], {n.id: n for n in nodes}
    for n in nodes:
        group = group_of_node.get(n.id)
        if group is None:
            folded_nodes.append(n)
            continue
        if group not in boxes:
            box_id[group] = f"m{len(box_id)}"
            boxes[group] = Node(box_id[group], "module", group[0], [], module=group[0])
            folded_nodes.append(boxes[group])
        boxes[group].members.append(n.id)
    rep = {n.id: box_id.get(group_of_node.get(n.id), n.id) for n in nodes}
    folded_edges, seen = [], set()
    for src, dst in edges:
        edge = (rep[src], rep[dst])
        if edge[0] != edge[1] and edge not in seen:
            seen.add(edge)
            folded_edges.append(edge)
    leaving = {src for src, dst in edges if rep[src] != rep[dst]}
    for group, box in boxes.items():
        path, call, type_name, settings = group
        title = f"{path}: {type_name}" + (f" (call {call})" if call > 1 else "")
        lines = [title]
        if settings:
            lines.append(settings if len(settings) <= 48 else settings[:45] + "...")
        params = [by_id[m] for m in box.members if by_id[m].role == "param"]
        for p in params:
            lines.append(f"{p.name.rsplit('.', 1)[-1]} {_shape_text(p.shape)}")
        outs = [
            by_id[m]
            for m in box.members
            if by_id[m].kind == "tensor" and (m in leaving or by_id[m].role == "output")
        ]
        if outs:
            box.shape = outs[-1].shape
            lines.append("out " + _shape_text(outs[-1].shape))
        box.lines = lines
    return folded_nodes, folded_edges
