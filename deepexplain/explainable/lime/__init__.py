"""The LIME family: local surrogate models for tables, text and images."""
from .lime_image import LimeImage
from .lime_tabular import LimeTabular
from .lime_text import LimeText

__all__ = ["LimeImage", "LimeTabular", "LimeText"]
