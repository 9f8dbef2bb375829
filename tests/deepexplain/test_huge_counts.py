"""Counts of copies streamed: draws made in chunks, memory independent of the count, results
independent of batch_size and the same for the same int seed."""
import tracemalloc

import numpy as np
import pytest
from networks import random_mlp

import deepexplain
from deepexplain.compiled_model import CompiledModel
from deepexplain.methods import base
from deepexplain.methods.base import StreamedDraws, chunk_copies, copy_blocks

MODEL = random_mlp(3, sizes=(8, 16, 3))
ROWS = np.random.default_rng(3).normal(size=(3, 8)).astype(np.float32)
CHUNK_VALUES = 64  # 8 copies of 8 features per chunk of noise


def normal_draws(seed, count, chunk=4):
    draws = StreamedDraws(seed)
    draws.start(count, chunk, lambda generator, size: [generator.standard_normal((size, 2))])
    return draws


def test_draws_are_made_only_for_the_copies_asked():
    draws = normal_draws(0, 10**15)
    (last,) = draws[slice(10**15 - 3, 10**15)]
    assert last.shape == (3, 2)
    (middle,) = draws[slice(10**14 + 2, 10**14 + 7)]  # across two chunks: only those two are held
    assert middle.shape == (5, 2) and len(draws._held) == 2


def test_draws_do_not_depend_on_how_they_are_asked_for():
    (whole,) = normal_draws(5, 11)[slice(0, 11)]
    pieces = normal_draws(5, 11)
    np.testing.assert_array_equal(np.concatenate([pieces[slice(a, b)][0] for a, b in [(0, 3), (3, 9), (9, 11)]]), whole)
    assert not np.allclose(whole[:4], whole[4:8])  # each chunk has a generator of its own


def test_an_int_seed_repeats_the_draws_and_none_or_a_generator_do_not():
    assert np.array_equal(normal_draws(5, 6)[slice(0, 6)][0], normal_draws(5, 6)[slice(0, 6)][0])
    assert not np.allclose(normal_draws(None, 6)[slice(0, 6)][0], normal_draws(None, 6)[slice(0, 6)][0])
    draws = normal_draws(np.random.default_rng(1), 6)
    (first,) = draws[slice(0, 6)]
    draws.start(6, 4, draws._make)
    assert not np.allclose(draws[slice(0, 6)][0], first)
    np.testing.assert_array_equal(normal_draws(np.random.default_rng(1), 6)[slice(0, 6)][0], first)


def test_copy_blocks_are_made_one_at_a_time():
    blocks = copy_blocks(2, 10**15, 64)
    assert next(iter(blocks)).copies == slice(0, 64)


# Counts of several draw chunks: 8 copies per chunk of smoothgrad's and expected_gradients' draws
# (CHUNK_VALUES), 128 orderings of 8 players per group of shapley_sampling.
CASES = [
    ("smoothgrad", {"samples": 37, "squared": True}),
    ("expected_gradients", {"samples": 37, "background": ROWS[::-1] + 1, "local_smoothing": 0.1}),
    ("shapley_sampling", {"samples": 300}),
]


@pytest.mark.parametrize("method, params", CASES, ids=[c[0] for c in CASES])
def test_many_chunks_repeat_and_do_not_depend_on_batch_size(monkeypatch, method, params):
    monkeypatch.setattr(base, "DRAW_CHUNK_VALUES", CHUNK_VALUES)
    explainer = deepexplain.get_explainer(method, MODEL, seed=9, progress=False, **params)
    whole = explainer.run(ROWS)
    np.testing.assert_array_equal(explainer.run(ROWS), whole)
    again = deepexplain.get_explainer(method, MODEL, seed=9, progress=False, **params).run(ROWS)
    np.testing.assert_array_equal(again, whole)
    for batch_size in (5, 13, 2000):  # runs of one sample's copies across chunks; whole samples per call
        np.testing.assert_allclose(explainer.run(ROWS, batch_size=batch_size), whole, rtol=1e-6, atol=1e-7)
    other = deepexplain.get_explainer(method, MODEL, seed=10, progress=False, **params).run(ROWS)
    assert not np.allclose(other, whole)


def traced_peak(run):
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("method, params", CASES, ids=[c[0] for c in CASES])
def test_memory_does_not_grow_with_the_count(method, params):
    # One row: 16 times the copies (of two draw chunks, or groups of orderings) take no more memory,
    # where holding every copy's draws would take over 4 MB more.
    def peak(count):
        explainer = deepexplain.get_explainer(method, MODEL, seed=0, progress=False, **dict(params, samples=count))
        explainer.run(ROWS[:1], batch_size=1024)  # compiled before tracing
        return traced_peak(lambda: explainer.run(ROWS[:1], batch_size=1024))

    chunk = {"smoothgrad": chunk_copies(8), "expected_gradients": chunk_copies(2 + 8), "shapley_sampling": 128}
    count = 2 * chunk[method]
    assert peak(16 * count) < peak(count) + 2**19


@pytest.mark.parametrize("method, params", CASES, ids=[c[0] for c in CASES])
def test_an_interrupted_run_leaves_the_explainer_usable(monkeypatch, method, params):
    explainer = deepexplain.get_explainer(method, MODEL, seed=9, progress=False, **params)
    expected = explainer.run(ROWS, batch_size=64)
    name = "outputs" if method == "shapley_sampling" else "gradients"
    calls = []
    original = getattr(CompiledModel, name)

    def interrupted(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(CompiledModel, name, interrupted)
    with pytest.raises(KeyboardInterrupt):
        explainer.run(ROWS, batch_size=64)
    np.testing.assert_array_equal(explainer.run(ROWS, batch_size=64), expected)
