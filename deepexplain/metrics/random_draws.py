"""The randomness of the metrics: one integer seeds every sample's draws, so that a sample's
perturbations do not depend on the other samples of the call (``default_rng([seed, sample, ...])``)."""
import numpy as np

from ..validation import aliased, random_generator


def draw_seed(random_state, seed=None):
    """The integer behind a metric's draws from ``random_state`` (or its old name ``seed``):
    an int is used as is, None draws fresh entropy, a ``numpy.random.Generator`` draws the int."""
    random_state = aliased("random_state", random_state, "seed", seed)
    if random_state is None or isinstance(random_state, np.random.Generator):
        return int(random_generator("random_state", random_state).integers(2**63))
    random_generator("random_state", random_state)
    return int(random_state)
