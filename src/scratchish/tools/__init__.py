"""Learning tools: gradcheck (and, next to it, graph drawing and backward explanations).

Read next: gradcheck.py.
"""

from .gradcheck import GradcheckReport, gradcheck

__all__ = ["GradcheckReport", "gradcheck"]
