"""Learning tools: gradcheck, graph pictures, backward explanations, an op tracer, training
diagnostics and calm error messages.

Read next: gradcheck.py, then graph.py and explain.py.
"""

from . import ipython
from .diagnostics import ActivationStats, Diagnosis, Finding, GradientFlow
from .explain import Explanation, explain_backward
from .gradcheck import GradcheckReport, gradcheck
from .graph import Graph, draw_graph, name, record_modules
from .trace import trace

__all__ = [
    "ActivationStats",
    "Diagnosis",
    "Explanation",
    "Finding",
    "GradcheckReport",
    "Graph",
    "GradientFlow",
    "draw_graph",
    "explain_backward",
    "gradcheck",
    "ipython",
    "name",
    "record_modules",
    "trace",
]
