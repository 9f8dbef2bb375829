"""AttributionCallback: maps of a probe set during Keras 3 and tf_keras training, in an HDF5
file, TensorBoard images and scalars; compiled once; resumable; bad parameters named."""
import glob
import io

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import deepexplain
from deepexplain import metrics
from deepexplain.batch import OutputConflict
from deepexplain.keras import AttributionCallback
from deepexplain.keras.images import grid, two_d

RNG = np.random.default_rng(0)
X = RNG.random((32, 6), dtype=np.float32)
Y = (X[:, 0] + X[:, 1] > 1).astype(np.int64) + (X[:, 2] > 0.5)
PROBES = X[:5]
ONE_HOT = np.eye(3, dtype=np.float32)[Y[:5]]
TOKEN_IDS = RNG.integers(0, 9, (24, 4))
TOKEN_LABELS = (TOKEN_IDS.sum(axis=1) > 16).astype(np.int64)


def keras3_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    return model


def tf_keras_model():
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([tf_keras.layers.Dense(4, activation="relu", input_shape=(6,)),
                                 tf_keras.layers.Dense(3, activation="softmax")])
    model.compile(tf_keras.optimizers.legacy.Adam(0.05), "sparse_categorical_crossentropy")
    return model


def events(log_dir):
    """``{tag: {step: value}}``: scalars as floats, images as decoded arrays."""
    found = {}
    for path in sorted(glob.glob(f"{log_dir}/events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("image"):
                    image = np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))
                    found.setdefault(value.tag, {})[event.step] = image
                else:
                    found.setdefault(value.tag, {})[event.step] = value.simple_value
    return found


def fit(model, callback, epochs=2):
    model.fit(X, Y, epochs=epochs, batch_size=16, verbose=0, callbacks=[callback])


