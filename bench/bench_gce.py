"""GCE training speed on the digits example (3 vs 8, K = 1, L = 7, Nα = 25, Nβ = 100), in one run.

Our compiled training step (Adam on the VAE, the Nα·Nβ decode + classify as one batch;
without XLA, the default, and with it) against its floor: the same forward and backward passes written by hand with
``GradientTape`` in one ``tf.function`` (the decoder and classifier over the Nα·Nβ latent
draws plus the VAE on the batch; no optimiser update). Then steps per second of the whole
``train`` loop (drawing batches and latents in NumPy, one compiled call per step).

Run: python bench/bench_gce.py
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from gce_digits import K, L, digits_3_vs_8, train_classifier  # noqa: E402
from timing import best_time, paired_best_times  # noqa: E402

from cxplain import GenerativeCausalExplainer  # noqa: E402
from cxplain.gce import explainer as gce_explainer  # noqa: E402
from cxplain.gce.information_flow import latent_draws  # noqa: E402

N_ALPHA, N_BETA, BATCH, STEPS_PER_CALL, REPEATS = 25, 100, 64, 3, 15


def floor_step(explainer):
    """One hand-written forward + backward of the GCE objective in one tf.function (traced for
    the static shapes of the timed inputs)."""
    encoder, decoder, classifier = explainer.encoder, explainer.decoder, explainer.classifier
    variables = encoder.trainable_variables + decoder.trainable_variables

    @tf.function
    def step(x, eps, z):
        with tf.GradientTape() as tape:
            mu, logvar = encoder(x)
            reconstruction = decoder(mu + tf.exp(0.5 * logvar) * eps)
            mse = tf.reduce_mean(tf.reduce_sum(tf.square(x - reconstruction), axis=[1, 2, 3]))
            kld = tf.reduce_mean(-0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar), axis=1))
            p = tf.reduce_mean(tf.reshape(classifier(decoder(tf.reshape(z, [-1, K + L])), training=False),
                                          [N_ALPHA, N_BETA, -1]), axis=1)
            q = tf.reduce_mean(p, axis=0)
            flow = (-tf.reduce_sum(q * tf.math.log(q + 1e-8))
                    + tf.reduce_mean(tf.reduce_sum(p * tf.math.log(p + 1e-8), axis=1)))
            loss = -flow + 0.05 * (mse + kld)
        return loss, tape.gradient(loss, variables)

    return step.get_concrete_function(*[tf.TensorSpec(a.shape, tf.float32) for a in (x, eps, z)])


def compiled_step(jit_compile):
    gce_explainer.JIT_COMPILE = jit_compile
    explainer = GenerativeCausalExplainer(cnn, K, L, width=32, random_state=0)
    explainer.train(x_train, steps=1, Nalpha=N_ALPHA, Nbeta=N_BETA, progress=False)
    return explainer, explainer._step_function()


x_train, y_train, _, _ = digits_3_vs_8()
cnn = train_classifier(x_train, y_train)
rng = np.random.default_rng(0)
x = x_train[rng.integers(0, len(x_train), BATCH)]
eps = rng.standard_normal((BATCH, K + L)).astype(np.float32)
z = latent_draws(rng, N_ALPHA, N_BETA, range(K), K + L)
settings = np.array([0.05, 1.0, 5e-4, 0.5, 0.999], np.float32)

print(f"{os.cpu_count()} CPU cores visible; "
      f"tf intra-op threads {tf.config.threading.get_intra_op_parallelism_threads()}")
results = {}
for jit in (False, True):
    explainer, ours = compiled_step(jit)
    floor = floor_step(explainer)
    tensors = [tf.constant(a) for a in (x, eps, z)]

    def run_ours(ours=ours):
        for _ in range(STEPS_PER_CALL):
            ours(x, eps, z, settings)

    def run_floor(floor=floor, tensors=tensors):
        for _ in range(STEPS_PER_CALL):
            loss, _ = floor(*tensors)
            loss.numpy()

    mine, base = paired_best_times(run_ours, run_floor, repeats=REPEATS)
    results[jit] = mine / STEPS_PER_CALL
    print(f"training step, {N_ALPHA}x{N_BETA} latent draws, batch {BATCH} (XLA {'on' if jit else 'off, the default'}): "
          f"ours {1e3 * mine / STEPS_PER_CALL:.1f} ms, floor {1e3 * base / STEPS_PER_CALL:.1f} ms, "
          f"ratio {mine / base:.2f} (target <= 1.3)")

gce_explainer.JIT_COMPILE = False
explainer = GenerativeCausalExplainer(cnn, K, L, width=32, random_state=0)
explainer.train(x_train, steps=2, Nalpha=N_ALPHA, Nbeta=N_BETA, progress=False)
seconds = best_time(lambda: explainer.train(x_train, steps=20, Nalpha=N_ALPHA, Nbeta=N_BETA, progress=False))
print(f"train loop on the digits example (Nβ = {N_BETA}): {20 / seconds:.1f} steps/s "
      f"(with XLA the step takes {results[True] / results[False]:.1f}x as long)")
