"""Synthetic data where known features drive the label."""
import numpy as np


def oracle_data(n=600, features=6, informative=2, seed=0):
    """Gaussian features; the label is the sign of feature ``informative`` only."""
    X = np.random.default_rng(seed).normal(size=(n, features)).astype(np.float32)
    return X, (X[:, informative] > 0).astype(int)
