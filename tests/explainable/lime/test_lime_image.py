"""LimeImage: superpixel weights of linear image models, hiding, segmentation defaults, seeds, errors."""
import matplotlib
import numpy as np
import pytest
from fixed_models import kinds
from skimage.transform import resize
from sklearn.datasets import load_digits

from deepexplain.explainable import LimeImage
from deepexplain.explainable.lime.lime_image import segment

RNG = np.random.default_rng(0)


def blocks(image):
    """A 4 × 4 grid of square superpixels."""
    rows, columns = np.indices(image.shape[:2])
    return (rows * 4 // image.shape[0]) * 4 + columns * 4 // image.shape[1]


def weighted_sum_model(kind, weight_map):
    """A regressor: Σ pixel · weight_map over the image."""
    shape = weight_map.shape
    if kind == "sklearn":
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        regression = LinearRegression()
        regression.coef_, regression.intercept_ = weight_map.ravel(), 0.0
        return make_pipeline(FunctionTransformer(lambda x: np.reshape(x, (len(x), -1))), regression)
    keras = __import__("keras" if kind == "keras3" else "tf_keras")
    model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)])
    model.layers[-1].set_weights([weight_map.reshape(-1, 1).astype(np.float32)])
    return model


@kinds
@pytest.mark.parametrize("channels", [None, 3])
def test_a_linear_model_gets_each_superpixels_contribution(kind, channels):
    shape = (16, 16) if channels is None else (16, 16, channels)
    image = RNG.random(shape).astype(np.float32)
    weight_map = RNG.normal(size=shape)
    explainer = LimeImage(weighted_sum_model(kind, weight_map), segmentation=blocks, hide_color=0, progress=False)
    explanation = explainer.explain(image, num_features=16, num_samples=1000, random_state=0)
    segments = explanation["segments"]
    contribution = np.array([(image * weight_map)[segments == s].sum() for s in range(16)])
    # the ridge penalty (α = 1 against ~250 weighted samples per switch) shrinks weights by ~1 %
    np.testing.assert_allclose(explanation["weights"], contribution, rtol=3e-2, atol=1e-2 * np.abs(contribution).max())
    assert explanation["score"] > 0.999
    np.testing.assert_array_equal(explanation["mask"], np.sign(contribution)[segments])
    np.testing.assert_allclose(explanation["prediction"], [contribution.sum()], rtol=1e-4)


def test_switched_off_superpixels_take_their_mean_colour_and_the_mask_keeps_the_top_ones():
    image = RNG.random((8, 8, 3)).astype(np.float32)
    seen = []

    def model(images):
        seen.append(np.array(images))
        return np.array([[img[..., 0].sum()] for img in images])

    explanation = LimeImage(model, segmentation=blocks, progress=False).explain(
        image, num_features=3, num_samples=200, random_state=0)
    images = np.concatenate(seen)
    np.testing.assert_array_equal(images[0], image)
    segments = explanation["segments"]
    for s in range(16):
        inside = segments == s
        mean = image[inside].mean(axis=0)
        for img in images[1:20]:
            kept = np.array_equal(img[inside], image[inside])
            assert kept or np.allclose(img[inside], mean)
    assert np.count_nonzero(explanation["weights"]) == 3
    assert len(np.unique(segments[explanation["mask"] != 0])) == 3


@pytest.mark.parametrize("method", ["quickshift", "slic"])
def test_default_segmentations_give_a_useful_number_of_superpixels_on_small_digits(method):
    digits = load_digits().images[:6] / 16
    for digit in digits:
        small = resize(digit, (32, 32), order=1)
        for image in (small, small[..., None], np.repeat(small[..., None], 3, axis=2)):
            count = segment(image, method).max() + 1
            assert 10 <= count <= 100, (method, image.shape, count)


def test_the_same_random_state_repeats_exactly():
    image = RNG.random((16, 16)).astype(np.float32)
    explainer = LimeImage(weighted_sum_model("sklearn", RNG.normal(size=(16, 16))), progress=False)
    first, again = (explainer.explain(image, num_samples=200, random_state=5) for _ in range(2))
    np.testing.assert_array_equal(first["weights"], again["weights"])
    np.testing.assert_array_equal(first["segments"], again["segments"])


def test_plot_overlays_the_mask():
    image = RNG.random((16, 16, 3)).astype(np.float32)
    explainer = LimeImage(weighted_sum_model("sklearn", RNG.normal(size=(16, 16, 3))), class_names=["score"],
                          segmentation="slic", progress=False)
    explanation = explainer.explain(image, num_features=4, num_samples=200, random_state=0)
    figure = explainer.plot_explanation(explanation, image)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 2


@pytest.mark.parametrize("arguments, message", [
    (dict(segmentation="felzenszwalb"), "segmentation"),
    (dict(segmentation_params=[1]), "segmentation_params"),
    (dict(kernel_width=0), "kernel_width"),
    (dict(feature_selection="lasso"), "feature_selection"),
])
def test_bad_constructor_arguments_are_named(arguments, message):
    with pytest.raises((ValueError, TypeError), match=message):
        LimeImage(weighted_sum_model("sklearn", np.ones((4, 4))), **arguments)


@pytest.mark.parametrize("arguments, message", [
    (dict(image=np.zeros(16)), "image"),
    (dict(image=[["a"]]), "image"),
    (dict(num_samples=1), "num_samples"),
    (dict(num_features=-1), "num_features"),
    (dict(random_state="seed"), "random_state"),
])
def test_bad_explain_arguments_are_named(arguments, message):
    arguments.setdefault("image", np.ones((16, 16)))
    with pytest.raises((ValueError, TypeError), match=message):
        LimeImage(weighted_sum_model("sklearn", np.ones((16, 16))), progress=False).explain(**arguments)


def test_a_segmentation_function_of_the_wrong_shape_is_named():
    with pytest.raises(ValueError, match="segmentation"):
        LimeImage(weighted_sum_model("sklearn", np.ones((16, 16))), segmentation=lambda image: np.zeros(3),
                  progress=False).explain(np.ones((16, 16)))


@pytest.mark.session
def test_session_style_tf_keras_model_gets_each_superpixels_contribution():
    import tensorflow as tf

    image = RNG.random((16, 16, 3)).astype(np.float32)
    weight_map = RNG.normal(size=image.shape)
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.Session(graph=graph) as session:
        explainer = LimeImage(weighted_sum_model("tf_keras", weight_map), segmentation=blocks, hide_color=0,
                              progress=False, session=session)
        explanation = explainer.explain(image, num_features=16, num_samples=1000, random_state=0)
    reference = LimeImage(weighted_sum_model("sklearn", weight_map), segmentation=blocks, hide_color=0,
                          progress=False).explain(image, num_features=16, num_samples=1000, random_state=0)
    np.testing.assert_allclose(explanation["weights"], reference["weights"], rtol=1e-4, atol=1e-5)
