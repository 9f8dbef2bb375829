"""LIME benchmark: LimeTabular and LimeImage against their floor and against lime 0.2, side by
side in one run.

The floor is ONE batched forward pass (our compiled predictor) over exactly the rows the method
needs, built beforehand: the 5,000 perturbed rows of LimeTabular, the 1,000 perturbed images of
LimeImage. LimeImage's time includes its segmentation. lime gets the same compiled predictor as
its classifier function (the fastest wrapper it can have); LimeImageExplainer keeps its default
batch_size of 10.

1. LimeTabular, 30-64-32-2 MLP on breast cancer, num_samples=5000 (target <= 3x).
2. LimeImage, small CNN on 32x32 digits, num_samples=1000 (target <= 1.5x).

Run: python bench/bench_lime.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from explainable_workloads import breast_cancer_mlp, digits_cnn
from lime.lime_image import LimeImageExplainer
from lime.lime_tabular import LimeTabularExplainer
from timing import best_time, paired_best_times, result

from deepexplain.explainable import LimeImage, LimeTabular


def report(name, ours_time, floor_time, lime_time, target):
    print(f"    {name} {ours_time * 1e3:.1f} ms   floor {floor_time * 1e3:.1f} ms   "
          f"ratio {ours_time / floor_time:.2f}x (target <= {target}x)")
    print(f"    lime {lime_time * 1e3:.1f} ms   ratio to floor {lime_time / floor_time:.1f}x   "
          f"speed-up over lime {lime_time / ours_time:.1f}x")
    return [result(name, ours_time, floor_time, target), result(f"{name} vs lime", ours_time, lime_time, 1, "lime")]


def lime_tabular():
    model, X, _ = breast_cancer_mlp()
    train, sample = X[:400], X[450]
    explainer = LimeTabular(model, data=train, progress=False)
    _, rows = explainer.sample(sample, 5000, np.random.default_rng(0))
    ours_time, floor_time = paired_best_times(lambda: explainer.explain(sample, num_samples=5000, random_state=0),
                                              lambda: explainer.predictor(rows), repeats=15)
    reference = LimeTabularExplainer(train, random_state=0)
    lime_time = best_time(lambda: reference.explain_instance(sample, explainer.predictor, num_features=10,
                                                             num_samples=5000), repeats=3)
    print("[1] LimeTabular, 30-64-32-2 MLP on breast cancer, num_samples=5000, num_features=10")
    return report("LimeTabular", ours_time, floor_time, lime_time, 3)


def lime_image():
    model, images, _ = digits_cnn()
    image = images[7]
    explainer = LimeImage(model, progress=False)
    rows = np.repeat(image[None], 1000, axis=0)  # any 1,000 images of this shape cost the same
    ours_time, floor_time = paired_best_times(lambda: explainer.explain(image, num_samples=1000, random_state=0),
                                              lambda: explainer.predictor(rows), repeats=10)
    segments = explainer.explain(image, num_samples=1000, random_state=0)["segments"].max() + 1
    reference = LimeImageExplainer(random_state=0)
    lime_time = best_time(lambda: reference.explain_instance(
        np.repeat(image, 3, axis=2).astype(np.float64), lambda batch: explainer.predictor(batch[..., :1]),
        num_samples=1000, ), repeats=2)
    print(f"[2] LimeImage, CNN on 32x32 digits, num_samples=1000, {segments} quickshift superpixels "
          "(segmentation included)")
    return report("LimeImage", ours_time, floor_time, lime_time, 1.5)


def results(quick=False):
    """The rows of this benchmark, for ``python -m bench``."""
    return lime_tabular() + lime_image()


if __name__ == "__main__":
    lime_tabular()
    lime_image()
