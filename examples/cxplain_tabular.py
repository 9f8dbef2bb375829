"""CXPlain on a scikit-learn model: a random forest on the breast-cancer data.

An ensemble of 5 MLP explanation models gives each test sample's feature
attributions with an 80% interval; the figure shows one sample.

Run: python examples/cxplain_tabular.py [--out DIR]   (default DIR: out)
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from example_args import output_directory  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from cxplain import CXPlain, MLPModelBuilder, ZeroMasking  # noqa: E402
from cxplain.plotting import plot_feature_attribution  # noqa: E402


def main(output):
    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(X, data.target, test_size=0.25, random_state=0)
    forest = RandomForestClassifier(n_estimators=100, max_depth=5, random_state=0).fit(x_train, y_train)
    print(f"random forest test accuracy: {forest.score(x_test, y_test):.3f}")

    builder = MLPModelBuilder(num_layers=2, num_units=32, batch_size=32, num_epochs=60)
    explainer = CXPlain(forest, builder, ZeroMasking(), "categorical_crossentropy", num_models=5, random_state=0)
    explainer.fit(x_train, y_train)
    attributions, intervals = explainer.explain(x_test, confidence_level=0.8)
    top = np.argsort(-attributions.mean(axis=0))[:5]
    print("most important features on average:", [str(data.feature_names[i]) for i in top])

    figure = plot_feature_attribution(attributions[0], intervals[0], data.feature_names,
                                      title="CXPlain attributions (80% interval), first test sample")
    figure.savefig(output / "cxplain_tabular.png", dpi=120)
    print(f"wrote {output / 'cxplain_tabular.png'}")


if __name__ == "__main__":
    main(output_directory(__doc__.splitlines()[0]))