def test_keras3_file_events_and_metrics_equal_the_final_weights(tmp_path):
    model = keras3_model()
    callback = AttributionCallback("grad*input", PROBES, ONE_HOT, log_dir=tmp_path / "logs", out=tmp_path / "a.h5",
                                   metrics=("completeness", "deletion"))
    fit(model, callback)
    expected = deepexplain.explain("grad*input", model, PROBES, ONE_HOT)
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epochs"][()].tolist() == [0, 1]
        maps = f["attributions/grad*input"][()]
        errors = f["metrics/completeness/error"][()]
        auc = f["metrics/deletion/auc"][()]
        limit = f.attrs["colour_limit"]
        np.testing.assert_array_equal(f["xs"][()], PROBES)
    assert maps.shape == (2, 5, 6)
    np.testing.assert_allclose(maps[-1], expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(maps[0], maps[1])  # the weights changed in between, and so did the maps
    targets = Y[:5]
    np.testing.assert_allclose(errors[-1], metrics.completeness(model, PROBES, expected, targets), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(auc[-1], metrics.deletion(model, PROBES, expected, targets)["auc"], rtol=1e-5, atol=1e-6)
    logged = events(tmp_path / "logs")
    images = [tag for tag, steps in logged.items() if isinstance(next(iter(steps.values())), np.ndarray)]
    assert images == ["attributions/grad*input"]
    assert sorted(logged) == sorted(["attributions/grad*input", "attributions/grad*input/mean_abs",
                                     "attributions/grad*input/completeness_error",
                                     "attributions/grad*input/deletion_auc"])
    assert sorted(logged["attributions/grad*input"]) == [0, 1]
    np.testing.assert_array_equal(logged["attributions/grad*input"][1], grid(two_d(maps[1]), limit))
    np.testing.assert_allclose(logged["attributions/grad*input/completeness_error"][1], np.mean(np.abs(errors[1])),
                               rtol=1e-6)
    np.testing.assert_allclose(logged["attributions/grad*input/mean_abs"][0], np.mean(np.abs(maps[0])), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:sensitivity_n")  # NaN correlations where a probe's subset sums are constant
def test_randomised_metrics_draw_the_same_on_every_epoch(tmp_path):
    model = keras3_model()
    callback = AttributionCallback("grad*input", PROBES, ONE_HOT, out=tmp_path / "a.h5",
                                   metrics={"sensitivity_n": {"ns": [1, 3], "n_subsets": 10}, "infidelity": {}})
    fit(model, callback)
    maps = deepexplain.explain("grad*input", model, PROBES, ONE_HOT)
    with h5py.File(tmp_path / "a.h5") as f:
        correlation, infidelity = f["metrics/sensitivity_n/correlation"][-1], f["metrics/infidelity/infidelity"][-1]
    expected = metrics.sensitivity_n(model, PROBES, maps, Y[:5], ns=[1, 3], n_subsets=10, random_state=0)
    np.testing.assert_allclose(correlation, expected["correlation"], rtol=1e-5)
    np.testing.assert_allclose(infidelity, metrics.infidelity(model, PROBES, maps, Y[:5], random_state=0), rtol=1e-5)


def test_colours_follow_the_diverging_map_on_the_first_epochs_scale():
    maps = np.array([[[-2.0, 0.0, 2.0, 5.0]]])
    image = grid(maps, 2.0)
    left, middle, right, beyond = image[0, 0], image[0, image.shape[1] // 2 - 1], image[0, -1], image[-1, -1]
    assert left[2] > left[0] and right[0] > right[2]  # blue for negative, red for positive
    assert middle.min() > 240  # white around zero
    np.testing.assert_array_equal(beyond, right)  # beyond the limit saturates


def test_a_second_fit_with_the_same_out_appends_and_keeps_the_colour_scale(tmp_path):
    model = keras3_model()
    fit(model, AttributionCallback("saliency", PROBES, out=tmp_path / "a.h5", every=2), epochs=4)
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epochs"][()].tolist() == [1, 3]
        limit = f.attrs["colour_limit"]
    fit(model, AttributionCallback("saliency", PROBES, out=tmp_path / "a.h5", every=2), epochs=2)
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epochs"][()].tolist() == [1, 3, 5]
        assert f["attributions/saliency"].shape == (3, 5, 6)
        assert f.attrs["colour_limit"] == limit
        np.testing.assert_allclose(f["attributions/saliency"][-1], deepexplain.explain("saliency", model, PROBES),
                                   rtol=1e-6)
    with pytest.raises(OutputConflict, match="method: file has 'saliency', this run has 'grad\\*input'"):
        fit(model, AttributionCallback("grad*input", PROBES, out=tmp_path / "a.h5"), epochs=1)


@pytest.mark.filterwarnings("ignore:intgrad")  # its completeness check, on 8 steps
def test_keras3_traces_once_across_epochs_and_fits(tmp_path):
    model = keras3_model()
    callback = AttributionCallback("intgrad", PROBES, ONE_HOT, out=tmp_path / "a.h5", metrics=["insertion"], steps=8)
    fit(model, callback)
    explainer, scores = callback._attributions.explainer, callback._target_scores()
    assert explainer.runtime.trace_count == 2  # the forward function (for the convergence delta) and the gradients
    fit(model, callback)
    assert callback._attributions.explainer is explainer and explainer.runtime.trace_count == 2
    assert scores.predictor.trace_count == 1
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epochs"][()].tolist() == [0, 1, 2, 3]
        np.testing.assert_allclose(f["attributions/intgrad"][-1],
                                   deepexplain.explain("intgrad", model, PROBES, ONE_HOT, steps=8, progress=False),
                                   rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method, params", [("deeplift", {}), ("deepshap", {"background": PROBES[::2]})])
def test_reference_activations_follow_the_weights_without_tracing_again(tmp_path, method, params):
    model = keras3_model()
    callback = AttributionCallback(method, PROBES, ONE_HOT, out=tmp_path / "a.h5", **params)
    fit(model, callback, epochs=1)
    explainer = callback._attributions.explainer
    traces = explainer.runtime.trace_count
    fit(model, callback)
    assert callback._attributions.explainer is explainer and explainer.runtime.trace_count == traces
    with h5py.File(tmp_path / "a.h5") as f:
        last = f[f"attributions/{method}"][-1]
    np.testing.assert_allclose(last, deepexplain.explain(method, model, PROBES, ONE_HOT, **params), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("method, params", [("intgrad", {"steps": 4, "progress": False}), ("deeplift", {}),
                                            ("deepshap", {"background": TOKEN_IDS[-3:]})])
def test_text_model_at_its_embedding_follows_the_weights(tmp_path, method, params):
    """layer= over token ids; a background of ids is embedded again with each epoch's weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(9, 3, name="embedding"),
                              keras.layers.Dense(4, activation="tanh"), keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probes, ys = TOKEN_IDS[:3], np.eye(2, dtype=np.float32)[TOKEN_LABELS[:3]]
    callback = AttributionCallback(method, probes, ys, out=tmp_path / "a.h5", layer="embedding", **params)
    model.fit(TOKEN_IDS, TOKEN_LABELS, epochs=3, verbose=0, callbacks=[callback])
    with h5py.File(tmp_path / "a.h5") as f:
        maps = f[f"attributions/{method}"][()]
    assert maps.shape == (3, 3, 4)
    expected = deepexplain.explain(method, model, probes, ys, layer="embedding", **params)
    np.testing.assert_allclose(maps[-1], expected, rtol=1e-5, atol=1e-6)
    assert np.abs(maps[-1] - maps[0]).max() > 1e-3


def test_tf_keras_eager_traces_once(tmp_path):
    model = tf_keras_model()
    callback = AttributionCallback("saliency", PROBES, ONE_HOT, log_dir=tmp_path / "logs", out=tmp_path / "a.h5")
    fit(model, callback)
    fit(model, callback)
    assert callback._attributions.explainer.runtime.trace_count == 2  # the forward function and the gradients
    with h5py.File(tmp_path / "a.h5") as f:
        last = f["attributions/saliency"][-1]
    np.testing.assert_allclose(last, deepexplain.explain("saliency", model, PROBES, ONE_HOT), rtol=1e-6)
    assert sorted(events(tmp_path / "logs")["attributions/saliency"]) == [0, 1, 2, 3]


@pytest.mark.session
@pytest.mark.parametrize("method, params", [("grad*input", {}), ("deepshap", {"background": PROBES[::2]})])
def test_tf_keras_graph_mode_adds_no_ops_after_the_first_epoch(tmp_path, method, params):
    from tf_keras.api._v1.keras import backend

    graph = tf.Graph()
    with graph.as_default():
        model = tf_keras_model()
        callback = AttributionCallback(method, PROBES, ONE_HOT, log_dir=tmp_path / "logs", out=tmp_path / "a.h5",
                                       metrics=["completeness"], **params)
        fit(model, callback, epochs=1)
        ops = len(graph.get_operations())
        fit(model, callback, epochs=2)
        assert len(graph.get_operations()) == ops
        with deepexplain.DeepExplain(session=backend.get_session()) as de:
            expected = de.explain(method, model, xs=PROBES, ys=ONE_HOT, **params)
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epochs"][()].tolist() == [0, 1, 2]
        np.testing.assert_allclose(f[f"attributions/{method}"][-1], expected, rtol=1e-5, atol=1e-6)
    assert sorted(events(tmp_path / "logs")[f"attributions/{method}/completeness_error"]) == [0, 1, 2]


def test_permutation_importance_equals_the_toolbox_on_the_final_weights(tmp_path):
    from deepexplain.explainable import PermutationImportance

    model = keras3_model()
    fit(model, AttributionCallback("permutation_importance", X[:24], Y[:24], out=tmp_path / "a.h5", n_repeats=3))
    expected = PermutationImportance(model, n_repeats=3, random_state=0, progress=False).compute(X[:24], Y[:24])
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["attributions/permutation_importance"].shape == (2, 1, 6)
        np.testing.assert_allclose(f["attributions/permutation_importance"][-1, 0], expected["mean"], rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"method": "nope"}, ValueError, "method: expected one of"),
    ({"every": 0}, ValueError, "every: expected a positive integer"),
    ({"out": None, "log_dir": None}, ValueError, "log_dir, out: expected"),
    ({"out": 3}, TypeError, "out: expected a path"),
    ({"metrics": ["bogus"]}, ValueError, "metrics: expected names among"),
    ({"metrics": {"deletion": {"stepz": 3}}}, TypeError, r"metrics\['deletion'\]: unexpected parameters \['stepz'\]"),
    ({"metrics": ["completeness"], "ys": np.full((5, 3), 0.5, np.float32)}, ValueError, "ys: the metrics need one-hot"),
    ({"xs": np.zeros((0, 6), np.float32)}, ValueError, "xs: expected at least one probe sample"),
    ({"xs": np.array([["a"] * 6])}, TypeError, "xs: expected a real-valued numeric array"),
    ({"steps": 5}, TypeError, r"saliency: unexpected parameters \['steps'\]"),
    ({"batch_size": 0}, ValueError, "batch_size: expected a positive integer or None"),
    ({"ys": ONE_HOT[:4]}, ValueError, r"ys: expected one row per probe sample \(5\), got shape \(4, 3\)"),
    ({"method": "permutation_importance", "xs": np.zeros((5, 2, 3)), "ys": Y[:5]}, ValueError,
     r"xs: permutation_importance expected rows of features \(samples, features\), got shape \(5, 2, 3\)"),
    ({"logits": "yes"}, TypeError, "logits: expected True or False"),
    ({"method": "permutation_importance"}, ValueError, "ys: permutation_importance needs the labels"),
    ({"method": "permutation_importance", "ys": Y[:5], "metrics": ["completeness"]}, ValueError,
     "metrics: permutation_importance gives one importance per feature"),
    ({"method": "permutation_importance", "ys": Y[:5], "n_repeat": 2}, TypeError,
     r"permutation_importance: unexpected parameters \['n_repeat'\]"),
])
def test_bad_parameters_are_named(tmp_path, kwargs, error, message):
    arguments = {"method": "saliency", "xs": PROBES, "out": tmp_path / "a.h5", **kwargs}
    with pytest.raises(error, match=message):
        AttributionCallback(**arguments)


def test_probe_rows_that_do_not_fit_the_model_are_named(tmp_path):
    callback = AttributionCallback("saliency", PROBES[:, :4], out=tmp_path / "a.h5")
    with pytest.raises(ValueError, match=r"xs: expected shape \('batch', 6\) \(.*the model\), got \(5, 4\)"):
        fit(keras3_model(), callback, epochs=1)
