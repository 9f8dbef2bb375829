"""GCE figures: frames in the winning class's colour, probabilities under each image, bars."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from cxplain.gce import plot_aspect_removal, plot_information_flow, plot_sweeps
from cxplain.gce.plotting import CLASS_COLOURS

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(2, 3, 4, 8, 8, 1))
PROBABILITIES = RNG.dirichlet(np.ones(3), size=(2, 3, 4))


def test_sweep_frames_take_the_winning_class_colour_and_bars_show_the_probabilities():
    figure = plot_sweeps(IMAGES, PROBABILITIES, K=1, sweep=np.linspace(-1, 1, 4), class_names=["a", "b", "c"])
    assert isinstance(figure, matplotlib.figure.Figure)
    pictures = [ax for ax in figure.axes if ax.images]
    bars = [ax for ax in figure.axes if ax.patches]
    assert len(pictures) == len(bars) == 2 * 3 * 4
    for k, (picture, bar) in enumerate(zip(pictures, bars)):
        block, i, j = k // 8, (k // 4) % 2, k % 4  # blocks of latent factors, rows of samples
        p = PROBABILITIES[i, block, j]
        assert picture.spines["left"].get_edgecolor() == to_rgba(CLASS_COLOURS[np.argmax(p)])
        np.testing.assert_allclose([patch.get_width() for patch in bar.patches], p)
        np.testing.assert_allclose(picture.images[0].get_array(), IMAGES[i, block, j, ..., 0])
    labels = [text.get_text() for ax in figure.axes for text in ax.texts if text.get_text() in ("α1", "β1", "β2")]
    assert labels == ["α1", "β1", "β2"]
    plt.close(figure)


def test_sweep_of_selected_dims_is_labelled_by_their_latent_names():
    figure = plot_sweeps(IMAGES[:, :1], PROBABILITIES[:, :1], K=2, dims=[3])
    assert [t.get_text() for ax in figure.axes for t in ax.texts if t.get_text().startswith(("α", "β"))] == ["β2"]
    plt.close(figure)


def test_sweep_shapes_must_agree():
    with pytest.raises(ValueError, match="images: expected a leading shape"):
        plot_sweeps(IMAGES[:, :2], PROBABILITIES, K=1)


def test_information_flow_bars():
    flow = np.array([0.6, 0.01, 0.02])
    figure = plot_information_flow(flow, K=1, n_classes=2)
    ax = figure.axes[0]
    np.testing.assert_allclose([patch.get_height() for patch in ax.patches], flow)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["α1", "β1", "β2"]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(np.log(2))
    plt.close(figure)


def test_aspect_removal_bars():
    result = {"original": 0.99, "reencoded": 0.95, "removed": np.array([0.5, 0.94])}
    figure = plot_aspect_removal(result, K=1)
    ax = figure.axes[0]
    np.testing.assert_allclose([patch.get_height() for patch in ax.patches], [0.99, 0.95, 0.5, 0.94])
    assert [label.get_text() for label in ax.get_xticklabels()] == ["original", "reencoded", "α1", "β1"]
    plt.close(figure)
