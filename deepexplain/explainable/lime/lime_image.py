"""LIME for images (Ribeiro et al., KDD 2016): superpixels switched on and off.

The image is cut into superpixels with scikit-image (quickshift or SLIC). Each sample keeps
every superpixel with probability 1/2 (row 0 keeps all) and replaces the others by the
superpixel's mean colour (or ``hide_color``); proximity is the cosine distance of the on/off
vector to all-on, with lime's kernel width 0.25. The perturbed images are built chunk by chunk
while they stream through the model.

Segmentation defaults: lime's quickshift settings (kernel_size=4, max_dist=200, ratio=0.2)
suit 224-pixel photos but give 1-3 segments on small images. Here quickshift runs in Lab space
with ``ratio=0.5``, ``kernel_size = max(1, side/56)`` and ``max_dist = 6·kernel_size`` (side =
the shorter image side), and ``max_dist`` is halved or doubled (at most 6 times) until the
image has between ``min_segments=10`` and ``max_segments=100`` superpixels. SLIC asks for 50
segments. ``segmentation_params`` overrides these (and switches the adaptation off).
"""
import inspect

import matplotlib.pyplot as plt
import numpy as np
from skimage.color import gray2rgb, rgb2lab
from skimage.segmentation import mark_boundaries, quickshift, slic

from ...batching import check_memory
from ...explanation import Explanation
from ...models import Predictor, predict_streamed
from ...validation import as_float_array, describe, is_number, positive_float, random_generator
from .lime_surrogate import (
    check_class_names,
    check_feature_selection,
    check_sampling,
    cosine_distances_to_all_on,
    explained_label,
    exponential_kernel,
    fit_surrogate,
    label_name,
)

SEGMENTATIONS = ("quickshift", "slic")
MIN_SEGMENTS, MAX_SEGMENTS = 10, 100
RESERVED_PARAMS = ("image", "return_tree", "convert2lab", "channel_axis", "start_label")
"""Parameters of the scikit-image functions that ``segment`` sets itself."""


def check_segmentation_params(segmentation, params):
    """``params`` (None or a dict of keyword arguments of the scikit-image function ``segmentation``
    names, other than ``RESERVED_PARAMS``)."""
    if params is None:
        return None
    if not isinstance(params, dict):
        raise TypeError(f"segmentation_params: expected a dict or None, got {describe(params)}")
    if callable(segmentation):
        raise ValueError(f"segmentation_params: expected None with a segmentation function (give the function its "
                         f"parameters), got {describe(params)}")
    accepted = [name for name in inspect.signature({"quickshift": quickshift, "slic": slic}[segmentation]).parameters
                if name not in RESERVED_PARAMS]
    unknown = sorted(str(name) for name in params if name not in accepted)
    if unknown:
        raise ValueError(f"segmentation_params: expected keyword arguments of scikit-image's {segmentation} among "
                         f"{accepted}, got unknown {unknown}")
    return dict(params)


def check_hide_color(value):
    """``value`` as a finite float, or None (each superpixel's mean colour)."""
    if value is None:
        return None
    if not is_number(value):
        raise TypeError(f"hide_color: expected a number or None (each superpixel's mean colour), got {describe(value)}")
    if not np.isfinite(value):
        raise ValueError(f"hide_color: expected a finite number or None, got {describe(value)}")
    return float(value)


def _unit_range(image):
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def segment(image, method="quickshift", params=None):
    """Superpixel labels (0, 1, ...) of a 2-D or HxWxC image with scikit-image."""
    scaled = _unit_range(np.asarray(image, dtype=np.float64))
    gray = scaled.ndim == 2 or scaled.shape[-1] == 1
    if method == "slic":
        if gray:
            options = dict(n_segments=50, compactness=0.1, channel_axis=None, **(params or {}))
            labels = slic(scaled.reshape(scaled.shape[:2]), start_label=0, **options)
        else:
            options = dict(n_segments=50, compactness=10.0, **(params or {}))
            labels = slic(scaled[..., :3], start_label=0, **options)
    else:
        lab = rgb2lab(gray2rgb(scaled.reshape(scaled.shape[:2])) if gray else scaled[..., :3])
        if params is not None:
            labels = quickshift(lab, convert2lab=False, **params)
        else:
            kernel_size = max(1.0, min(scaled.shape[:2]) / 56)
            max_dist = 6 * kernel_size
            for _ in range(7):
                labels = quickshift(lab, kernel_size=kernel_size, max_dist=max_dist, ratio=0.5, convert2lab=False)
                count = len(np.unique(labels))
                if count < MIN_SEGMENTS and max_dist > 1:
                    max_dist /= 2
                elif count > MAX_SEGMENTS:
                    max_dist *= 2
                else:
                    break
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)


