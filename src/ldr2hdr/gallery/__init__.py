"""Before/after gallery of real photos: inputs, reconstructions, Ultra HDR files, luminance maps.

See docs/gallery-and-study.md. :func:`build_gallery` writes the gallery folder;
:func:`read_manifest` reads its ``gallery.json`` (the user study serves the photos it lists).
"""

from ldr2hdr.gallery.build import (
    DEFAULT_BOX,
    build_gallery,
    find_photos,
    fit_size,
    make_entry,
    parse_box,
    prepare_photo,
)
from ldr2hdr.gallery.luminance import (
    LOG2_MAX,
    LOG2_MIN,
    false_colour,
    legend_png,
    log2_luminance,
    relative_luminance,
)
from ldr2hdr.gallery.manifest import (
    INDEX_NAME,
    MANIFEST_NAME,
    Gallery,
    GalleryEntry,
    read_manifest,
)
from ldr2hdr.gallery.page import render_index

__all__ = [
    "DEFAULT_BOX",
    "INDEX_NAME",
    "LOG2_MAX",
    "LOG2_MIN",
    "MANIFEST_NAME",
    "Gallery",
    "GalleryEntry",
    "build_gallery",
    "false_colour",
    "find_photos",
    "fit_size",
    "legend_png",
    "log2_luminance",
    "make_entry",
    "parse_box",
    "prepare_photo",
    "read_manifest",
    "relative_luminance",
    "render_index",
]
