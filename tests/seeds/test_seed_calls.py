"""The seed documents' calls as written (only the imports changed), on tiny hand-built models.

One test per snippet of explainable-ai-docs, cem-docs, cxplain-readme, gce-readme and the
deepexplain README. Where a seed line is PyTorch (``.numpy()``, ``.unsqueeze(0)``,
``.abs()`` on results, ``mean(dim=0)``) it cannot mean anything for NumPy results: the line
is written with its NumPy equivalent and marked ``# torch:``; iteration counts are cut on
these tiny models where marked ``# seed:``. Each test also checks that the
result is an ``Explanation`` with its ``meta`` and one exact property of the numbers.
"""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from deepexplain import Explanation
from deepexplain.explainable import (
    ActivationVisualization,
    Counterfactual,
    DeepShap,
    FeatureImportance,
    KernelShap,
    LimeImage,
    LimeTabular,
    LimeText,
    PartialDependence,
    PermutationImportance,
    TreeShap,
)

RNG = np.random.default_rng(0)
X_train = RNG.normal(size=(120, 3)).astype(np.float32)
X_test = RNG.normal(size=(12, 3)).astype(np.float32)
WEIGHTS = np.array([1.5, -2.0, 0.5], np.float32)
feature_names = ["feature1", "feature2", "feature3"]


def linear(x):
    """A one-output model ``x · w + 0.25`` (rows or one row)."""
    return np.atleast_2d(x) @ WEIGHTS[:, None] + 0.25


def probabilities(x):
    """A two-class model: softmax of ``(0, x · w)``."""
    p = 1 / (1 + np.exp(-(np.atleast_2d(x) @ WEIGHTS)))
    return np.stack([1 - p, p], axis=1)


def is_result(result, method):
    return isinstance(result, Explanation) and result.meta["method"] == method


def test_kernel_shap(capsys):
    model = linear
    explainer = KernelShap(
        model=model,
        data=X_train,  # Background data
        link="identity"
    )
    shap_values = explainer.explain(
        samples=X_test[:10],
        n_samples=2048
    )
    print("SHAP values shape:", shap_values["values"].shape)
    print("Expected value:", shap_values["expected_value"])
    explainer.plot(
        shap_values,
        feature_names=['feature1', 'feature2', 'feature3']
    )
    assert "SHAP values shape: (10, 3)" in capsys.readouterr().out and is_result(shap_values, "KernelShap")
    np.testing.assert_allclose(shap_values.values, (X_test[:10] - X_train.mean(0)) * WEIGHTS, rtol=1e-4, atol=1e-5)
    plt.close("all")


def test_tree_shap(capsys):
    # A binary gradient boosting classifier has one output (its log-odds), as in shap: values (n, features)
    tree_model = GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0).fit(X_train, X_train[:, 0] > 0)
    explainer = TreeShap(
        model=tree_model,
        data=X_train,
        feature_perturbation="interventional"
    )
    shap_values = explainer.explain(X_test)
    print("Feature contributions:")
    for i, feature in enumerate(feature_names):
        print(f"{feature}: {shap_values['values'][0, i]:.4f}")
    assert f"feature1: {shap_values.values[0, 0]:.4f}" in capsys.readouterr().out
    np.testing.assert_allclose(shap_values.values.sum(1) + shap_values.expected_value,
                               tree_model.decision_function(X_test), rtol=1e-5, atol=1e-6)
    # A forest gives one output per class (as shap); output= selects the one the seed's loop reads
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(X_train, X_train[:, 0] > 0)
    every = TreeShap(forest, data=X_train[:30]).explain(X_test)
    positive = TreeShap(forest, data=X_train[:30]).explain(X_test, output=1)
    np.testing.assert_array_equal(positive.values, every.values[..., 1])
    assert positive.expected_value == every.expected_value[1] and f"{positive['values'][0, 0]:.4f}"


