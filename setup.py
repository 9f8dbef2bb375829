from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="deepexplain",
    version="1.0.0",
    description="Attribution methods (DeepExplain), contrastive explanations (CEM) and causal "
    "explanation models (CXPlain) for TensorFlow 2 and Keras 3, in session and eager code.",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["deepexplain", "deepexplain.*", "cem", "cem.*", "cxplain", "cxplain.*"]),
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3",
        "tf-keras>=2.16",
        "numpy>=2",
        "scikit-image>=0.22",
        "h5py>=3",
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "scikit-learn>=1.3",
        "click>=8.1",
        "shap>=0.45",
    ],
    extras_require={
        "dask": ["dask[distributed]>=2024.1"],
        "examples": [],
        "bench": ["lime>=0.2", "dask[distributed]>=2024.1"],
        "trees": ["xgboost>=2", "lightgbm>=4", "catboost>=1.2", "pandas>=2"],
        "docs": ["mkdocs>=1.5", "mkdocs-material>=9", "mkdocstrings[python]>=0.24"],
        "test": ["pytest>=7", "dask[distributed]>=2024.1", "pandas>=2", "ruff>=0.5"],
    },
    entry_points={"console_scripts": ["deepexplain=deepexplain.cli:main"]},
)
