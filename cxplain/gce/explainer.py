"""Generative causal explanations of black-box classifiers (O'Shaughnessy et al., NeurIPS 2020).

A VAE is trained so that its first K latent factors α carry as much causal information about
the classifier's decision as possible while all K + L factors keep the data distribution:

    min  −Î(α; Ŷ) + λ·( (1/B) Σ_b ‖x_b − g(z_b)‖² + (1/B) Σ_b KL(q(z|x_b) ‖ N(0, I)) ),

with Î estimated from Nα × Nβ latent draws (:mod:`.information_flow`). Sweeping an α then
changes what the classifier decides, and the decoded sweep shows how the data must change.
The classifier is frozen: called in inference mode, differentiated through, never updated.
"""

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from deepexplain.batching import check_memory, row_slices
from deepexplain.explanation import Explanation
from deepexplain.keras_models import call_model, is_tensorflow_model
from deepexplain.models import Predictor, default_batch_size
from deepexplain.runtime import EagerRuntime
from deepexplain.validation import (
    as_float_array,
    boolean,
    check_batch,
    describe,
    is_integer,
    is_number,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)

from ..style import runtime as session_runtime
from . import persistence
from .information_flow import class_given_alpha, information_flow, latent_draws
from .optimiser import Adam
from .vae import default_vae

JIT_COMPILE = False
"""Compile the eager training step with XLA: off, since on CPU XLA's transposed convolutions made
the digits step 10x slower (bench/bench_gce.py times both)."""


def _check_betas(betas):
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or not all(is_number(b) and 0 <= b < 1 for b in betas)):
        raise ValueError(f"betas: expected two numbers in [0, 1) (Adam's beta1, beta2), got {describe(betas)}")
    return float(betas[0]), float(betas[1])


def _check_lam(lam):
    return non_negative_float("lam", lam)


def _seeded_init(model, rng):
    """Glorot-uniform kernels and zero biases drawn from ``rng``: the same weights in every style."""
    arrays = []
    for weight in model.get_weights():
        if weight.ndim < 2:
            arrays.append(np.zeros_like(weight))
            continue
        receptive = int(np.prod(weight.shape[:-2]))
        limit = np.sqrt(6.0 / (receptive * (weight.shape[-2] + weight.shape[-1])))
        arrays.append(rng.uniform(-limit, limit, weight.shape).astype(weight.dtype))
    model.set_weights(arrays)


def _variables(model):
    return list(model.trainable_variables)


