"""CXPlain speed on 1,000 digit images and a small CNN, ratios measured in one run.

1. Masked predictions (8x8x1): CXPlain's batched, compiled removal + model call
   against one ``model.predict`` call per feature (64 calls of 1,000 masked images).
2. Explaining after fitting: ``CXPlain.explain`` (one forward pass of the explanation
   model, MLP or U-Net) against deepexplain's occlusion with a 1-pixel window on the
   same CNN (pixels + 1 forward passes per image). On the native 8x8 digits occlusion
   needs only 65 passes of a tiny CNN, which bounds what any explanation model can
   gain; the digits resized to 28x28 (785 passes) show the usual image case.

Run: python bench/bench_cxplain.py
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from skimage.transform import resize  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from timing import best_time  # noqa: E402

import deepexplain  # noqa: E402
from cxplain import CXPlain, MLPModelBuilder, UNetModelBuilder, ZeroMasking  # noqa: E402


def digits(size):
    """1,000 digit images of ``size`` x ``size`` x 1 in [0, 1], and their labels."""
    data = load_digits()
    X = (data.images[:1000] / 16.0).astype(np.float32)
    if size != 8:
        X = resize(X, (len(X), size, size), order=1, anti_aliasing=False).astype(np.float32)
    return X[..., None], data.target[:1000]


def small_cnn(X, y):
    """Two 3x3 convolutions and a softmax layer; the first strides by 2 on images larger than 8x8."""
    keras.utils.set_random_seed(0)
    stride = 1 if X.shape[1] <= 8 else 2
    cnn = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.Conv2D(32, 3, strides=stride, activation="relu"),
                            keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.Flatten(),
                            keras.layers.Dense(10, activation="softmax")])
    cnn.compile("adam", "sparse_categorical_crossentropy")
    cnn.fit(X, y, epochs=5, verbose=0)
    return cnn


def masked_predictions_vs_loop(explainer, X, cnn):
    def per_feature():
        flat = X.reshape(len(X), -1)
        outputs = []
        for feature in range(flat.shape[1]):
            masked = flat.copy()
            masked[:, feature] = 0
            outputs.append(cnn.predict(masked.reshape(X.shape), verbose=0, batch_size=1000))
        return np.stack(outputs, axis=1)

    np.testing.assert_allclose(explainer.masked_predictions(X)[1], per_feature(), atol=1e-5)
    batched = best_time(lambda: explainer.masked_predictions(X))
    looped = best_time(per_feature)
    print(f"masked predictions, 1000 images x 64 pixels: batched {batched:.3f} s, "
          f"one model call per feature {looped:.3f} s, speed-up {looped / batched:.1f}x (target >= 10x)")


def explain_vs_occlusion(size):
    X, y = digits(size)
    cnn = small_cnn(X, y)
    explainer = CXPlain(cnn, MLPModelBuilder(num_epochs=10), ZeroMasking(), "categorical_crossentropy", progress=False)
    if size == 8:
        masked_predictions_vs_loop(explainer, X, cnn)
    occlusion = best_time(lambda: deepexplain.explain("occlusion", cnn, X, window_shape=(1, 1, 1), progress=False,
                                                    logits=False), repeats=1)
    masked_data = explainer.masked_predictions(X)
    for builder in (MLPModelBuilder(num_epochs=10), UNetModelBuilder(num_epochs=10)):
        explainer.model_builder = builder
        explainer.fit(X, y, masked_data=masked_data)
        start = time.perf_counter()
        explainer.explain(X)
        first = time.perf_counter() - start
        explain = best_time(lambda: explainer.explain(X))
        print(f"explain 1000 {size}x{size} images with {type(builder).__name__}: CXPlain {explain:.4f} s "
              f"(first call, compiling: {first:.3f} s), occlusion window 1 {occlusion:.3f} s, "
              f"speed-up {occlusion / explain:.0f}x (first call {occlusion / first:.1f}x; target >= 50x)")


def main():
    for size in (8, 28):
        explain_vs_occlusion(size)


if __name__ == "__main__":
    main()
