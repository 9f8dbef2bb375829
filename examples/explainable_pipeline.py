"""The explainable-ai-docs "complete explainability pipeline" on scikit-learn's breast cancer data,
for a small Keras network and a random forest, with every class of deepexplain.explainable that
applies to tabular data: SHAP values (KernelShap for the network, exact TreeShap for the forest;
DeepShap and gradient importances for the network too), LIME, permutation importance and partial
dependence. Writes its figures to --out (default: out/).

Run: python examples/explainable_pipeline.py --out out
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from example_args import output_directory
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from deepexplain.explainable import (
    DeepShap,
    FeatureImportance,
    KernelShap,
    LimeTabular,
    PartialDependence,
    PermutationImportance,
    Predictor,
    TreeShap,
    summarize,
)


class ExplainablePipeline:
    """Local (SHAP, LIME) and global (permutation importance, partial dependence) explanations
    of one model, as in the seed."""

    def __init__(self, model, X_train, feature_names, class_names, shap_explainer, **shap_options):
        self.predictor = Predictor(model)
        self.X_train = X_train
        self.feature_names = feature_names
        self.shap_explainer = shap_explainer
        self.shap_options = shap_options
        self.lime_explainer = LimeTabular(model, feature_names=feature_names, class_names=class_names,
                                          data=X_train, progress=False)
        self.perm_importance = PermutationImportance(model, metric="accuracy", n_repeats=10, random_state=0,
                                                     progress=False)
        self.pd_calculator = PartialDependence(model, progress=False)

    def shap_values(self, samples):
        """SHAP values of the positive class ("benign") for ``samples`` (rows × features)."""
        explanation = self.shap_explainer.explain(samples, **self.shap_options)
        values = explanation["values"]
        return values[..., 1] if values.ndim == 3 else values, explanation

    def explain_prediction(self, sample):
        """Comprehensive explanation for a single prediction."""
        values, _ = self.shap_values(sample[None])
        return {
            "prediction": float(self.predictor(sample[None])[0, 1]),
            "shap": values[0],
            "lime": self.lime_explainer.explain(sample, num_features=8, label=1, random_state=0),
        }

    def global_explanation(self, X_test, y_test):
        """Permutation importance, and partial dependence of the five most important features."""
        importance = self.perm_importance.compute(X_test, y_test)
        top_features = importance["mean"].argsort()[-5:][::-1]
        partial_dependence = {self.feature_names[j]: self.pd_calculator.compute(self.X_train, feature_idx=j)
                              for j in top_features}
        return {"importance": importance, "top_features": top_features, "partial_dependence": partial_dependence}

    def compare_samples(self, sample1, sample2):
        """Print the prediction and the top 3 SHAP features of two samples."""
        for name, sample in (("Sample 1", sample1), ("Sample 2", sample2)):
            explanation = self.explain_prediction(sample)
            print(f"  {name}: P(benign) = {explanation['prediction']:.4f}; top 3 SHAP features:")
            for j in np.abs(explanation["shap"]).argsort()[-3:][::-1]:
                print(f"    {self.feature_names[j]}: {explanation['shap'][j]:+.4f}")


def network(X, y):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=30, batch_size=32, verbose=0)
    return model


def save(figure, directory, name):
    figure.savefig(directory / name, dpi=110, bbox_inches="tight")
    plt.close(figure)


def run(label, pipeline, X_test, y_test, directory):
    print(f"\n=== {label} ===")
    accuracy = np.mean(pipeline.predictor(X_test).argmax(1) == y_test)
    print(f"test accuracy {accuracy:.3f}")
    explanation = pipeline.explain_prediction(X_test[0])
    lime = explanation["lime"]
    print(f"P(benign) of test sample 0: {explanation['prediction']:.4f}; LIME surrogate R² {lime['score']:.2f}, "
          f"local prediction {lime['local_prediction']:.4f}")
    for rule, weight in zip(lime["feature_rules"][:5], lime["feature_weights"][:5]):
        print(f"  {rule}: {weight:+.4f}")
    save(pipeline.lime_explainer.plot_explanation(lime), directory, f"{label}_lime.png")
    _, shap_result = pipeline.shap_values(X_test[:20])
    save(pipeline.shap_explainer.plot(shap_result, feature_names=pipeline.feature_names, output=1), directory,
         f"{label}_shap_summary.png")
    result = pipeline.global_explanation(X_test, y_test)
    importance = result["importance"]
    print("permutation importance (accuracy drop), top 5:")
    for j in result["top_features"]:
        print(f"  {pipeline.feature_names[j]}: {importance['mean'][j]:.4f} (+/- {importance['std'][j]:.4f})")
    save(pipeline.perm_importance.plot(importance, pipeline.feature_names, max_features=15), directory,
         f"{label}_permutation_importance.png")
    first, second = result["top_features"][:2]
    name = pipeline.feature_names[first]
    save(pipeline.pd_calculator.plot(result["partial_dependence"][name], name), directory, f"{label}_pdp_ice.png")
    surface = pipeline.pd_calculator.compute_2d(pipeline.X_train, first, second, grid_resolution=20)
    save(pipeline.pd_calculator.plot_2d(surface, (name, pipeline.feature_names[second])), directory,
         f"{label}_pdp_2d.png")
    print("comparing test samples 0 and 1:")
    pipeline.compare_samples(X_test[0], X_test[1])


def main():
    directory = output_directory(__doc__.splitlines()[0])
    data = load_breast_cancer()
    X = ((data.data - data.data.mean(0)) / data.data.std(0)).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, data.target, test_size=0.25, random_state=0)
    names, classes = [str(n) for n in data.feature_names], [str(c) for c in data.target_names]

    model = network(X_train, y_train)
    kernel_shap = KernelShap(model, summarize(X_train, 20))
    pipeline = ExplainablePipeline(model, X_train, names, classes, kernel_shap, n_samples=2048, random_state=0,
                                   progress=False)
    run("keras", pipeline, X_test, y_test, directory)

    deep_shap = DeepShap(model, data=X_train[:100])
    save(deep_shap.plot(deep_shap.explain(X_test[:20]), feature_names=names, output=1), directory,
         "keras_deep_shap_summary.png")
    gradients = FeatureImportance(model).compute_integrated_gradients(X_test[:20], baseline=X_train.mean(0), steps=50)
    print("integrated gradients (mean |attribution|), top 3:",
          [names[j] for j in np.abs(np.asarray(gradients)).mean(0).argsort()[-3:][::-1]])

    forest = RandomForestClassifier(n_estimators=100, max_depth=6, random_state=0).fit(X_train, y_train)
    tree_shap = TreeShap(forest, data=X_train[:100], feature_perturbation="interventional")
    run("forest", ExplainablePipeline(forest, X_train, names, classes, tree_shap), X_test, y_test, directory)
    print(f"\nfigures written to {directory}/")


if __name__ == "__main__":
    main()