def test_deep_shap():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    model.set_weights([np.eye(3, 4, dtype=np.float32), np.zeros(4, np.float32),
                       np.arange(8, dtype=np.float32).reshape(4, 2) / 4 - 1, np.zeros(2, np.float32)])
    explainer = DeepShap(
        model=model,
        data=X_train[:100]  # Reference dataset
    )
    shap_values = explainer.explain(X_test[:5])
    values = shap_values["values"]  # SHAP values for each feature
    expected = shap_values["expected_value"]  # Base value
    np.testing.assert_allclose(values.sum(1) + expected, model(X_test[:5]).numpy(), rtol=1e-4, atol=1e-5)
    one = explainer.explain(X_test[:5], output=1)
    np.testing.assert_allclose(one.values, values[..., 1], rtol=1e-6, atol=1e-7)
    shap = pytest.importorskip("shap")
    converted = one.to_shap()
    np.testing.assert_array_equal(converted.values, one.values)
    np.testing.assert_array_equal(converted.base_values, np.full(5, one.expected_value))
    shap.plots.waterfall(converted[0], show=False)
    plt.close("all")


def test_advanced_shap_usage():
    shap_values = KernelShap(linear, X_train).explain(X_test)

    def plot_shap_summary(shap_values, X, feature_names):
        """Plot feature importance summary"""
        values = np.asarray(shap_values["values"])  # torch: shap_values["values"].numpy()
        mean_shap = np.abs(values).mean(axis=0)
        indices = np.argsort(mean_shap)[::-1]
        plt.figure(figsize=(10, 6))
        plt.barh(range(len(indices)), mean_shap[indices])
        plt.yticks(range(len(indices)), [feature_names[i] for i in indices])
        plt.xlabel("Mean |SHAP value|")
        plt.title("Feature Importance")
        plt.tight_layout()
        plt.show()
        return indices

    def plot_shap_dependence(shap_values, X, feature_idx, feature_names):
        """Plot SHAP values vs feature values"""
        values = np.asarray(shap_values["values"])[:, feature_idx]  # torch: .numpy()
        feature_vals = np.asarray(X[:, feature_idx])  # torch: X[:, feature_idx].numpy()
        plt.figure(figsize=(8, 6))
        plt.scatter(feature_vals, values, alpha=0.5)
        plt.xlabel(feature_names[feature_idx])
        plt.ylabel("SHAP value")
        plt.title(f"SHAP Dependence: {feature_names[feature_idx]}")
        plt.tight_layout()
        plt.show()

    order = plot_shap_summary(shap_values, X_test, feature_names)
    plot_shap_dependence(shap_values, X_test, 0, feature_names)
    assert order[0] == 1  # |w| = 2 for feature2
    plt.close("all")


def test_lime_tabular(capsys):
    X_income = np.column_stack([X_train, RNG.integers(0, 4, len(X_train))])
    model = LogisticRegression().fit(X_income, X_income[:, 0] + X_income[:, 3] > 1.5)
    with pytest.warns(UserWarning, match="discretised sampling"):
        explainer = LimeTabular(
            model=model,
            feature_names=['age', 'income', 'education', 'hours_per_week'],
            class_names=['<=50K', '>50K'],
            categorical_features=[2],  # Education is categorical
            kernel_width=0.75
        )
        explanation = explainer.explain(
            sample=X_income[0],
            num_features=10,
            num_samples=5000
        )
    print("Prediction:", explanation["prediction"])
    print("\nTop features:")
    for feature, weight, value in zip(
        explanation["feature_names"],
        explanation["feature_weights"],
        explanation["feature_values"]
    ):
        print(f" {feature} = {value:.2f}: {weight:+.4f}")
    explainer.plot_explanation(explanation)
    assert "Top features:" in capsys.readouterr().out and is_result(explanation, "LimeTabular")
    np.testing.assert_allclose(explanation.prediction, model.predict_proba(X_income[:1])[0], rtol=1e-6)
    plt.close("all")


