"""Train a small CNN on the handwritten digits bundled with scikit-learn: three lines.

Run: python examples/01_train_digits.py   (offline, about ten seconds, ~98% accuracy)
"""

import scratchish as sh
from scratchish.learner import image_learner

learn = image_learner(sh.datasets.digits())  # picks a small CNN, cross-entropy, Adam, accuracy
learn.fit_one_cycle(5, 1e-2)  # five passes over the data with the one-cycle schedule
print(f"validation accuracy: {learn.validate()['accuracy']:.1%}")
