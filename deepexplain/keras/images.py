"""Attribution maps as one RGB image per logged epoch, for TensorBoard.

Every probe sample's map is reduced to two dimensions (channels summed, as
:func:`deepexplain.plotting.heatmap` draws it; a vector of features becomes one row),
coloured with the plotting module's diverging map ``RdBu_r`` (red positive, blue negative)
between ``-limit`` and ``limit``, enlarged by whole pixels and laid out in a grid.
"""
import struct
import zlib

import matplotlib
import numpy as np

CMAP = "RdBu_r"
CELL_PIXELS = 64
"""Maps are enlarged (nearest neighbour) until their longer side has at least this many pixels."""
COLUMNS = 8
SEPARATOR = 2
BACKGROUND = 255


def two_d(attributions):
    """``(samples, h, w)`` maps from attributions of shape ``(samples, ...)``: ``(h, w, c)`` samples
    are summed over channels, vectors become ``(1, features)``, other ranks are flattened to one row."""
    attributions = np.asarray(attributions, np.float64)
    n = len(attributions)
    sample = attributions.shape[1:]
    if len(sample) == 3:
        return attributions.sum(axis=-1)
    if len(sample) == 2:
        return attributions
    return attributions.reshape(n, 1, -1)


def colour(maps, limit):
    """``maps`` as uint8 RGB through ``RdBu_r`` on ``[-limit, limit]`` (values beyond saturate)."""
    table = (matplotlib.colormaps[CMAP](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    index = np.clip(np.round((np.nan_to_num(maps) / limit + 1) * 127.5), 0, 255).astype(np.int64)
    return table[index]


def grid(maps, limit):
    """One ``(height, width, 3)`` uint8 image of all ``maps`` (``(samples, h, w)``), ``COLUMNS`` per
    row (one per row for vectors), separated by white lines."""
    n, h, w = maps.shape
    scale_x = max(1, CELL_PIXELS // max(h, w))
    scale_y = max(scale_x, -(-8 // h))
    cells = colour(maps, limit).repeat(scale_y, axis=1).repeat(scale_x, axis=2)
    columns = 1 if h == 1 else min(n, COLUMNS)
    rows = -(-n // columns)
    cell_h, cell_w = h * scale_y, w * scale_x
    image = np.full((rows * (cell_h + SEPARATOR) - SEPARATOR, columns * (cell_w + SEPARATOR) - SEPARATOR, 3),
                    BACKGROUND, np.uint8)
    for i, cell in enumerate(cells):
        top, left = (i // columns) * (cell_h + SEPARATOR), (i % columns) * (cell_w + SEPARATOR)
        image[top:top + cell_h, left:left + cell_w] = cell
    return image


def png(image):
    """The PNG encoding (8-bit RGB, no interlace) of a ``(height, width, 3)`` uint8 image."""
    height, width, _ = image.shape
    scanlines = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, width * 3)], axis=1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(scanlines.tobytes(), 1))
            + chunk(b"IEND", b""))
