"""Small data sets and fitted explainers shared by the CXPlain tests."""
import pytest
from cxplain_data import oracle_data
from sklearn.linear_model import LogisticRegression

from cxplain import CXPlain, MLPModelBuilder, ZeroMasking


@pytest.fixture(scope="session")
def tabular():
    X, y = oracle_data()
    return X, y, LogisticRegression().fit(X, y)


@pytest.fixture(scope="session")
def ensemble(tabular):
    X, y, model = tabular
    builder = MLPModelBuilder(num_units=16, num_epochs=8, batch_size=32)
    explainer = CXPlain(model, builder, ZeroMasking(), "categorical_crossentropy", num_models=3, random_state=0,
                        progress=False)
    return explainer.fit(X[:400], y[:400])