def test_lime_text(capsys):
    def text_model(texts):
        good = np.array([sum(word in text.lower() for word in ("fantastic", "great")) for text in texts], float)
        return np.stack([1 / (1 + good), good / (1 + good)], axis=1)

    explainer = LimeText(
        model=text_model,
        class_names=['negative', 'positive'],
        bow=True,
        split_expression=r'\W+'
    )
    text = "This movie was absolutely fantastic! Great acting and plot."
    explanation = explainer.explain(
        text=text,
        num_features=10,
        num_samples=5000
    )
    print("Prediction:", explanation["prediction"])
    print("\nImportant words:")
    for word, weight in zip(explanation["words"], explanation["word_weights"]):
        print(f" {word}: {weight:+.4f}")
    assert set(explanation.words[:2]) == {"fantastic", "Great"} and is_result(explanation, "LimeText")
    assert "Important words:" in capsys.readouterr().out


def test_lime_image_draws_the_superpixels_over_the_image():
    from skimage.segmentation import find_boundaries

    def image_model(images):
        bright = images[:, :8].mean(axis=(1, 2, 3))
        return np.stack([1 - bright, bright], axis=1)

    image = np.zeros((16, 16, 3), np.float32)
    image[:8] = 0.9
    image[8:, 8:] = 0.3
    explainer = LimeImage(
        model=image_model,
        class_names=["dark", "bright"]
    )
    explanation = explainer.explain(
        image=image,
        num_features=10,
        num_samples=1000
    )
    print("Predicted class:", explanation["prediction"])
    figure = explainer.plot_explanation(explanation)
    shown = figure.axes[0].images[0].get_array()
    boundaries = find_boundaries(explanation.segments, mode="outer")
    np.testing.assert_allclose(shown[~boundaries], (image / 0.9)[~boundaries], atol=1e-6)  # the image, not black
    assert is_result(explanation, "LimeImage")
    plt.close("all")


def test_permutation_importance(capsys):
    y_test = (X_test @ WEIGHTS > 0).astype(int)
    model = LogisticRegression().fit(X_train, X_train @ WEIGHTS > 0)
    importance_calculator = PermutationImportance(
        model=model,
        metric='accuracy',
        n_repeats=10
    )
    importances = importance_calculator.compute(
        X_test,
        y_test
    )
    print("Feature Importances:")
    for feature, importance, std in zip(
        feature_names,
        importances['mean'],
        importances['std']
    ):
        print(f"{feature}: {importance:.4f} (+/- {std:.4f})")
    sorted_idx = importances['mean'].argsort()[::-1]
    plt.figure(figsize=(10, 6))
    plt.bar(range(len(sorted_idx)), importances['mean'][sorted_idx])
    plt.xticks(range(len(sorted_idx)), [feature_names[i] for i in sorted_idx], rotation=45)
    plt.ylabel('Importance')
    plt.title('Permutation Feature Importance')
    plt.tight_layout()
    plt.show()
    assert "feature2:" in capsys.readouterr().out and is_result(importances, "PermutationImportance")
    np.testing.assert_array_equal(importances.importances_mean, importances["mean"])
    plt.close("all")


def test_feature_importance_from_gradients():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.set_weights([WEIGHTS[:, None], np.zeros(1, np.float32)])
    y_test = np.zeros(len(X_test), int)
    importance = FeatureImportance(model)
    grad_importance = importance.compute_gradient_importance(
        X_test,
        y_test
    )
    ig_importance = importance.compute_integrated_gradients(
        X_test,
        baseline=X_train.mean(axis=0),  # torch: X_train.mean(dim=0)
        steps=50
    )
    np.testing.assert_allclose(grad_importance, np.abs(WEIGHTS), rtol=1e-5)
    np.testing.assert_allclose(ig_importance, (X_test - X_train.mean(0)) * WEIGHTS, rtol=1e-4, atol=1e-5)


