"""CXPlain: causal explanation models with uncertainty (Schwab & Karlen, NeurIPS 2019).

An explanation model learns, from the change in the explained model's loss when
each input position is removed, to output a distribution of importance over
positions; once fitted it explains new samples in one forward pass, without
labels and without calling the explained model.
"""
import warnings

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from deepexplain import validation as checks
from deepexplain.batching import row_slices
from deepexplain.explanation import Explanation
from deepexplain.models import default_batch_size
from deepexplain.validation import as_float_array, describe, positive_int, random_generator

from . import serialisation
from .blocks import check_downsample_factors, spatial_shape, upsample
from .causal_objective import PerSampleLoss, causal_weights, kl_divergence, label_matrix, resolve_loss
from .masked_predictions import MaskedPredictor, check_explained_model
from .model_builders import BaseModelBuilder
from .style import runtime
from .uncertainty import check_confidence_level, median_and_interval, training_sets


def _check_masked_data(masked_data, n, count):
    """``masked_data`` as two float32 arrays ``(n, outputs)`` and ``(n, count, outputs)``."""
    if not isinstance(masked_data, (tuple, list)) or len(masked_data) != 2:
        raise TypeError("masked_data: expected the pair (predictions, masked) from masked_predictions(X), "
                        f"got {describe(masked_data)}")
    predictions, masked = (as_float_array(f"masked_data[{i}]", a, finite=False) for i, a in enumerate(masked_data))
    if predictions.ndim != 2 or predictions.shape[0] != n or masked.shape != (n, count, predictions.shape[1]):
        raise ValueError(
            f"masked_data: expected (predictions (n, outputs), masked (n, {count}, outputs)) for {n} samples, "
            f"got shapes {predictions.shape} and {masked.shape}"
        )
    return predictions, masked


def _finite_predictions(name, predictions, masked):
    bad = int(np.size(predictions) + np.size(masked) - np.count_nonzero(np.isfinite(predictions))
              - np.count_nonzero(np.isfinite(masked)))
    if bad:
        raise ValueError(f"{name}: the explained model's outputs on X and its masked copies hold {bad} NaN or infinite "
                         "values; the causal objective needs finite losses (check the model, or X)")


