"""explain_backward: back-propagation told step by step, with your own numbers.

It runs backward (keeping the graph) while a recorder (trace.py) keeps what each op received
(dL/d its output) and what it sent back (dL/d each input). Then it walks the ops from the loss
to the leaves and, for each, prints the op, its local derivative rule (the op's own
`derivatives` strings, so the story cannot drift from the code) and the numbers.
Read next: ops/elementwise.py, where those rules are written.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from .graph import GraphView, fmt_array, run_backward

_BY_BACKWARD = "defined by its backward()"


@dataclass
class Rule:
    """How one input's gradient was computed: dL/d(input) = rule = numbers = result."""

    input: str  # the input's name
    rule: str  # "dL/dz = dL/dh * (z > 0)"
    numbers: str  # "0.31 * 1" when every value in the rule is a single number, else ""
    result: str  # the gradient computed by the op's backward, as text
    grad: np.ndarray


@dataclass
class Step:
    """One op of the backward pass, visited after every op that used its result."""

    index: int
    op: str  # the op's class name, e.g. "Relu"
    node: str  # the name of the op's result, e.g. "h"
    forward: str  # "h = relu(z)"
    forward_numbers: str  # "relu(1.5) = 1.5" when the values are single numbers, else ""
    formula: str  # the op's own formula, "out = relu(x)"
    grad_out: str  # dL/d(result) as text
    sum_note: str  # how dL/d(result) adds up when the result is used several times
    rules: list = field(default_factory=list)


