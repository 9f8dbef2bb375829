"""First-call time of deeplift and deepshap in session style against eager style, on the same model.

Model: tf_keras ResNet50 (random weights, 32x32x3 inputs, 10 classes: the graph, and so the
time to build and compile it, does not depend on the input size), 2 images; deepshap with a
background of 2 rows. Each figure is the time of the first ``explain`` call, which builds the
explained function and runs it once, in a fresh process (no cache shared between styles):

* eager: ``deepexplain.explain(method, model, xs)`` (the model traced in a ``tf.function``);
* session: ``DeepExplain(session=K.get_session()).explain(method, model, xs=xs)``, the model
  built in the session's graph before the context.

The target is a session/eager ratio of at most 3.

    python bench/bench_session_compile.py [--model ResNet50] [--methods deeplift deepshap]
"""
import argparse
import json
import os
import subprocess
import sys
import time

SIZE, ROWS = 32, 2


def first_call(style, model_name, method):
    """Seconds of the first explain call of ``method`` in ``style`` (run in this process)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    import tf_keras
    from tf_keras.api._v1.keras import backend as K

    import deepexplain

    xs = np.random.default_rng(0).normal(size=(ROWS, SIZE, SIZE, 3)).astype(np.float32)
    params = {"background": xs[::-1].copy()} if method == "deepshap" else {}

    def build():
        return getattr(tf_keras.applications, model_name)(weights=None, input_shape=(SIZE, SIZE, 3), classes=10)

    if style == "eager":
        model = build()
        start = time.perf_counter()
        deepexplain.explain(method, model, xs, **params)
        return time.perf_counter() - start
    with tf.Graph().as_default():
        model = build()
        with deepexplain.DeepExplain(session=K.get_session()) as de:
            start = time.perf_counter()
            de.explain(method, model, xs=xs, **params)
            return time.perf_counter() - start


def in_fresh_process(style, model_name, method):
    command = [sys.executable, __file__, "--child", style, "--model", model_name, "--methods", method]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{style} {method} failed (exit status {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ResNet50", help="a tf_keras.applications model (default ResNet50)")
    parser.add_argument("--methods", nargs="+", default=["deeplift", "deepshap"])
    parser.add_argument("--child", choices=["eager", "session"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"seconds": first_call(args.child, args.model, args.methods[0])}))
        return
    print(f"tf_keras {args.model}, {SIZE}x{SIZE}x3, {ROWS} images: first explain call (build + run), seconds")
    print(f"{'method':<10} {'eager':>8} {'session':>8} {'session/eager':>14} (target <= 3)")
    for method in args.methods:
        eager = in_fresh_process("eager", args.model, method)
        session = in_fresh_process("session", args.model, method)
        print(f"{method:<10} {eager:8.1f} {session:8.1f} {session / eager:14.2f}", flush=True)


if __name__ == "__main__":
    main()
