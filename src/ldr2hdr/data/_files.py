"""Writers for the small files of the NTIRE layout (8-bit PNG, ``.npy``).

They encode in memory and write through :func:`ldr2hdr.fs.write_files_atomically`
(temporary file beside the target, then ``os.replace``; an existing file is an
:class:`~ldr2hdr.errors.ImageWriteError` unless ``overwrite``). Output bytes depend only on the
data (deterministic).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from ldr2hdr.errors import ImageWriteError
from ldr2hdr.fs import write_files_atomically


def write_png8(path: Path, image: np.ndarray, *, overwrite: bool = False) -> None:
    """Write an H×W×3 uint8 RGB image as an 8-bit PNG (Pillow, default compression)."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 image, got {image.dtype} {image.shape}")
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), mode="RGB").save(buffer, format="PNG")
    write_files_atomically(
        {Path(path): buffer.getvalue()}, overwrite=overwrite, error=ImageWriteError
    )


def write_npy(path: Path, array: np.ndarray, *, overwrite: bool = False) -> None:
    """Write a NumPy array as a ``.npy`` file (no pickling)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    write_files_atomically(
        {Path(path): buffer.getvalue()}, overwrite=overwrite, error=ImageWriteError
    )