class Explanation:
    """The narration: `print()` it in a terminal; Jupyter shows it as a table.

    `steps` holds one Step per op (loss first), `leaves` one (name, gradient) pair per leaf,
    `grads` every gradient by name (dL/d each op's result and each leaf).
    """

    def __init__(self, root: str, steps: list, leaves: list, grads: dict) -> None:
        self.root, self.steps, self.leaves, self.grads = root, steps, leaves, grads

    def __str__(self) -> str:
        lines = [
            f"Backward pass of {self.root}, from the loss back to the leaves. Each op turns",
            "dL/d(its output) into dL/d(each input) by the chain rule:",
            "dL/d(input) = dL/d(output) * d(output)/d(input).",
            "",
            f"dL/d{self.root} = 1   (the loss with respect to itself)",
        ]
        for step in self.steps:
            lines.append("")
            lines.append(
                f"[{step.index}] {step.forward}".ljust(44) + f"  {step.op}: {step.formula}"
            )
            if step.forward_numbers:
                lines.append(f"      {step.node} = {step.forward_numbers}")
            if step.sum_note:
                lines.append(f"      {step.sum_note}")
            for rule in step.rules:
                shown = rule.numbers not in ("", rule.result, f"({rule.result})")
                numbers = f" = {rule.numbers}" if shown else ""
                lines.append(f"      {rule.rule}{numbers} = {rule.result}")
        if self.leaves:
            lines.append("")
            lines.append("Leaves (their .grad):")
            for leaf_name, text in self.leaves:
                lines.append(f"  dL/d{leaf_name} = {text}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from .render import escape

        rows = []
        for step in self.steps:
            first = True
            for rule in step.rules or [None]:
                cells = [
                    str(step.index) if first else "",
                    escape(step.forward) if first else "",
                    escape(f"{step.op}: {step.formula}") if first else "",
                    escape(rule.rule) if rule else escape(step.sum_note),
                    escape(rule.numbers) if rule else "",
                    escape(rule.result) if rule else "",
                ]
                rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
                first = False
        leaves = "".join(
            f"<tr><td></td><td>{escape(n)}</td><td>leaf</td><td>dL/d{escape(n)} (.grad)</td>"
            f"<td></td><td>{escape(t)}</td></tr>"
            for n, t in self.leaves
        )
        head = "".join(
            f"<th>{h}</th>" for h in ("#", "forward", "op: formula", "rule", "numbers", "value")
        )
        return (
            f"<p>Backward pass of <b>{escape(self.root)}</b>, loss first: dL/d(input) = "
            f"dL/d(output) &times; d(output)/d(input).</p>"
            f"<table style='font-family:monospace'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}{leaves}</tbody></table>"
        )


def explain_backward(tensor: Tensor, *, names=None, model=None, gradient=None) -> Explanation:
    """Narrate the backward pass from `tensor` (the loss) to the leaves, with the numbers.

    Runs backward (keeping the graph); leaves without a .grad get one, leaves that already have
    one keep it (no double counting). For each op, loss first: the op, its local derivative
    rule taken from the op's `derivatives`, and the values: single numbers are written into
    the rule, tensors of up to 8 elements show their values, larger ones shape, mean and norm.

    Args:
        tensor: the loss (a single number), or any tensor together with `gradient`.
        names: names for tensors, {"h": h}; `names=locals()` uses your variable names.
        model: a Module, so that parameters get their names ("fc1.weight").
        gradient: dL/d(tensor) when `tensor` is not a single number.

    Returns:
        An Explanation: `print()` it, or show it in Jupyter as a table. `.grads` maps each
        name to its gradient.

    Example:
        >>> import scratchish as sh
        >>> z = sh.tensor(1.5, requires_grad=True)
        >>> h = z.relu()
        >>> L = h * 0.31
        >>> print(sh.tools.explain_backward(L, names={"z": z, "h": h}).steps[1].rules[0].rule)
        dL/dz = dL/dh * (z > 0)
    """
    view = GraphView(tensor, names, model)
    if view.root is None:  # the loss is a leaf: nothing to go back through
        grad = np.ones_like(tensor.array) if gradient is None else np.asarray(gradient)
        root_name = view.names[id(tensor)]
        return Explanation(root_name, [], [(root_name, fmt_array(grad))], {root_name: grad})
    recorder, leaf_grads = run_backward(view, gradient)
    grads: dict = {}
    steps = []
    for fn in view.order:
        grad_out = recorder.grad_out.get(fn)
        if grad_out is None:
            continue  # not reached by the gradient
        grads[view.names[fn]] = grad_out
        steps.append(_step(view, recorder, fn, len(steps) + 1))
    leaves = []
    for key in view.leaves:
        grad = leaf_grads.get(key)
        if grad is None:
            continue
        leaf_name = view.names[key]
        grads[leaf_name] = grad
        uses = view.uses.get(key, [])
        text = fmt_array(grad)
        if len(uses) > 1:
            parts = [recorder.grads[fn][i] for fn, i in uses if fn in recorder.grads]
            text = _sum_text(parts, grad)
        leaves.append((leaf_name, text))
    return Explanation(view.names[view.root], steps, leaves, grads)


def _symbols(fn) -> list:
    """The names the op's formula uses for its inputs: forward's parameter names."""
    params = [
        p
        for p in list(inspect.signature(fn.forward).parameters.values())
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    names = [p.name for p in params][: len(fn.parents)]
    names += [f"x{i + 1}" for i in range(len(names), len(fn.parents))]  # forward(self, *xs)
    return names


def _input_value(view: GraphView, fn, i: int):
    parent = fn.parents[i]
    if parent is not None:
        return view.value(view.key(parent))
    if fn.inputs:  # a constant: a number or a tensor that needs no gradient
        x = fn.inputs[i]
        if x is None:
            return None
        return x.array if isinstance(x, Tensor) else np.asarray(x)
    return None


def _step(view: GraphView, recorder, fn, index: int) -> Step:
    out = view.names[fn]
    symbols = _symbols(fn)
    words = {"grad_out": f"dL/d{out}", "out": out}  # the op's symbols -> our names
    values = {"grad_out": recorder.grad_out[fn], "out": view.value(fn)}
    for i, symbol in enumerate(symbols):
        parent = fn.parents[i]
        value = _input_value(view, fn, i)
        if parent is not None:
            words[symbol] = view.names[view.key(parent)]
        elif fn.inputs and id(fn.inputs[i]) in view.given:  # a named tensor without grad
            words[symbol] = view.given[id(fn.inputs[i])]
        else:
            words[symbol] = fmt_array(value) if value is not None and value.size == 1 else "const"
        values[symbol] = value
    if fn.formula:
        forward = _substitute(fn.formula, words)
        formula = fn.formula
    else:
        inputs = ", ".join(words[s] for s in symbols)
        forward = f"{out} = {type(fn).__name__}({inputs})"
        formula = "(no formula given)"
    forward_numbers = ""
    if fn.formula and "=" in fn.formula:
        right = fn.formula.split("=", 1)[1].strip()
        numbers = _numbers(right, values)
        if numbers and values["out"] is not None:
            forward_numbers = f"{numbers} = {fmt_array(values['out'])}"
    step = Step(
        index,
        type(fn).__name__,
        out,
        forward,
        forward_numbers,
        formula,
        fmt_array(values["grad_out"]),
        _sum_note(view, recorder, fn),
    )
    sent = recorder.grads.get(fn, ())
    for i, symbol in enumerate(symbols):
        parent = fn.parents[i]
        grad = sent[i] if i < len(sent) else None
        if parent is None or grad is None:
            continue
        derivative = fn.derivatives[i] if i < len(fn.derivatives) else ""
        target = f"dL/d{words[symbol]}"
        if derivative and derivative != "-":
            rule = f"{target} = {_substitute(derivative, words)}"
            numbers = _numbers(derivative, values)
        else:
            rule, numbers = f"{target} = {_BY_BACKWARD}", ""
        step.rules.append(Rule(words[symbol], rule, numbers, fmt_array(grad), grad))
    return step


def _sum_note(view: GraphView, recorder, fn) -> str:
    """When a result feeds several ops, its gradient is the sum of what each sent back."""
    uses = view.uses.get(fn, [])
    if len(uses) < 2:
        return ""
    parts = [recorder.grads[user][i] for user, i in uses if user in recorder.grads]
    name = view.names[fn]
    total = _sum_text(parts, recorder.grad_out[fn])
    return f"{name} is used {len(uses)} times, so the gradients add up: dL/d{name} = {total}"


def _sum_text(parts: list, total: np.ndarray) -> str:
    parts = [p for p in parts if p is not None]
    if all(np.size(p) == 1 for p in parts):
        terms = [fmt_array(p) for p in parts]
        text = terms[0] + "".join(
            f" - {t[1:]}" if t.startswith("-") else f" + {t}" for t in terms[1:]
        )
        return f"{text} = {fmt_array(total)}"
    return f"the sum of {len(parts)} contributions = {fmt_array(total)}"


def _pattern(words) -> re.Pattern:
    names = sorted(words, key=len, reverse=True)  # grad_out before out
    return re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in names) + r")\b")