class LimeImage:
    """Which superpixels of an image make the model predict a class.

    Args:
        model: model taking a batch of images shaped like the explained image (see
            ``Predictor``).
        class_names: one name per model output (optional).
        segmentation: "quickshift" (default), "slic", or a function image → integer labels.
        segmentation_params: keyword arguments of the scikit-image function (replace the
            defaults described in the module docstring).
        hide_color: value of switched-off superpixels (default: each superpixel's mean colour).
        kernel_width: proximity kernel width on cosine distances (lime: 0.25).
        feature_selection: as ``LimeTabular``.
        batch_size: most images per model call; progress: show a progress bar.
        random_state: the explainer's default for ``explain``'s ``random_state`` (used when the
            call gives None): None (fresh draws), an int (the same draws on every call) or a
            ``numpy.random.Generator``.
        session: for a tf_keras model in TF1 session-style code, its ``tf.compat.v1.Session``
            (default: the default session when eager execution is disabled).

    ``explain(image)`` (HxW or HxWxC) returns an ``Explanation`` (a dict with attribute access
    and ``meta``): ``prediction`` (model output), ``label``/``class_name`` (explained output,
    default the largest), ``image`` (the explained image), ``segments`` (HxW labels),
    ``weights`` (one surrogate weight per superpixel, 0 for unselected ones), ``mask`` (HxW: +1
    on the selected superpixels supporting the class, −1 on those against it, 0 elsewhere),
    ``intercept``, ``score`` and ``local_prediction``.

    Example::

        explainer = LimeImage(cnn, class_names=[str(d) for d in range(10)])
        explanation = explainer.explain(images[0], num_features=5, random_state=0)
        figure = explainer.plot_explanation(explanation, images[0])
    """

    def __init__(self, model, class_names=None, segmentation="quickshift", segmentation_params=None,
                 hide_color=None, kernel_width=0.25, feature_selection="auto", batch_size=None, progress=True,
                 session=None, random_state=None):
        self.predictor = Predictor(model, batch_size, session)
        random_generator("random_state", random_state)
        self.random_state = random_state
        self.class_names = check_class_names(class_names)
        if not callable(segmentation) and segmentation not in SEGMENTATIONS:
            raise ValueError(f"segmentation: expected one of {SEGMENTATIONS} or a function, "
                             f"got {describe(segmentation)}")
        self.segmentation = segmentation
        self.segmentation_params = check_segmentation_params(segmentation, segmentation_params)
        self.hide_color = check_hide_color(hide_color)
        self.kernel_width = positive_float("kernel_width", kernel_width)
        self.feature_selection = check_feature_selection(feature_selection)
        self.progress = progress

    def _segments(self, image):
        if callable(self.segmentation):
            labels = np.asarray(self.segmentation(image))
            if labels.shape != image.shape[:2]:
                raise ValueError(f"segmentation: expected labels of shape {image.shape[:2]}, got {labels.shape}")
            return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
        if self.segmentation_params is None:
            return segment(image, self.segmentation)
        try:
            return segment(image, self.segmentation, self.segmentation_params)
        except (TypeError, ValueError) as error:
            raise ValueError(f"segmentation_params: scikit-image's {self.segmentation} refused "
                             f"{self.segmentation_params} ({type(error).__name__}: {error})") from error

    def explain(self, image, num_features=10, num_samples=1000, label=None, random_state=None):
        """Explain the model's output ``label`` (default: the largest output) for ``image``."""
        image = as_float_array("image", image)
        if image.ndim not in (2, 3):
            raise ValueError(f"image: expected one image of shape (height, width) or (height, width, channels), "
                             f"got shape {image.shape}")
        random_state = self.random_state if random_state is None else random_state
        num_features, num_samples, rng = check_sampling(num_features, num_samples, random_state, "the image")
        segments = self._segments(image)
        n_segments = int(segments.max()) + 1
        check_memory("num_samples", num_samples, num_samples * (24 * n_segments + 64), "perturbed samples")
        if self.hide_color is None:
            flat = image.reshape(segments.size, -1)
            counts = np.bincount(segments.ravel(), minlength=n_segments)
            means = np.stack([np.bincount(segments.ravel(), flat[:, c], n_segments) for c in range(flat.shape[1])], 1)
            hidden = (means / counts[:, None])[segments].reshape(image.shape).astype(np.float32)
        else:
            hidden = np.full_like(image, self.hide_color)
        switches = rng.integers(0, 2, size=(num_samples, n_segments)).astype(np.float64)
        switches[0] = 1.0
        keep_axes = (slice(None), Ellipsis) + (None,) * (image.ndim - 2)

        def images(start, stop):
            keep = switches[start:stop, segments].astype(bool)
            return np.where(keep[keep_axes], image, hidden)

        outputs = predict_streamed(self.predictor, num_samples, images, self.progress, "LimeImage")
        label = explained_label(label, outputs[0])
        distances = cosine_distances_to_all_on(switches)
        surrogate = fit_surrogate(switches, outputs[:, label], exponential_kernel(distances, self.kernel_width),
                                  num_features, self.feature_selection)
        weights = np.zeros(n_segments)
        weights[surrogate["features"]] = surrogate["weights"]
        params = {"num_features": num_features, "num_samples": num_samples, "label": label,
                  "random_state": random_state, "hide_color": self.hide_color, "kernel_width": self.kernel_width}
        return Explanation({
            "prediction": outputs[0],
            "label": label,
            "class_name": label_name(self.class_names, label),
            "image": image,
            "segments": segments,
            "weights": weights,
            "mask": np.sign(weights)[segments].astype(np.int8),
            "intercept": surrogate["intercept"],
            "score": surrogate["score"],
            "local_prediction": surrogate["local_prediction"],
        }, "LimeImage", params=params, model=self.predictor.model, output_names=self.class_names)

    def plot_explanation(self, explanation, image=None, figsize=(8, 3.2)):
        """The image with superpixel boundaries, and the selected superpixels tinted green (for
        the class) and red (against it). ``image`` defaults to the explained image (the
        ``image`` entry; black when the result has none). Returns the figure."""
        segments, mask = explanation["segments"], explanation["mask"]
        image = explanation.get("image") if image is None else image
        if image is None:
            shown = np.zeros(segments.shape)
        else:
            shown = _unit_range(np.asarray(image, dtype=np.float64))
            shown = shown.reshape(shown.shape[:2]) if shown.ndim == 2 or shown.shape[-1] == 1 else shown[..., :3]
        rgb = gray2rgb(shown) if shown.ndim == 2 else shown
        overlay = rgb.copy()
        overlay[mask > 0] = 0.5 * overlay[mask > 0] + 0.5 * np.array([0.0, 0.8, 0.0])
        overlay[mask < 0] = 0.5 * overlay[mask < 0] + 0.5 * np.array([0.9, 0.0, 0.0])
        figure, axes = plt.subplots(1, 2, figsize=figsize)
        axes[0].imshow(mark_boundaries(rgb, segments, color=(1, 1, 0)))
        axes[0].set_title(f"{int(segments.max()) + 1} superpixels", fontsize=9)
        axes[1].imshow(mark_boundaries(overlay, segments, color=(1, 1, 0)))
        axes[1].set_title(f"LIME for {explanation['class_name']} (green for, red against)", fontsize=9)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        figure.tight_layout()
        return figure
