"""The explainability toolbox: the classes of the explainable-ai-docs seed, built on the
deepexplain runtime (one compiled, batched model evaluation for every method)."""