def test_partial_dependence():
    model = linear
    pd_calculator = PartialDependence(model)
    pd_result = pd_calculator.compute(
        X_train,
        feature_idx=0,
        grid_resolution=50
    )
    plt.figure(figsize=(8, 6))
    plt.plot(pd_result['feature_values'], pd_result['predictions'])
    plt.xlabel(feature_names[0])
    plt.ylabel('Predicted value')
    plt.title(f'Partial Dependence: {feature_names[0]}')
    plt.grid(True)
    plt.show()
    pd_2d = pd_calculator.compute_2d(
        X_train,
        feature_idx1=0,
        feature_idx2=1,
        grid_resolution=30
    )
    fig = plt.figure(figsize=(10, 8))
    ax = fig.add_subplot(111, projection='3d')
    ax.plot_surface(
        pd_2d['feature1_grid'],
        pd_2d['feature2_grid'],
        pd_2d['predictions'],
        cmap='viridis'
    )
    plt.show()
    rest = X_train[:, 1:].mean(0) @ WEIGHTS[1:] + 0.25
    expected = pd_result.feature_values * WEIGHTS[0] + rest
    np.testing.assert_allclose(pd_result.predictions, expected, rtol=1e-4, atol=1e-5)
    assert is_result(pd_result, "PartialDependence") and is_result(pd_2d, "PartialDependence")
    plt.close("all")


def test_counterfactual(capsys):
    X = np.column_stack([X_train, RNG.integers(0, 3, (len(X_train), 3))]).astype(np.float32)
    weights = np.array([1.5, -2.0, 0.5, 0.3, 0.2, -0.4], np.float32)

    def model(x):
        p = 1 / (1 + np.exp(-(np.atleast_2d(x) @ weights - 1.0)))
        return np.stack([1 - p, p], axis=1)

    feature_ranges = (X.min(0), X.max(0))
    cf_explainer = Counterfactual(
        model=model,
        feature_ranges=feature_ranges,
        categorical_features=[2, 5],
        random_state=0,
    )
    original = X[int(np.argmin(X @ weights))]  # the most confidently class-0 row
    counterfactuals = cf_explainer.generate(
        original=original,
        target_class=1,  # Desired prediction
        n_counterfactuals=5,
        max_iterations=1000
    )
    print("Original prediction:", model(original).argmax())
    print("\nCounterfactuals:")
    for i, cf in enumerate(counterfactuals):
        print(f"\nCounterfactual {i+1}:")
        print(f" Prediction: {model(cf).argmax()}")
        print(f" Distance: {cf_explainer.distance(original, cf):.4f}")
        print(" Changes:")
        for j, (orig_val, cf_val) in enumerate(zip(original, cf)):
            if orig_val != cf_val:
                print(f" {['a', 'b', 'c', 'd', 'e', 'f'][j]}: {orig_val:.2f} -> {cf_val:.2f}")
    assert "Original prediction: 0" in capsys.readouterr().out and len(counterfactuals) >= 1
    assert all(model(cf).argmax() == 1 and cf[2] == np.round(cf[2]) for cf in counterfactuals)
    assert is_result(counterfactuals, "Counterfactual")


