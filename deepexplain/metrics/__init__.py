"""Attribution quality metrics, usable from Python and by ``deepexplain evaluate``.

Every metric streams its perturbed copies through one compiled model function
(:class:`~deepexplain.metrics.scores.TargetScores`) in batches bounded by ``batch_size``.
"""
from .completeness import completeness
from .deletion import deletion, insertion
from .infidelity import infidelity, max_sensitivity
from .plots import plot_deletion_insertion, plot_metrics, plot_sensitivity_n
from .scores import TargetScores
from .sensitivity import sensitivity_n

__all__ = ["TargetScores", "completeness", "deletion", "infidelity", "insertion", "max_sensitivity",
           "plot_deletion_insertion", "plot_metrics", "plot_sensitivity_n", "sensitivity_n"]
