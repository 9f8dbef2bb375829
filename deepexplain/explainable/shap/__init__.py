"""The SHAP family: KernelShap (any model) and TreeShap (tree ensembles), their background summaries,
coalition sampling, tree readers and plots."""
from .background import Background, summarize
from .kernel_shap import KernelShap
from .tree_shap import TreeShap

__all__ = ["Background", "KernelShap", "TreeShap", "summarize"]