class CXPlain:
    """Explains any model with explanation models trained on the causal objective.

    Parameters
    ----------
    explained_model : Keras 3 or tf_keras model, ``tf.Module``, scikit-learn estimator
        (``predict_proba``, else ``predict``) or callable mapping a batch to outputs.
    model_builder : ``MLPModelBuilder``, ``UNetModelBuilder`` or ``RNNModelBuilder``.
    masking_operation : ``ZeroMasking`` or ``WordDropMasking``.
    loss : Keras loss (function or name) or callable ``loss(y_true, y_pred)`` on tensors
        returning one value per sample, e.g. ``categorical_crossentropy`` or ``mean_squared_error``.
    num_models : explanation models in the bootstrap ensemble (> 1 gives intervals).
    downsample_factors : positions per block along each spatial axis (an int or tuple).
    flatten_for_explained_model : reshape samples to ``(n, -1)`` before calling the explained model.
    random_state : seed of the validation split and the bootstrap resamples (None, an int >= 0
        or a ``numpy.random.Generator``).
    progress : show progress bars while masking and fitting (one bar for the whole fit).

    Attributions have shape ``(n, p)`` for samples of shape ``(p,)`` and
    ``(n, *spatial, 1)`` for samples ``(*spatial, channels)`` (a pixel across all
    channels is one position). Each model's attributions are ≥ 0 and sum to 1 per sample.
    Parameters are checked when the explainer is constructed and again by ``fit``.
    """

    def __init__(self, explained_model, model_builder, masking_operation, loss, num_models=1,
                 downsample_factors=(1,), flatten_for_explained_model=False, random_state=None, progress=True):
        self.explained_model = explained_model
        self.model_builder = model_builder
        self.masking_operation = masking_operation
        self.loss = loss
        self.num_models = num_models
        self.downsample_factors = downsample_factors
        self.flatten_for_explained_model = flatten_for_explained_model
        self.random_state = random_state
        self.progress = progress
        self._check_params()

    def _check_params(self):
        if self.explained_model is not None:
            check_explained_model(self.explained_model)
        if not isinstance(self.model_builder, BaseModelBuilder):
            raise TypeError("model_builder: expected an MLPModelBuilder, UNetModelBuilder or RNNModelBuilder, "
                            f"got {describe(self.model_builder)}")
        self.model_builder.check_params()
        if not callable(getattr(self.masking_operation, "removal", None)):
            raise TypeError("masking_operation: expected ZeroMasking() or WordDropMasking(), "
                            f"got {describe(self.masking_operation)}")
        if self.loss is not None:
            resolve_loss(self.loss)
        positive_int("num_models", self.num_models)
        check_downsample_factors(self.downsample_factors)
        checks.boolean("flatten_for_explained_model", self.flatten_for_explained_model)
        random_generator("random_state", self.random_state)
        checks.boolean("progress", self.progress)

    # -- the causal objective -------------------------------------------------------------

    def _removal(self, sample_shape):
        factors = check_downsample_factors(self.downsample_factors, len(spatial_shape(sample_shape)))
        ids, remove = self.masking_operation.removal(sample_shape, factors)
        return factors, ids, remove

    def _require_explained_model(self):
        if self.explained_model is None:
            raise ValueError("explained_model: expected the model to explain, got None "
                             "(a loaded explainer needs CXPlain.load(directory, explained_model=...) to fit or score)")

    def masked_predictions(self, X):
        """``(predictions (n, out), masked (n, k, out))`` of the explained model on ``X`` and on
        its copies with each of the ``k`` positions (or blocks) removed; pass them to ``fit`` as
        ``masked_data`` to fit again without recomputing them. Warns when the model returns NaN or inf."""
        X = checks.samples(X)
        self._require_explained_model()
        key = (X.shape[1:], X.dtype.str)
        if getattr(self, "_predictor_key", None) != key:
            _, ids, remove = self._removal(X.shape[1:])
            self._predictor = MaskedPredictor(self.explained_model, remove, int(ids.max()) + 1, X.shape[1:],
                                              tf.as_dtype(X.dtype), self.flatten_for_explained_model, self.progress)
            self._predictor_key = key
        predictions, masked = self._predictor(X)
        if not (np.all(np.isfinite(predictions)) and np.all(np.isfinite(masked))):
            warnings.warn("explained_model returned NaN or infinite outputs on X or its masked copies", RuntimeWarning,
                          stacklevel=2)
        return predictions, masked

    def _causal_targets(self, X, y, masked_data):
        """The target distributions ``ω`` ``(n, k)``; ``y`` and the loss are checked before the model is called."""
        n, count = len(X), int(self._removal(X.shape[1:])[1].max()) + 1
        if self.loss is None:
            raise ValueError("loss: expected the loss of the explained model, got None (pass loss= to CXPlain.load)")
        y = checks.labels(y, n, getattr(self.explained_model, "classes_", None))
        if masked_data is None:
            self._require_explained_model()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                predictions, masked = self.masked_predictions(X)
            _finite_predictions("explained_model", predictions, masked)
        else:
            predictions, masked = _check_masked_data(masked_data, n, count)
            _finite_predictions("masked_data", predictions, masked)
        labels = label_matrix(y, predictions.shape[1])
        weights = causal_weights(PerSampleLoss(self.loss, predictions.shape[1]), labels, predictions, masked)
        if not np.all(np.isfinite(weights)):
            raise ValueError("loss: gave NaN or infinite values on the explained model's outputs "
                             f"({describe(self.loss)})")
        return weights

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X, y, masked_data=None):
        """Fit the explanation model(s) to explain the explained model on ``X`` with labels ``y``.

        ``X`` needs at least 2 samples (a validation split is held out). Labels are class
        indices, one-hot rows or regression targets; a scikit-learn classifier's own labels
        (``classes_``, strings included) are mapped to class indices.
        """
        self._check_params()
        X = checks.samples(X, min_samples=2, why="one is held out to validate")
        self.model_builder.check_samples(X)
        factors, ids, _ = self._removal(X.shape[1:])
        weights = self._causal_targets(X, y, masked_data)
        builder = self.model_builder
        validation, train_sets = training_sets(len(X), self.num_models, builder.validation_fraction,
                                               random_generator("random_state", self.random_state))
        bar = tqdm(total=self.num_models * builder.num_epochs, desc=f"fitting {self.num_models} explanation model(s)",
                   unit="epoch", leave=False) if self.progress else None
        models, losses = [], []
        try:
            for train in train_sets:
                model = builder.build(X.shape[1:], factors, X.dtype.name)
                losses.append(builder.fit(model, X[train], weights[train], X[validation], weights[validation], bar))
                models.append(model)
        finally:
            if bar is not None:
                bar.close()
        self._set_fitted(models, X.shape[1:], X.dtype.name, factors, ids)
        self.validation_losses_ = losses
        return self

    def _set_fitted(self, models, sample_shape, dtype, factors, ids):
        self.models_ = models
        self.sample_shape_ = tuple(int(s) for s in sample_shape)
        self.input_dtype_ = dtype
        self.factors_ = factors
        self.block_ids_ = ids
        self._forward = None

    # -- explaining -------------------------------------------------------------------------

    def _check_fitted(self, X):
        if not hasattr(self, "models_"):
            raise ValueError("CXPlain is not fitted yet: call fit(X, y) (or CXPlain.load) before explain, predict "
                             "or score")
        X = checks.samples(X)
        if X.shape[1:] != self.sample_shape_:
            raise ValueError(f"X: expected samples of shape {self.sample_shape_} (as in fit), got {describe(X)}")
        if np.dtype(self.input_dtype_).kind in "iu" and X.dtype.kind == "f":
            raise TypeError(f"X: expected integer token ids (as in fit, {self.input_dtype_}), got {describe(X)}")
        self.model_builder.check_samples(X)
        return X.astype(self.input_dtype_)

    def _block_attributions(self, X):
        """Every explanation model's distribution over blocks: ``(num_models, n, blocks)``."""
        if self._forward is None:
            spec = tf.TensorSpec((None,) + self.sample_shape_, tf.as_dtype(self.input_dtype_))
            self._forward = runtime().compile(
                lambda x: tf.stack([model(x, training=False) for model in self.models_]), [spec])
        if len(X) == 0:
            return np.zeros((len(self.models_), 0, int(self.block_ids_.max()) + 1), np.float32)
        chunks = row_slices(len(X), default_batch_size(X[:1].nbytes))
        return np.concatenate([self._forward(X[rows]) for rows in chunks], axis=1)

    def _member_attributions(self, X):
        """Every explanation model's attributions: ``(num_models, n, *attribution shape)``."""
        shape = (len(X),) + spatial_shape(self.sample_shape_) + ((1,) if len(self.sample_shape_) > 1 else ())
        return np.stack([upsample(member, self.block_ids_).reshape(shape) for member in self._block_attributions(X)])

    def explain(self, X, confidence_level=0.95):
        """Attributions for ``X``; with ``num_models > 1`` also their intervals.

        Returns an ``Explanation`` (a dict with attribute access and ``meta``), the same for
        one model and an ensemble: ``attributions`` (the median over the ensemble) and
        ``intervals`` (None for one model; for an ensemble ``intervals[..., 0]`` and
        ``intervals[..., 1]`` are the lower and upper percentile bounds at
        ``confidence_level``). It unpacks as the pair: ``attributions, intervals =
        explainer.explain(X)``.
        """
        confidence_level = check_confidence_level(confidence_level)
        members = self._member_attributions(self._check_fitted(X))
        if len(members) == 1:
            attributions, intervals = members[0], None
        else:
            attributions, intervals = median_and_interval(members, confidence_level)
        params = {"confidence_level": confidence_level, "num_models": len(members),
                  "downsample_factors": self.factors_, "random_state": self.random_state}
        return Explanation({"attributions": attributions, "intervals": intervals}, "CXPlain", params=params,
                           model=self.explained_model, unpack=("attributions", "intervals"))

    def save(self, directory, overwrite=False):
        """Write the fitted explainer to ``directory`` (``cxplain.json`` + ``weights.h5``); see
        :mod:`cxplain.serialisation`. The explained model is not saved."""
        serialisation.save(self, directory, overwrite)

    @classmethod
    def load(cls, directory, explained_model=None, loss=None):
        """A fitted explainer read from ``directory``; it explains without the explained model,
        which (with ``loss`` when it was not a named Keras loss) is only needed to fit or score."""
        return serialisation.load(cls, directory, explained_model, loss)

    def predict(self, X):
        """The attributions for ``X`` (the ensemble median), without intervals."""
        return np.median(self._member_attributions(self._check_fitted(X)), axis=0)

    def score(self, X, y, masked_data=None):
        """Mean ``KL(ω ‖ A(x))`` over ``(X, y)`` and over the models of the ensemble: a float.

        Lower is better. The explained model is called unless ``masked_data`` is given.
        """
        X = self._check_fitted(X)
        if len(X) == 0:
            raise ValueError(f"X: expected at least one sample to score, got {describe(X)}")
        target = self._causal_targets(X, y, masked_data)
        divergence = PerSampleLoss(kl_divergence, target.shape[1])
        return float(np.mean([np.mean(divergence(target, member)) for member in self._block_attributions(X)]))
