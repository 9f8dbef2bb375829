"""CXPlain: causal explanation models with uncertainty (Schwab & Karlen, NeurIPS 2019).

An explanation model learns, from the change in the explained model's loss when
each input position is removed, to output a distribution of importance over
positions; once fitted it explains new samples in one forward pass, without
labels and without calling the explained model.
"""
import numpy as np
import tensorflow as tf

from deepexplain.batching import row_slices
from deepexplain.validation import as_float_array, check_batch, describe, positive_int

from . import serialisation
from .blocks import check_downsample_factors, spatial_shape, upsample
from .causal_objective import PerSampleLoss, causal_weights, kl_divergence, label_matrix
from .masked_predictions import MaskedPredictor
from .style import runtime
from .uncertainty import check_confidence_level, median_and_interval, training_sets

EXPLAIN_ROWS = 4096
"""Samples per forward pass of the explanation models."""


def _as_samples(X):
    """``X`` as an int32 array (token ids) or a float32 array, with a batch dimension."""
    if isinstance(X, np.ndarray) and np.issubdtype(X.dtype, np.integer):
        array = X.astype(np.int32)
    else:
        array = as_float_array("X", X)
    check_batch("X", [array], min_rank=2)
    if len(array) == 0:
        raise ValueError("X: expected at least one sample, got 0")
    return array


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
    random_state : seed of the validation split and the bootstrap resamples.
    progress : show progress bars while masking and fitting.

    Attributions have shape ``(n, p)`` for samples of shape ``(p,)`` and
    ``(n, *spatial, 1)`` for samples ``(*spatial, channels)`` (a pixel across all
    channels is one position). Each model's attributions are ≥ 0 and sum to 1 per sample.
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

    # -- the causal objective -------------------------------------------------------------

    def _removal(self, sample_shape):
        factors = check_downsample_factors(self.downsample_factors, len(spatial_shape(sample_shape)))
        ids, remove = self.masking_operation.removal(sample_shape, factors)
        return factors, ids, remove

    def masked_predictions(self, X):
        """``(predictions (n, out), masked (n, k, out))`` of the explained model on ``X`` and on
        its copies with each of the ``k`` positions (or blocks) removed; pass them to ``fit`` as
        ``masked_data`` to fit again without recomputing them."""
        X = _as_samples(X)
        if self.explained_model is None:
            raise ValueError("explained_model: expected the model to explain, got None")
        key = (X.shape[1:], X.dtype.str)
        if getattr(self, "_predictor_key", None) != key:
            _, ids, remove = self._removal(X.shape[1:])
            self._predictor = MaskedPredictor(self.explained_model, remove, int(ids.max()) + 1, X.shape[1:],
                                              tf.as_dtype(X.dtype), self.flatten_for_explained_model, self.progress)
            self._predictor_key = key
        return self._predictor(X)

    def _causal_targets(self, X, y, masked_data):
        n, ids = len(X), self._removal(X.shape[1:])[1]
        predictions, masked = self.masked_predictions(X) if masked_data is None else masked_data
        predictions, masked = as_float_array("masked_data[0]", predictions), as_float_array("masked_data[1]", masked)
        count = int(ids.max()) + 1
        if predictions.ndim != 2 or predictions.shape[0] != n or masked.shape != (n, count, predictions.shape[1]):
            raise ValueError(
                f"masked_data: expected (predictions (n, outputs), masked (n, {count}, outputs)) for {n} samples, "
                f"got shapes {predictions.shape} and {masked.shape}"
            )
        y = np.asarray(y)
        if len(y) != n:
            raise ValueError(f"y: expected {n} labels (one per sample of X), got {describe(y)}")
        labels = label_matrix(y, predictions.shape[1])
        return causal_weights(PerSampleLoss(self.loss, predictions.shape[1]), labels, predictions, masked)

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X, y, masked_data=None):
        """Fit the explanation model(s) to explain the explained model on ``X`` with labels ``y``."""
        X = _as_samples(X)
        num_models = positive_int("num_models", self.num_models)
        self.model_builder.check_params()
        factors, ids, _ = self._removal(X.shape[1:])
        weights = self._causal_targets(X, y, masked_data)
        rng = np.random.default_rng(self.random_state)
        validation, train_sets = training_sets(len(X), num_models, self.model_builder.validation_fraction, rng)
        models, losses = [], []
        for i, train in enumerate(train_sets):
            model = self.model_builder.build(X.shape[1:], factors, X.dtype.name)
            losses.append(self.model_builder.fit(model, X[train], weights[train], X[validation], weights[validation],
                                                 self.progress, desc=f"explanation model {i + 1}/{num_models}"))
            models.append(model)
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
            raise ValueError("CXPlain is not fitted yet: call fit(X, y) (or CXPlain.load) before explain, predict or score")
        X = _as_samples(X)
        if X.shape[1:] != self.sample_shape_:
            raise ValueError(f"X: expected samples of shape {self.sample_shape_} (as in fit), got {describe(X)}")
        return X.astype(self.input_dtype_)

    def _block_attributions(self, X):
        """Every explanation model's distribution over blocks: ``(num_models, n, blocks)``."""
        if self._forward is None:
            spec = tf.TensorSpec((None,) + self.sample_shape_, tf.as_dtype(self.input_dtype_))
            self._forward = runtime().compile(
                lambda x: tf.stack([model(x, training=False) for model in self.models_]), [spec])
        return np.concatenate([self._forward(X[rows]) for rows in row_slices(len(X), EXPLAIN_ROWS)], axis=1)

    def _member_attributions(self, X):
        """Every explanation model's attributions: ``(num_models, n, *attribution shape)``."""
        shape = (len(X),) + spatial_shape(self.sample_shape_) + ((1,) if len(self.sample_shape_) > 1 else ())
        return np.stack([upsample(member, self.block_ids_).reshape(shape) for member in self._block_attributions(X)])

    def explain(self, X, confidence_level=0.95):
        """Attributions for ``X``; with ``num_models > 1`` also their intervals.

        Returns the attributions (the median over the ensemble), or with an
        ensemble ``(attributions, intervals)`` where ``intervals[..., 0]`` and
        ``intervals[..., 1]`` are the lower and upper percentile bounds at
        ``confidence_level``.
        """
        confidence_level = check_confidence_level(confidence_level)
        members = self._member_attributions(self._check_fitted(X))
        if len(members) == 1:
            return members[0]
        return median_and_interval(members, confidence_level)

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
        """Mean ``KL(ω ‖ A(x))`` over ``(X, y)``: a float, or one per model for an ensemble.

        Lower is better. The explained model is called unless ``masked_data`` is given.
        """
        X = self._check_fitted(X)
        target = self._causal_targets(X, y, masked_data)
        divergence = PerSampleLoss(kl_divergence, target.shape[1])
        losses = [float(np.mean(divergence(target, member))) for member in self._block_attributions(X)]
        return losses[0] if len(losses) == 1 else losses
