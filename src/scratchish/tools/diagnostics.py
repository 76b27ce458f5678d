"""Training diagnostics: watch activations and gradients while a model trains, plot them, and
say in plain words what looks wrong (vanishing or exploding gradients, dead ReLUs, a learning
rate that is too high).

Both are Learner callbacks (methods named after the training events, each taking the learner,
as in learner/callbacks.py), and both work without a Learner: ActivationStats through forward
hooks on the model's layers, GradientFlow by calling `.step(loss)` after each backward().
Read next: learner/callbacks.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError
from ..tensor import Tensor


@dataclass
class Finding:
    """One problem found: its kind, the layer it is in ("" for the whole model), and a
    plain-language explanation with what to try."""

    kind: str  # "vanishing", "exploding", "dead-relu", "saturated", "lr-too-high"
    layer: str
    message: str


class Diagnosis(list):
    """The findings of `.diagnose()`: a list of Finding, printable; empty when all is well."""

    def kinds(self) -> set:
        return {f.kind for f in self}

    def __str__(self) -> str:
        if not self:
            return "No problems found."
        return "\n".join(f"- {f.message}" for f in self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if not self:
            return "<p>No problems found.</p>"
        from .render import escape

        return "<ul>" + "".join(f"<li>{escape(f.message)}</li>" for f in self) + "</ul>"


def _learn_model(learn, model):
    if learn is not None and getattr(learn, "model", None) is not None:
        return learn.model
    if model is None:
        raise ArgumentError(
            "diagnostics: no model to watch. Pass it, ActivationStats(model) or "
            "GradientFlow(model), or add the callback to a Learner."
        )
    return model


# --------------------------------------------------------------------------- activations
class ActivationStats:
    """Mean, std and fraction near zero of each layer's output, recorded during training.

    Each layer (a module without children) gets a forward hook; while the model is in training
    mode every `every`-th forward pass is recorded. Also kept: the fraction of units (features,
    or channels for images) that are zero for every sample of the batch ("dead" after a ReLU),
    and for Sigmoid/Tanh layers the fraction of outputs stuck at their limits (saturated).

    Args:
        model: the model to watch (not needed inside a Learner: it uses learn.model).
        every: record every n-th forward pass.
        near_zero: |activation| at most this counts as near zero.

    Example:
        >>> import scratchish as sh
        >>> model = sh.nn.Sequential(sh.nn.Linear(4, 8), sh.nn.ReLU(), sh.nn.Linear(8, 1))
        >>> with sh.tools.ActivationStats(model) as stats:
        ...     _ = model(sh.randn(16, 4))
        >>> sorted(stats.records)
        ['0', '1', '2']
    """

    order = -5  # before the Recorder, so the hooks are on before the first batch

    def __init__(self, model=None, every: int = 1, near_zero: float = 1e-3) -> None:
        self.model, self.every, self.near_zero = model, every, near_zero
        self.records: dict = {}  # layer name -> list of dicts, one per recorded batch
        self.kinds: dict = {}  # layer name -> module class name
        self.handles: list = []
        self.calls: dict = {}  # layer name -> forward passes seen

    # --- the Learner's events
    def before_fit(self, learn=None) -> None:
        self.attach(_learn_model(learn, self.model))

    def after_fit(self, learn=None) -> None:
        self.remove()

    def cleanup_fit(self, learn=None) -> None:
        # The Learner calls this even when fit stops on an error (NaNGuard raises when the
        # loss becomes nan, and then after_fit never comes): the hooks must come off anyway.
        self.remove()

    # --- without a Learner
    def attach(self, model) -> ActivationStats:
        """Put a forward hook on every layer of `model` (done by before_fit)."""
        self.remove()
        self.model = model
        for name, module in model.named_modules():
            if name and not any(True for _ in module.children()):
                self.kinds[name] = type(module).__name__
                self.handles.append(module.register_forward_hook(self._hook_for(name)))
        return self

    def remove(self) -> None:
        """Take the hooks off (done by after_fit)."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self) -> ActivationStats:
        return self.attach(_learn_model(None, self.model))

    def __exit__(self, *exc) -> None:
        self.remove()

    def _hook_for(self, name: str):
        def hook(module, args, out) -> None:
            if module.training and isinstance(out, Tensor):
                self._record(name, out.array)

        return hook

    def _record(self, name: str, out: np.ndarray) -> None:
        rows = self.records.setdefault(name, [])
        self.calls[name] = self.calls.get(name, 0) + 1
        if (self.calls[name] - 1) % self.every or out.size == 0:
            return
        a = out.astype(np.float64, copy=False)
        finite = bool(np.isfinite(a).all())
        kind = self.kinds.get(name, "")
        saturated = 0.0
        if kind == "Sigmoid":
            saturated = float(np.mean((a < 0.02) | (a > 0.98)))
        elif kind == "Tanh":
            saturated = float(np.mean(np.abs(a) > 0.98))
        rows.append(
            {
                "mean": float(a.mean()) if finite else math.nan,
                "std": float(a.std()) if finite else math.nan,
                "spread": _spread(a) if finite else math.nan,
                "near_zero": float(np.mean(np.abs(a) <= self.near_zero)),
                "dead": _dead_units(a, self.near_zero),
                "saturated": saturated,
                "finite": finite,
            }
        )

    def series(self, name: str, stat: str) -> np.ndarray:
        """One statistic of a layer over the recorded batches: "mean", "std", "spread" (the
        std across the batch, see _spread), "near_zero", "dead" or "saturated"."""
        return np.array([row[stat] for row in self.records.get(name, [])], dtype=np.float64)

    def diagnose(self) -> Diagnosis:
        """Plain-language findings: dead ReLUs, saturated sigmoid/tanh layers, activations
        that blow up or fade away through the layers."""
        found = Diagnosis()
        layers = [n for n in self.records if self.records[n]]
        dead, saturated, exploding = {}, {}, []
        for name in layers:
            kind = self.kinds.get(name, "")
            recent = self.records[name][-max(1, len(self.records[name]) // 3) :]
            share = float(np.mean([r["dead"] for r in recent]))
            if kind in ("ReLU", "ReLU6") and share > 0.5:
                dead[name] = share
            share = float(np.mean([r["saturated"] for r in recent]))
            if kind in ("Sigmoid", "Tanh") and share > 0.5:
                saturated[name] = share
            if not all(r["finite"] for r in recent) or any(r["std"] > 1e4 for r in recent):
                exploding.append(name)
        if dead:
            found.append(
                Finding(
                    "dead-relu",
                    ", ".join(dead),
                    (
                        f"Dead ReLUs: in {_layer_list(dead)} most units output 0 for every sample "
                        f"({_shares(dead)}), so they pass no gradient back and cannot recover. "
                        "Their inputs are all negative: a learning rate too high can push them "
                        "there, or the init or bias starts them there. Try a smaller learning "
                        "rate, kaiming init, or LeakyReLU."
                    ),
                )
            )
        if saturated:
            found.append(
                Finding(
                    "saturated",
                    ", ".join(saturated),
                    (
                        f"Saturated activations: in {_layer_list(saturated)} most outputs sit at "
                        f"the flat ends of the sigmoid/tanh curve ({_shares(saturated)}), where "
                        "the derivative is almost 0, so little gradient gets through. The inputs "
                        "to these layers are too large: use xavier init or normalise the inputs."
                    ),
                )
            )
        if exploding:
            found.append(
                Finding(
                    "exploding",
                    ", ".join(exploding),
                    (
                        f"Exploding activations: {_layer_list(exploding)} output huge or "
                        "non-finite values (nan/inf). The weights have grown out of range, most "
                        "often from a learning rate that is too high."
                    ),
                )
            )
        # The signal is how outputs differ from one sample to the next ("spread"); the plain
        # std also counts differences between units (their biases), which carry no signal.
        # Dead ReLUs or a blow-up fade the signal too: then that finding is the explanation.
        spreads = [float(np.median(self.series(n, "spread"))) for n in layers]
        if len(spreads) >= 2 and spreads[0] > 0 and all(np.isfinite(spreads)) and not found:
            if spreads[-1] / spreads[0] < 1e-3:
                found.append(
                    Finding(
                        "vanishing",
                        layers[-1],
                        (
                            "Vanishing activations: how much the outputs differ from one sample "
                            f"to the next (their std across the batch) falls from "
                            f"{spreads[0]:.3g} in layer '{layers[0]}' to {spreads[-1]:.3g} in "
                            f"layer '{layers[-1]}'. The signal fades through the layers; a "
                            "better init (kaiming for ReLU, xavier for tanh/sigmoid) keeps it "
                            "steady."
                        ),
                    )
                )
        return found

    def plot(self, figsize=(12, 3.5)):
        """A matplotlib figure: mean, std and fraction near zero of each layer over time."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        axes = fig.subplots(1, 3)
        for name in self.records:
            for ax, stat in zip(axes, ("mean", "std", "near_zero")):
                ax.plot(self.series(name, stat), label=f"{name} ({self.kinds.get(name, '')})")
        for ax, title in zip(axes, ("mean", "std", "fraction near zero")):
            ax.set_title(title)
            ax.set_xlabel("recorded batch")
        axes[2].set_ylim(-0.02, 1.02)
        axes[0].legend(fontsize="small")
        fig.tight_layout()
        return fig


def _layer_list(names) -> str:
    names = [f"'{n}'" for n in names]
    return f"layer {names[0]}" if len(names) == 1 else "layers " + ", ".join(names)


def _shares(shares: dict) -> str:
    return ", ".join(f"{v:.0%}" for v in shares.values())


def _spread(a: np.ndarray) -> float:
    """How much a layer's outputs differ between the samples of a batch: each output's std
    across the batch (axis 0), averaged over the outputs. 0 for a batch of one sample."""
    if a.ndim < 2 or a.shape[0] < 2:
        return 0.0
    return float(a.std(axis=0).mean())


def _dead_units(a: np.ndarray, eps: float) -> float:
    """The fraction of units (last axis for (N, F) outputs, axis 1 for images) that are
    near zero for every sample of the batch."""
    if a.ndim < 2:
        return float(np.all(np.abs(a) <= eps))
    axis = 1 if a.ndim > 2 else a.ndim - 1
    per_unit = np.moveaxis(np.abs(a) <= eps, axis, 0).reshape(a.shape[axis], -1)
    return float(np.mean(per_unit.all(axis=1)))


# ----------------------------------------------------------------------------- gradients
class GradientFlow:
    """Per-layer gradient norms (and how much each step changes the weights) over training.

    A layer is a module that holds parameters. Two gradients are kept per layer and step:
    the norm of its parameters' gradients (`grad_norms`, what the optimizer uses), and the
    size of dL/d(layer output) per element (`output_grads`, through a forward hook), which
    shows how much gradient reaches each depth: it shrinks layer after layer when gradients
    vanish. Also kept: the loss, and the update ratio |w_new - w_old| / |w_old| between two
    recorded steps (about 1e-3 is healthy; 1e-1 or more means steps far too big).

    In a Learner it records at `after_loss` (the loss) and `after_backward` (the gradients).
    Without one, create it before the forward pass and call `flow.step(loss)` after each
    backward(), before the optimizer step; `flow.remove()` takes its hooks off.

    Args:
        model: the model (not needed inside a Learner). Given here, watching starts now.
        every: record every n-th step.

    Example:
        >>> import scratchish as sh
        >>> model = sh.nn.Sequential(sh.nn.Linear(4, 8), sh.nn.ReLU(), sh.nn.Linear(8, 1))
        >>> flow = sh.tools.GradientFlow(model)
        >>> loss = model(sh.randn(16, 4)).pow(2).mean()
        >>> loss.backward()
        >>> flow.step(loss)
        >>> flow.layers
        ['0', '2']
    """

    order = -5

    def __init__(self, model=None, every: int = 1) -> None:
        self.model, self.every = None, every
        self.layers: list = []
        self.grad_norms: list = []  # one array per recorded step: the norm per layer
        self.output_grads: list = []  # one array per step: RMS of dL/d(layer output)
        self.update_ratios: list = []  # one array per step after the first
        self.losses: list = []
        self.n_steps = 0
        self.handles: list = []
        self._pending: dict = {}  # layer -> [sum of squares, count] of dL/d(output) this step
        self._previous = None  # the weights at the last recorded step
        if model is not None:
            self.attach(model)

    # --- the Learner's events
    def before_fit(self, learn=None) -> None:
        self.attach(_learn_model(learn, self.model))

    def after_loss(self, learn=None) -> None:
        if learn is not None and getattr(learn, "training", True):
            self.losses.append(float(learn.loss.item()))

    def after_backward(self, learn=None) -> None:
        self._record_grads()

    def after_fit(self, learn=None) -> None:
        self.remove()

    def cleanup_fit(self, learn=None) -> None:
        self.remove()  # also after an error in fit (see ActivationStats.cleanup_fit)

    # --- without a Learner
    def attach(self, model) -> GradientFlow:
        """Watch `model`: a forward hook on each layer keeps dL/d(its output)."""
        self.remove()
        self.model = model
        for name, module in model.named_modules():
            if name and any(True for _ in module.parameters(recurse=False)):
                self.handles.append(module.register_forward_hook(self._hook_for(name)))
        return self

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self) -> GradientFlow:
        return self if self.handles else self.attach(_learn_model(None, self.model))

    def __exit__(self, *exc) -> None:
        self.remove()

    def _hook_for(self, name: str):
        def keep(grad) -> None:
            g = grad.array.astype(np.float64)
            total = self._pending.setdefault(name, [0.0, 0])
            total[0] += float(np.sum(g * g))
            total[1] += g.size

        def hook(module, args, out) -> None:
            if isinstance(out, Tensor) and out.requires_grad:
                out.register_hook(keep)

        return hook

    def step(self, loss=None) -> None:
        """Record this step: the loss (a tensor or a number) and every layer's gradients.
        Call it after loss.backward() and before optimizer.step()."""
        if loss is not None:
            self.losses.append(float(loss.item() if isinstance(loss, Tensor) else loss))
        self._record_grads()

    def _layer_params(self) -> dict:
        model = _learn_model(None, self.model)
        groups: dict = {}
        for name, p in model.named_parameters():
            layer = name.rsplit(".", 1)[0] if "." in name else "(model)"
            groups.setdefault(layer, []).append(p)
        return groups

    def _record_grads(self) -> None:
        self.n_steps += 1
        pending, self._pending = self._pending, {}
        if (self.n_steps - 1) % self.every:
            return
        groups = self._layer_params()
        self.layers = list(groups)
        norms = []
        for params in groups.values():
            squares = sum(
                float(np.sum(p.grad.array.astype(np.float64) ** 2))
                for p in params
                if p.grad is not None
            )
            norms.append(math.sqrt(squares))
        self.grad_norms.append(np.array(norms))
        self.output_grads.append(
            np.array(
                [
                    math.sqrt(pending[n][0] / pending[n][1]) if n in pending else math.nan
                    for n in self.layers
                ]
            )
        )
        weights = [
            np.concatenate([p.array.ravel() for p in ps]).astype(np.float64)
            for ps in groups.values()
        ]
        if self._previous is not None and len(self._previous) == len(weights):
            # the change relative to the weights; nan (unmeasured) for all-zero weights, such
            # as a layer initialised to zero, whose first step would otherwise look infinite
            with np.errstate(all="ignore"):
                self.update_ratios.append(
                    np.array(
                        [
                            np.linalg.norm(w - w0) / np.linalg.norm(w0)
                            if np.linalg.norm(w0) > 0
                            else math.nan
                            for w, w0 in zip(weights, self._previous)
                        ]
                    )
                )
        self._previous = weights

    def diagnose(self) -> Diagnosis:
        """Plain-language findings: vanishing or exploding gradients, a learning rate that
        is too high."""
        found = Diagnosis()
        if not self.grad_norms:
            return found
        norms = np.array(self.grad_norms)  # (steps, layers)
        losses = np.array(self.losses, dtype=np.float64)
        bad_loss = np.flatnonzero(~np.isfinite(losses))
        bad_grad = np.flatnonzero(~np.isfinite(norms).all(axis=1))
        if len(bad_loss) or len(bad_grad):
            what = "the loss" if len(bad_loss) else "the gradients"
            first = (bad_loss if len(bad_loss) else bad_grad)[0] + 1
            found.append(
                Finding(
                    "exploding",
                    "",
                    (
                        f"Exploding: {what} became nan or inf at step {first}. The weights are "
                        f"garbage from there on."
                    ),
                )
            )
            found.append(_lr_too_high("the training blew up"))
            return found
        # A learning rate far too high shows in a few steps, and the run may then look calm:
        # the ReLUs die, the gradients become 0, the loss settles high. So look at the worst
        # moment (the peak gradient norm, the biggest step, the highest loss), not only at
        # how training ended.
        totals = norms.sum(axis=1)
        peak = int(totals.argmax())
        growth = totals[peak] / max(totals[0], 1e-30)
        ratios = np.array(self.update_ratios) if self.update_ratios else np.zeros((0, 0))
        typical_step, biggest_step = _typical_and_biggest(ratios)
        n = max(len(losses) // 4, 1)
        rising = len(losses) >= 8 and losses[-n:].mean() > 1.5 * losses[:n].mean()
        jump = int(losses.argmax()) if len(losses) else 0
        spike = len(losses) >= 2 and losses[0] > 0 and losses[jump] > 10 * losses[0]
        if growth > 1e3:
            found.append(
                Finding(
                    "exploding",
                    "",
                    (
                        f"Exploding gradients: the gradient norm grew {growth:.3g}-fold during "
                        f"training (by step {peak + 1}). Lower the learning rate, clip gradients "
                        f"(nn.utils.clip_grad_norm_), or use normalisation."
                    ),
                )
            )
        why = None
        if spike:
            why = f"the loss jumped from {losses[0]:.3g} to {losses[jump]:.3g} at step {jump + 1}"
        elif rising:
            why = f"the loss rose from {losses[:n].mean():.3g} to {losses[-n:].mean():.3g}"
        elif biggest_step.max(initial=0.0) > 1.0:  # a step bigger than the weights themselves
            k = int(biggest_step.argmax())
            why = f"one step changed the weights of layer '{self.layers[k]}' by "
            why += f"{biggest_step[k]:.0%}"
        elif typical_step.max(initial=0.0) > 0.1:  # about 1e-3 per step is healthy
            k = int(typical_step.argmax())
            why = f"each step changes the weights of layer '{self.layers[k]}' by "
            why += f"{typical_step[k]:.0%}"
        if why is not None:
            found.append(_lr_too_high(why))
        found.extend(self._depth_findings())
        return found

    def _depth_findings(self) -> list:
        """Vanishing or exploding with depth: dL/d(output) of each layer against the last's."""
        flow = np.array(self.output_grads)
        measured = [k for k in range(flow.shape[1]) if np.isfinite(flow[:, k]).any()]
        if len(measured) < 2:
            return []
        typical = {k: float(np.nanmedian(flow[:, k])) for k in measured}
        last_k = measured[-1]
        last, last_name = typical[last_k], self.layers[last_k]
        found = []
        for k in measured[:-1]:
            layer, size = self.layers[k], typical[k]
            if last > 0 and size == 0:
                found.append(
                    Finding(
                        "vanishing",
                        layer,
                        (
                            f"No gradient: layer '{layer}' receives exactly zero gradient, so it "
                            "never learns. Something after it blocks the flow, typically dead "
                            "ReLUs (see ActivationStats) or a detach()."
                        ),
                    )
                )
            elif last > 0 and size / last < 1e-3:
                found.append(
                    Finding(
                        "vanishing",
                        layer,
                        (
                            f"Vanishing gradients: the gradient reaching layer '{layer}' is "
                            f"{last / size:.3g} times smaller than at the last layer "
                            f"'{last_name}', so the early layers barely learn. Saturating "
                            "activations (sigmoid, tanh) or a bad init shrink the gradient at "
                            "each layer: try ReLU with kaiming init, or normalisation."
                        ),
                    )
                )
            elif last > 0 and size / last > 1e3:
                found.append(
                    Finding(
                        "exploding",
                        layer,
                        (
                            f"Exploding gradients: the gradient reaching layer '{layer}' is "
                            f"{size / last:.3g} times larger than at the last layer '{last_name}': "
                            "it grows at each layer going back. Use a smaller init or "
                            "normalisation."
                        ),
                    )
                )
        return found[:1] if found and found[0].kind == "vanishing" else found

    def plot(self, figsize=(11, 3.8)):
        """A matplotlib figure: the typical gradient size per layer (bars, the classic
        gradient-flow plot) and each layer's gradient norm over the steps."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        left, right = fig.subplots(1, 2)
        flow = np.array(self.output_grads) if self.output_grads else np.zeros((0, 0))
        if len(flow):
            left.bar(range(len(self.layers)), np.nanmedian(flow, axis=0), color="#3b6db3")
            left.set_yscale("log")
            norms = np.array(self.grad_norms)
            for k, layer in enumerate(self.layers):
                right.plot(norms[:, k], label=layer)
            right.set_yscale("log")
            right.legend(fontsize="small")
        left.set_xticks(range(len(self.layers)), self.layers, rotation=45, ha="right")
        left.set_title("dL/d(layer output), per element (input -> output)")
        right.set_title("gradient norm per layer")
        right.set_xlabel("recorded step")
        fig.tight_layout()
        return fig


def _typical_and_biggest(ratios: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The median and the largest update ratio of each layer (columns) over the steps (rows),
    ignoring the unmeasured (nan) ones; 0 for a layer never measured."""
    if ratios.size == 0:
        return np.zeros(0), np.zeros(0)
    seen = np.isfinite(ratios).any(axis=0)
    ratios = np.where(seen, ratios, 0.0)  # a layer never measured: 0, and no NumPy warning
    return np.nanmedian(ratios, axis=0), np.nanmax(ratios, axis=0)


def _lr_too_high(why: str) -> Finding:
    return Finding(
        "lr-too-high",
        "",
        (
            f"Learning rate too high: {why}. Divide the learning rate by 10 (or use the LR "
            f"finder) and train again."
        ),
    )
