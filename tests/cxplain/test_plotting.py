"""Figures are returned (never shown) and error bars are offsets from the attribution."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from cxplain.plotting import (interval_offsets, plot_feature_attribution, plot_image_attribution,  # noqa: E402
                              plot_text_attribution)


def test_error_bars_are_offsets_from_the_attribution():
    attribution = np.array([0.5, 0.3, 0.2])
    interval = np.array([[0.4, 0.7], [0.3, 0.35], [0.0, 0.25]])
    np.testing.assert_allclose(interval_offsets(attribution, interval), [[0.1, 0.0, 0.2], [0.2, 0.05, 0.05]])
    figure = plot_feature_attribution(attribution, interval, ["a", "b", "c"])
    segments = [c for c in figure.axes[0].collections if hasattr(c, "get_segments")][0].get_segments()
    np.testing.assert_allclose([(s[0][1], s[1][1]) for s in segments], interval)  # bars span [lower, upper]


def test_image_and_text_figures():
    image = np.random.default_rng(0).random((8, 8, 1))
    attribution = image / image.sum()
    interval = np.stack([attribution * 0.5, attribution * 1.5], axis=-1)
    assert len(plot_image_attribution(image, attribution, interval).axes) == 5  # 3 panels + 2 colour bars
    assert len(plot_image_attribution(image, attribution).axes) == 3
    figure = plot_text_attribution(["a", "good", "film"], [0.1, 0.8, 0.1])
    assert [t.get_text() for t in figure.axes[0].texts] == ["a", "good", "film"]