def _substitute(text: str, words: dict) -> str:
    """Rename the op's symbols in its formula: 'grad_out * (x > 0)' -> 'dL/dh * (z > 0)'."""
    return _pattern(words).sub(lambda m: words[m.group(1)], text)


_WORD = re.compile(r"[A-Za-z_]\w*\b(?!\()")
_COMPARISON = re.compile(r"\((-?[\d.]+(?:e[-+]?\d+)?) (>|<|>=|<=) (-?[\d.]+(?:e[-+]?\d+)?)\)")


def _numbers(text: str, values: dict) -> str:
    """The rule with numbers in place of symbols, when every symbol it uses is one number."""
    used = set(_pattern(values).findall(text))
    if not used:
        return ""
    for symbol in used:
        value = values.get(symbol)
        if value is None or np.size(value) != 1:
            return ""
    shown = {s: fmt_array(values[s]) for s in used}
    shown = {s: f"({v})" if v.startswith("-") else v for s, v in shown.items()}
    filled = _COMPARISON.sub(_compare, _substitute(text, shown))
    # words left that are not function names ("n", "summed over the batch"): not a sum to show
    return "" if _WORD.search(filled) else filled


def _compare(m: re.Match) -> str:
    a, op, b = float(m.group(1)), m.group(2), float(m.group(3))
    true = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
    return "1" if true else "0"
