"""``deepexplain cxplain fit``: train a CXPlain explainer of a saved model and save it.

Fitting needs the training rows in memory (Keras trains on arrays), so they are read whole.
"""
import os

import numpy as np

from .errors import InputError, OutputConflict
from .lock import check_output_directory
from .models import check_model, load_model
from .sources import open_data

BUILDERS = ("mlp", "unet")


def fit(model, data, labels, out, builder="mlp", params=None, num_models=1, loss="categorical_crossentropy",
        random_state=None, overwrite=False, progress=True, trust_model_code=False):
    """Fit ``CXPlain`` on ``data``/``labels`` for the model saved at ``model``; save it to ``out``.
    A SavedModel whose graphs do more than compute on tensors is refused unless ``trust_model_code``."""
    from cxplain import CXPlain, MLPModelBuilder, UNetModelBuilder, ZeroMasking

    if os.path.exists(out) and not overwrite:
        raise OutputConflict(f"out: {out} exists; pass --overwrite to replace it")
    check_output_directory(out)
    check_model(model, trust_model_code)
    if builder not in BUILDERS:
        raise InputError(f"builder: expected one of {BUILDERS}, got {builder!r}")
    sources = [open_data(data), open_data(labels)]
    try:
        X, y = (s.read(0, len(s)) for s in sources)
    finally:
        for s in sources:
            s.close()
    if len(X) != len(y):
        raise InputError(f"labels: expected {len(X)} rows like the data, got {len(y)}")
    y = y.astype(np.int64) if y.ndim == 1 else y
    builder_class = MLPModelBuilder if builder == "mlp" else UNetModelBuilder
    try:
        model_builder = builder_class(**(params or {}))
    except TypeError as e:
        raise InputError(f"param: {e}") from None
    explainer = CXPlain(load_model(model, trust_model_code), model_builder, ZeroMasking(), loss, num_models=num_models,
                        random_state=random_state, progress=progress)
    explainer.fit(X, y)
    explainer.save(out, overwrite=overwrite)
    return out