def test_activation_visualization():
    import keras

    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv1")(inputs)
    h = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv2")(h)
    h = keras.layers.Conv2D(2, 3, activation="relu", name="layer4")(h)
    outputs = keras.layers.Dense(3, name="fc1")(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(1).random((4, 6, 6, 1)).astype(np.float32)
    X_test, image, predicted_class = images, images[1], 2
    vis = ActivationVisualization(model)
    activations = vis.get_activations(
        input=X_test[0],
        layer_names=['conv1', 'conv2', 'fc1']
    )
    for layer_name, activation in activations.items():
        print(f"{layer_name}: {activation.shape}")
        vis.plot_activation(activation, layer_name)
    grad_cam = vis.grad_cam(
        input=image,
        target_class=predicted_class,
        target_layer='layer4'
    )
    vis.plot_grad_cam(image, grad_cam)
    saliency = vis.saliency_map(input=X_test[0])
    vis.plot_saliency(X_test[0], saliency)
    np.testing.assert_allclose(activations.fc1, model(X_test[:1]).numpy()[0], rtol=1e-5, atol=1e-6)
    assert is_result(activations, "ActivationVisualization") and grad_cam.shape == (6, 6)
    plt.close("all")


def test_complete_explainability_pipeline(capsys):
    model = linear  # one output: prediction.item() is the model's value

    class ExplainablePipeline:
        def __init__(self, model, X_train, feature_names):
            self.model = model
            self.X_train = X_train
            self.feature_names = feature_names
            self.shap_explainer = KernelShap(model, X_train)
            self.lime_explainer = LimeTabular(
                model,
                feature_names=feature_names
            )
            self.perm_importance = PermutationImportance(model)
            self.pd_calculator = PartialDependence(model)

        def explain_prediction(self, sample):
            results = {}
            prediction = self.model(sample)
            results['prediction'] = prediction.item()
            shap_values = self.shap_explainer.explain(sample[None])  # torch: sample.unsqueeze(0)
            results['shap'] = shap_values
            lime_exp = self.lime_explainer.explain(sample)
            results['lime'] = lime_exp
            return results

        def global_explanation(self, X_test, y_test):
            results = {}
            importance = self.perm_importance.compute(X_test, y_test)
            results['importance'] = importance
            top_features = importance['mean'].argsort()[-5:][::-1]
            pd_plots = {}
            for feat_idx in top_features:
                pd = self.pd_calculator.compute(
                    self.X_train,
                    feature_idx=feat_idx
                )
                pd_plots[self.feature_names[feat_idx]] = pd
            results['partial_dependence'] = pd_plots
            return results

        def compare_samples(self, sample1, sample2):
            exp1 = self.explain_prediction(sample1)
            exp2 = self.explain_prediction(sample2)
            for name, exp in (("Sample 1:", exp1), ("Sample 2:", exp2)):
                print(name)
                print(f" Prediction: {exp['prediction']:.4f}")
                print(" Top 3 SHAP features:")
                shap1 = exp['shap']['values'][0]
                top3_1 = np.abs(shap1).argsort()[-3:][::-1]  # torch: shap1.abs().argsort()
                for idx in top3_1:
                    print(f" {self.feature_names[idx]}: {shap1[idx]:.4f}")

    pipeline = ExplainablePipeline(model, X_train, feature_names)
    with pytest.warns(UserWarning, match="no training data"):
        exp = pipeline.explain_prediction(X_test[0])
        global_exp = pipeline.global_explanation(X_test, (linear(X_test)[:, 0] > 0.5).astype(int))
        pipeline.compare_samples(X_test[0], X_test[1])
    assert exp["prediction"] == pytest.approx(float(linear(X_test[0])[0, 0]), rel=1e-6)
    assert sorted(global_exp["partial_dependence"]) == feature_names and "Top 3 SHAP" in capsys.readouterr().out


@pytest.mark.session
def test_cem_in_a_session():
    import tensorflow.compat.v1 as tf
    import tf_keras
    from tf_keras.api._v1.keras import backend as K

    from cem import CEM

    x_train = np.clip(X_train / 4 + 0.5, 0, 1)
    with tf.Graph().as_default():
        sess = tf.Session()
        K.set_session(sess)
        cnn = tf_keras.Sequential([tf_keras.layers.Dense(2, activation="softmax", input_shape=(3,))])
        cnn.set_weights([np.stack([-WEIGHTS, WEIGHTS], 1), np.array([1.0, -1.0], np.float32)])
        ae = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(3,))])
        ae.set_weights([np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
        X = x_train[:2]
        shape = (1,) + x_train.shape[1:]
        mode = 'PN'
        cem = CEM(sess, cnn, mode, shape, kappa=0., beta=.1,
                  feature_range=(x_train.min(), x_train.max()),
                  gamma=100, ae_model=ae, max_iterations=200,  # seed: 1000 (tiny model, less work)
                  c_init=1., c_steps=4, learning_rate_init=1e-2,  # seed: c_steps=10
                  clip=(-1000., 1000.), no_info_val=-1.)
        explanation = cem.explain(X)
        sess.close()
    assert explanation.meta["method"] == "CEM" and explanation.meta["params"]["mode"] == "PN"
    assert explanation.PP is None and explanation.PN.shape == X.shape and explanation.found.dtype == bool
    found = explanation.found
    assert np.all(explanation.PN_pred[found] != explanation.X_pred[found]) and np.isnan(explanation.PN[~found]).all()


def test_cem_numerical_gradients():
    from cem import CEM

    class LogisticRegressionModel:
        def predict(self, x):
            return probabilities(x)

    x_train = X_train
    sess = None  # a black box needs no session
    lr = LogisticRegressionModel()
    predict_fn = lambda x: lr.predict(x)  # noqa: E731 (the seed's line)
    shape = (1,) + x_train.shape[1:]
    mode = 'PP'
    cem = CEM(sess, predict_fn, mode, shape, kappa=0., beta=.1,
              feature_range=(x_train.min(), x_train.max()),
              eps=(1e-2, 1e-2), update_num_grad=100, max_iterations=100, c_steps=3)
    cem.fit(x_train, no_info_type='median')
    explanation = cem.explain(X_test[:2])
    assert explanation.PN is None and explanation.PP.shape == (2, 3) and is_result(explanation, "CEM")


def test_cxplain():
    from keras.losses import categorical_crossentropy  # seed: from tensorflow.python.keras.losses import ...

    from cxplain import CXPlain, MLPModelBuilder, ZeroMasking

    x_train, y_train, x_test = X_train, (X_train @ WEIGHTS > 0).astype(int), X_test
    explained_model = LogisticRegression().fit(x_train, y_train)
    model_builder = MLPModelBuilder(num_layers=2, num_units=64, batch_size=256, learning_rate=0.001,
                                    num_epochs=3)  # seed: the default 100 epochs (tiny data, less work)
    masking_operation = ZeroMasking()
    loss = categorical_crossentropy
    explainer = CXPlain(explained_model, model_builder, masking_operation, loss)
    explainer.fit(x_train, y_train)
    attributions = explainer.explain(x_test)
    assert is_result(attributions, "CXPlain") and attributions.intervals is None
    np.testing.assert_allclose(attributions.attributions.sum(1), 1, rtol=1e-5)
    assert isinstance(explainer.score(x_test, (x_test @ WEIGHTS > 0).astype(int)), float)


def test_gce_original_train_form():
    import keras

    from cxplain.gce import GenerativeCausalExplainer

    classifier = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    classifier.set_weights([np.stack([-WEIGHTS, WEIGHTS], 1), np.zeros(2, np.float32)])
    K, L = 1, 1
    gce = GenerativeCausalExplainer(classifier, K, L, width=8, random_state=0)
    history = gce.train(X_train, K, L, steps=3, Nalpha=4, Nbeta=3, progress=False)
    images, probabilities = gce.explain(X_test[:2])
    result = gce.explain(X_test[:2])
    assert len(history["loss"]) == 3 and is_result(result, "GenerativeCausalExplainer")
    np.testing.assert_array_equal(images, result.images)
    assert probabilities.shape == (2, 2, 7, 2)
    with pytest.raises(ValueError, match="K: expected None or the explainer's K=1"):
        gce.train(X_train, 2, L, steps=1)
