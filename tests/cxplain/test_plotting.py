"""Figures are returned (never shown) and error bars are offsets from the attribution."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from cxplain.plotting import (  # noqa: E402
    contrast_ratio,
    interval_offsets,
    plot_feature_attribution,
    plot_image_attribution,
    plot_text_attribution,
)


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


def test_non_negative_maps_use_a_sequential_colour_map_from_zero():
    attribution = np.random.default_rng(1).random((6, 6, 1))
    figure = plot_image_attribution(np.zeros((6, 6, 1)), attribution / attribution.sum())
    image = figure.axes[1].images[0]
    assert image.get_cmap().name == "Reds"
    assert image.norm.vmin == 0 and np.isclose(image.norm.vmax, attribution.max() / attribution.sum())
    digit = np.zeros((6, 6, 1))
    digit[1:5, 2:4] = 1
    outlined = plot_image_attribution(digit, attribution).axes[1]
    assert len(outlined.collections) == 1  # the input's outline over the map


def test_highlighted_tokens_stay_legible():
    tokens = [f"word{i}" for i in range(40)]
    figure = plot_text_attribution(tokens, np.linspace(0, 1, 40), line_length=50)
    figure.canvas.draw()
    texts = figure.axes[0].texts
    assert [t.get_text() for t in texts] == tokens
    for text in texts:  # WCAG AA contrast for body text
        assert contrast_ratio(to_rgb(text.get_color()), text.get_bbox_patch().get_facecolor()) >= 4.5
    boxes = [t.get_window_extent() for t in texts]
    rows = {}
    for box in boxes:
        rows.setdefault(round(box.y0), []).append(box)
    assert len(rows) > 1  # wrapped into lines
    for row in rows.values():  # tokens of a line do not overlap
        row.sort(key=lambda b: b.x0)
        assert all(a.x1 <= b.x0 for a, b in zip(row, row[1:]))


def test_contrast_ratio_matches_wcag():
    assert np.isclose(contrast_ratio((0, 0, 0), (1, 1, 1)), 21)
    assert np.isclose(contrast_ratio((1, 1, 1), (1, 1, 1)), 1)