class GenerativeCausalExplainer:
    """Explains a classifier by K causal latent factors α among K + L factors of a VAE.

    Parameters
    ----------
    classifier : Keras 3 / tf_keras model or ``tf.Module`` returning class probabilities (n, M).
    K, L : numbers of causal factors α and of non-causal factors β.
    encoder, decoder : optional Keras models (or ``tf.Module``): ``encoder(x) → (mu, logvar)``
        of shape (n, K + L) each, ``decoder(z)`` of shape (n, *input_shape). By default a
        convolutional VAE for image samples (H, W, C) and an MLP VAE for vectors, built by ``train``.
    width : filters of the default convolutional VAE, units of the default MLP VAE.
    random_state : seed of the default VAE's weights, the batches and the latent draws.
    """

    def __init__(self, classifier, K, L, encoder=None, decoder=None, width=64, random_state=None):
        if not is_tensorflow_model(classifier):
            raise TypeError(f"classifier: expected a Keras model or tf.Module returning class probabilities, "
                            f"got {describe(classifier)}")
        self.K = positive_int("K", K)
        self.L = non_negative_int("L", L)
        if (encoder is None) != (decoder is None):
            raise ValueError("encoder, decoder: expected both (a custom VAE) or neither (the default VAE), "
                             f"got encoder={describe(encoder)} and decoder={describe(decoder)}")
        for name, model in (("encoder", encoder), ("decoder", decoder)):
            if model is not None and not is_tensorflow_model(model):
                raise TypeError(f"{name}: expected a Keras model or tf.Module, got {describe(model)}")
        if random_state is not None and not is_integer(random_state):
            raise TypeError(f"random_state: expected an int or None, got {describe(random_state)}")
        self.classifier = classifier
        self.encoder = encoder
        self.decoder = decoder
        self.width = positive_int("width", width)
        self.random_state = random_state
        self.default_vae_ = encoder is None
        self._compiled = {}

    @property
    def latent_dim(self):
        return self.K + self.L

    # -- building ---------------------------------------------------------------------------

    def _build(self, input_shape, unit_interval):
        """Build the default VAE for samples of ``input_shape`` (once)."""
        self.input_shape_ = self._check_vae_input(input_shape)
        if self.default_vae_ and self.encoder is None:
            self.unit_interval_ = bool(unit_interval)
            self.encoder, self.decoder = default_vae(self.input_shape_, self.latent_dim, self.width,
                                                     self.unit_interval_)
            rng = self._rng(0)
            for model in (self.encoder, self.decoder):
                _seeded_init(model, rng)

    def _check_samples(self, name, X):
        X = as_float_array(name, X)
        check_batch(name, [X], min_rank=2)
        if len(X) == 0:
            raise ValueError(f"{name}: expected at least one sample, got 0")
        shape = getattr(self, "input_shape_", None)
        if shape is not None and X.shape[1:] != shape:
            raise ValueError(f"{name}: expected samples of shape {shape} (as in train), got {describe(X)}")
        return X

    def _check_vae_input(self, input_shape):
        """``input_shape`` as a tuple, refused when the default VAE is still to be built for it and
        it is neither a vector nor an image."""
        input_shape = tuple(int(s) for s in input_shape)
        if self.default_vae_ and self.encoder is None and len(input_shape) not in (1, 3):
            raise ValueError(f"X: the default VAE needs vectors (n, p) or images (n, H, W, C), got samples of "
                             f"shape {input_shape}; pass your own encoder and decoder")
        return input_shape

    def _untrain(self):
        """Back to the untrained state after a first ``train`` that failed before its first step."""
        for name in ("input_shape_", "unit_interval_"):
            self.__dict__.pop(name, None)
        if self.default_vae_:
            self.encoder = self.decoder = None
        self._compiled = {}

    def _check_classifier_rows(self, name, row_shape, model="classifier"):
        """Raise a ValueError naming ``name`` unless ``model`` (the classifier, or the encoder)
        declares rows of ``row_shape`` (or declares no input shape)."""
        session = None if tf.executing_eagerly() else session_runtime().session
        Predictor(getattr(self, model), session=session, name=model).check_row_shape(name, row_shape)

    def _check_trained(self):
        if not hasattr(self, "input_shape_"):
            raise ValueError("GenerativeCausalExplainer is not trained yet: call train(X) (or load) first")

    def _encode(self, x):
        outputs = self.encoder(x)
        if not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
            raise ValueError(f"encoder: expected it to return (mu, logvar), got {describe(outputs)}")
        mu, logvar = outputs
        for label, tensor in (("mu", mu), ("logvar", logvar)):
            if tensor.shape.rank != 2 or tf.compat.dimension_value(tensor.shape[1]) != self.latent_dim:
                raise ValueError(f"encoder: expected {label} of shape (n, K + L = {self.latent_dim}), "
                                 f"got {tensor.shape}")
        return mu, logvar

    def _decode(self, z):
        images = self.decoder(z)
        if tuple(images.shape.as_list()[1:]) != self.input_shape_:
            raise ValueError(f"decoder: expected samples of shape {self.input_shape_} from {self.latent_dim} latents, "
                             f"got {images.shape}")
        return images

    def _classify(self, images):
        probabilities = call_model(self.classifier, images)
        if probabilities.shape.rank != 2:
            raise ValueError(f"classifier: expected class probabilities of shape (n, M), got {probabilities.shape}")
        return probabilities

    @staticmethod
    def _key(name):
        return name, None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()

    def _compile(self, name, build, signature, jit_compile=False):
        """``build`` compiled once per style (and session graph)."""
        key = self._key(name)
        if key not in self._compiled:
            runtime = EagerRuntime(jit_compile) if tf.executing_eagerly() else session_runtime()
            self._compiled[key] = runtime.compile(build, signature)
        return self._compiled[key]

    def _spec(self, *tail, dtype=tf.float32):
        return tf.TensorSpec(tail, dtype)

    # -- training ---------------------------------------------------------------------------

    def _step_function(self):
        if self._key("step") in self._compiled:
            return self._compiled[self._key("step")]
        variables = _variables(self.encoder) + _variables(self.decoder)
        if not variables:
            raise ValueError("encoder, decoder: expected trainable variables, got none")
        adam = Adam(variables)
        if not tf.executing_eagerly():
            session_runtime().session.run(tf.compat.v1.variables_initializer(adam.slots()))

        def step(x, eps, z, settings):
            lam, use_ce, lr, beta1, beta2 = tf.unstack(settings)
            with tf.GradientTape() as tape:
                mu, logvar = self._encode(x)
                reconstruction = self._decode(mu + tf.exp(0.5 * logvar) * eps)
                axes = list(range(1, len(self.input_shape_) + 1))
                mse = tf.reduce_mean(tf.reduce_sum(tf.square(x - reconstruction), axis=axes))
                kld = tf.reduce_mean(-0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar), axis=1))
                flow = information_flow(class_given_alpha(self._decode, self._classify, z))
                loss = -use_ce * flow + lam * (mse + kld)
            updates = adam.apply(tape.gradient(loss, variables), lr, beta1, beta2)
            with tf.control_dependencies(updates):
                return [tf.identity(t) for t in (loss, -flow, mse + kld, mse, kld)]

        d = self.latent_dim
        return self._compile("step", step, [self._spec(None, *self.input_shape_), self._spec(None, d),
                                            self._spec(None, None, d), self._spec(5)], jit_compile=JIT_COMPILE)

    def train(self, X, K=None, L=None, steps=8000, Nalpha=25, Nbeta=100, lam=0.05, batch_size=64, lr=5e-4,
              betas=(0.5, 0.999), use_ce=True, progress=True):
        """Train the VAE on ``X`` for ``steps`` Adam steps on batches drawn with replacement.

        ``K`` and ``L`` are accepted for the original ``train(X, K, L, steps=...)`` form; they
        must then equal the explainer's (set when it is constructed).

        Each step draws Nα α's and, for each, Nβ β's (``Nalpha``, ``Nbeta``: Monte-Carlo
        sample counts) and minimises ``−use_ce·Î + lam·(MSE + KL)``. Training again continues
        from the current weights. Returns the history: arrays of one value per step for
        ``loss``, ``loss_ce`` (= −Î, nats), ``loss_nll`` (= MSE + KL), ``loss_mse`` and ``loss_kld``.
        """
        for name, given, own in (("K", K, self.K), ("L", L, self.L)):
            if given is not None and (isinstance(given, bool) or given != own):
                raise ValueError(f"{name}: expected None or the explainer's {name}={own} (set by "
                                 f"GenerativeCausalExplainer(classifier, K, L)), got {describe(given)}")
        X = self._check_samples("X", X)
        steps, Nalpha = positive_int("steps", steps), positive_int("Nalpha", Nalpha)
        Nbeta = positive_int("Nbeta", Nbeta)
        batch_size, lr = positive_int("batch_size", batch_size), positive_float("lr", lr)
        settings = np.array([_check_lam(lam), float(boolean("use_ce", use_ce)), lr, *_check_betas(betas)], np.float32)
        progress = boolean("progress", progress)
        self._check_counts(X.shape[1:], steps, Nalpha, Nbeta, batch_size)
        self._check_vae_input(X.shape[1:])
        self._check_classifier_rows("X", X.shape[1:])
        if not self.default_vae_:
            self._check_classifier_rows("X", X.shape[1:], "encoder")
        self._check_classifier(X[:8])
        first = not hasattr(self, "input_shape_")
        self._build(X.shape[1:], X.min() >= 0 and X.max() <= 1)
        rng = self._rng(1)
        names = ("loss", "loss_ce", "loss_nll", "loss_mse", "loss_kld")
        history = np.zeros((steps, len(names)), np.float32)
        bar = tqdm(range(steps), desc="GCE", unit="step", disable=not progress, leave=False)
        done = 0
        try:
            step = self._step_function()
            for i in bar:
                batch = X[rng.integers(0, len(X), batch_size)]
                eps = rng.standard_normal((batch_size, self.latent_dim)).astype(np.float32)
                z = latent_draws(rng, Nalpha, Nbeta, range(self.K), self.latent_dim)
                history[i] = step(batch, eps, z, settings)
                done += 1
                if progress and i % 50 == 0:
                    bar.set_postfix(information_flow=f"{-history[i, 1]:.3f}")
        except BaseException:
            if first and not done:
                self._untrain()
            raise
        self.Nalpha_, self.Nbeta_ = Nalpha, Nbeta
        return {name: history[:, j] for j, name in enumerate(names)}

    def _check_counts(self, sample_shape, steps, Nalpha, Nbeta, batch_size):
        """Refuse counts whose work cannot fit in memory: every step decodes and classifies Nα·Nβ latents
        and a batch (with their gradients, counted twice), and the loss history keeps 5 values a step."""
        values = int(np.prod(sample_shape)) + self.latent_dim
        check_memory("Nalpha, Nbeta", f"{Nalpha} × {Nbeta}", 2 * 4 * Nalpha * Nbeta * values,
                     "draws decoded at every step")
        check_memory("batch_size", batch_size, 2 * 4 * batch_size * values, "rows of every step")
        check_memory("steps", steps, 4 * 5 * steps, "loss history")

    def _check_classifier(self, x):
        predict = self._compile(f"classify{x.shape[1:]}", self._classify, [self._spec(None, *x.shape[1:])])
        probabilities = predict(x)
        if (probabilities.shape[1] < 2 or np.any(probabilities < -1e-6)
                or not np.allclose(probabilities.sum(axis=1), 1, atol=1e-3)):
            raise ValueError("classifier: expected class probabilities (M >= 2 non-negative outputs summing to 1, "
                             f"e.g. a softmax), got outputs of shape {probabilities.shape} with row sums "
                             f"{np.round(probabilities.sum(axis=1)[:4], 4).tolist()}")

    # -- information flow ---------------------------------------------------------------------

    def _flow(self, fixed, Nalpha, Nbeta, rng):
        """Î between the latent coordinates ``fixed`` and Ŷ, from Nα × Nβ draws."""
        given = self._compile("class_given_alpha", lambda z: class_given_alpha(self._decode, self._classify, z),
                              [self._spec(None, None, self.latent_dim)])
        flow = self._compile("information_flow", information_flow, [self._spec(None, None)])
        z = latent_draws(rng, Nalpha, Nbeta, fixed, self.latent_dim)
        p = np.concatenate([given(z[rows]) for rows in row_slices(Nalpha, max(1, self._decoded_per_call() // Nbeta))])
        return float(np.clip(flow(p), 0.0, np.log(p.shape[1])))

    def _sample_counts(self, Nalpha, Nbeta):
        self._check_trained()
        Nalpha = positive_int("Nalpha", Nalpha, allow_none=True) or getattr(self, "Nalpha_", 25)
        Nbeta = positive_int("Nbeta", Nbeta, allow_none=True) or getattr(self, "Nbeta_", 100)
        return Nalpha, Nbeta

    def _rng(self, *stream):
        """A generator for one use of randomness, reproducible from ``random_state``."""
        return np.random.default_rng(None if self.random_state is None else [self.random_state, *stream])

    def information_flow(self, Nalpha=None, Nbeta=None):
        """Î(α; Ŷ) in nats (0 ≤ Î ≤ ln M), from Nα × Nβ draws (by default those of ``train``)."""
        Nalpha, Nbeta = self._sample_counts(Nalpha, Nbeta)
        return self._flow(range(self.K), Nalpha, Nbeta, self._rng(2))

    def information_flow_per_dim(self, dims=None, Nalpha=None, Nbeta=None):
        """I(z_i; Ŷ) for each latent coordinate i in ``dims`` (default all, α first): z_i is
        shared by the Nβ inner draws and every other coordinate drawn afresh."""
        Nalpha, Nbeta = self._sample_counts(Nalpha, Nbeta)
        return np.array([self._flow([d], Nalpha, Nbeta, self._rng(3, d)) for d in self._check_dims(dims)])

    def _check_dims(self, dims):
        if dims is None:
            return np.arange(self.latent_dim, dtype=np.int32)
        array = np.atleast_1d(np.asarray(dims))
        if (array.ndim != 1 or len(array) == 0 or not np.issubdtype(array.dtype, np.integer)
                or array.min() < 0 or array.max() >= self.latent_dim):
            raise ValueError(f"dims: expected latent coordinates in [0, K + L = {self.latent_dim}), "
                             f"got {describe(dims)}")
        return array.astype(np.int32)

    # -- explanations -------------------------------------------------------------------------

    def _sweeps(self, x, sweep, dims):
        mu, _ = self._encode(x)
        shift = tf.one_hot(dims, self.latent_dim)[None, :, None, :] * sweep[None, None, :, None]
        z = mu[:, None, None, :] + shift
        grid = tf.shape(z)[:3]
        images = self._decode(tf.reshape(z, [-1, self.latent_dim]))
        probabilities = self._classify(images)
        return (tf.reshape(images, tf.concat([grid, self.input_shape_], 0)),
                tf.reshape(probabilities, tf.concat([grid, [-1]], 0)))

    def explain(self, x, sweep=np.linspace(-3, 3, 7), dims=None):
        """Sweeps of each latent coordinate around the encoder mean of each sample of ``x``.

        Coordinate ``d`` of ``mu(x)`` is shifted by each value of ``sweep`` (the others kept)
        and decoded. Returns an ``Explanation`` (a dict with attribute access and ``meta``)
        ``{"images", "probabilities", "sweep", "dims"}``, images and probabilities of shapes
        ``(n, len(dims), S, *input_shape)`` and ``(n, len(dims), S, M)``; it unpacks as the pair
        ``images, probabilities = explainer.explain(x)``. ``dims`` default to all, α₁..α_K,
        β₁..β_L. Deterministic.
        """
        self._check_trained()
        x = self._check_samples("x", x)
        sweep = as_float_array("sweep", sweep)
        if sweep.ndim != 1 or len(sweep) == 0:
            raise ValueError(f"sweep: expected a non-empty 1-D array of latent shifts, got {describe(sweep)}")
        dims = self._check_dims(dims)
        run = self._compile("explain", self._sweeps, [self._spec(None, *self.input_shape_), self._spec(None),
                                                      self._spec(None, dtype=tf.int32)])
        chunk = max(1, self._decoded_per_call() // (len(dims) * len(sweep)))
        parts = [run(x[rows], sweep, dims) for rows in row_slices(len(x), chunk)]
        images, probabilities = (np.concatenate([part[i] for part in parts]) for i in range(2))
        return Explanation({"images": images, "probabilities": probabilities, "sweep": sweep, "dims": dims},
                           "GenerativeCausalExplainer", params={"K": self.K, "L": self.L}, model=self.classifier,
                           unpack=("images", "probabilities"))

    def _decoded_per_call(self):
        """Decoded samples per call (information flow, sweeps, aspect removal): the adapter's chunk policy."""
        return default_batch_size(4 * int(np.prod(self.input_shape_)))

    def _removal(self, x, noise):
        mu, _ = self._encode(x)
        replace = tf.eye(self.latent_dim)[None]
        z = mu[:, None, :] * (1.0 - replace) + noise[:, None, :] * replace
        removed = self._classify(self._decode(tf.reshape(z, [-1, self.latent_dim])))
        return (self._classify(x), self._classify(self._decode(mu)),
                tf.reshape(removed, [tf.shape(x)[0], self.latent_dim, -1]))

    def aspect_removal_accuracy(self, X, y):
        """Accuracy of the classifier on ``X`` (labels ``y``: class indices), on its reconstructions
        ``decode(mu(x))`` and, for each latent coordinate (α first), with that coordinate of
        ``mu(x)`` replaced by a fresh N(0, 1) draw (paper fig. 5b).
        Returns an ``Explanation`` ``{"original": float, "reencoded": float, "removed": array (K + L,)}``."""
        self._check_trained()
        X = self._check_samples("X", X)
        y = np.asarray(y)
        if y.shape != (len(X),) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y: expected {len(X)} integer class labels (one per sample of X), got {describe(y)}")
        if y.min() < 0:
            raise ValueError(f"y: expected class indices >= 0, got values from {y.min()} to {y.max()}")
        run = self._compile("removal", self._removal, [self._spec(None, *self.input_shape_),
                                                       self._spec(None, self.latent_dim)])
        noise = self._rng(4).standard_normal((len(X), self.latent_dim)).astype(np.float32)
        hits = [[], [], []]
        for rows in row_slices(len(X), max(1, self._decoded_per_call() // (self.latent_dim + 2))):
            outputs = run(X[rows], noise[rows])
            if y.max() >= outputs[0].shape[1]:
                raise ValueError(f"y: expected class indices in [0, {outputs[0].shape[1]}) (the classifier's "
                                 f"classes), got values from {y.min()} to {y.max()}")
            for hit, probabilities in zip(hits, outputs):
                hit.append(np.argmax(probabilities, axis=-1) == (y[rows] if probabilities.ndim == 2 else y[rows, None]))
        original, reencoded, removed = (np.concatenate(h).mean(axis=0) for h in hits)
        return Explanation({"original": float(original), "reencoded": float(reencoded), "removed": removed},
                           "GenerativeCausalExplainer",
                           params={"K": self.K, "L": self.L, "random_state": self.random_state}, model=self.classifier)

    # -- persistence --------------------------------------------------------------------------

    def save(self, directory, overwrite=False):
        """Write the trained explainer to ``directory`` (``gce.json`` + ``weights.h5``); see
        :mod:`cxplain.gce.persistence`. The classifier is not saved."""
        persistence.save(self, directory, overwrite)

    @classmethod
    def load(cls, directory, classifier, encoder=None, decoder=None):
        """The explainer saved in ``directory``, explaining ``classifier``; a custom VAE must be
        passed again (built the same way), the default one is rebuilt from the configuration."""
        return persistence.load(cls, directory, classifier, encoder, decoder)
