"""The gain-map fast path: the network at a working resolution, brought to full size by the photo.

HDR / photo (the *gain*) varies slowly except at edges the photo itself shows (the assumption
behind Ultra HDR gain maps). So the network runs on an area-averaged copy of the photo and its
output is brought to full size by a *fast guided filter* (He & Sun 2015) with the photo's three
colours as guide, both in the log of linear values: the local linear model
``log(hdr + e) ≈ A · log(photo_lin + e) + b`` (``hdr`` linear, ``photo_lin = photo ** 2.24``,
``A`` a 3×3 matrix per pixel; the guide is normalised to [0, 1], see :func:`log_guide`) is
fitted at the working resolution, and its coefficients are upsampled and applied to the
full-resolution photo. The result's edges, and its colour texture, land on the photo's own;
its local gain over the photo is the network's. Where the photo is clipped it is flat, ``A``
falls to 0 and the network's values are taken as they are (smoothly upsampled).

The guide is the photo smoothed by a bilateral filter (:func:`smooth_guide`): the network
removes sensor noise pixel by pixel, which one linear model per window cannot do, so the
noise is taken out of the guide first; edges stronger than the filter's colour scale (0.12)
stay sharp. The network itself still sees the area-averaged photo.

Both sides are logs (a gain is a difference there; ``A = I`` is "the photo's own values"):
fitted on NTIRE-domain values instead, the line through a dark and a much brighter side of an
edge undershoots the dark side, a dark halo (gain 0.5 beside a ×3 step in a test); with the
display-domain photo as guide, a tone curve the network applies pixel by pixel is only
followed to first order across each window's texture (0.11 dB worse μ-PSNR on a simulated set
at a quarter of the pixels, 0.07–0.17 dB on the real pairs at 1/16; docs/inference.md).

Every array here is float32; ``photo`` is H×W×3 display-referred in [0, 1] (the network's input)
and the results are H×W×3 linear relative radiance (≥ 0, 1.0 = the photo's clipping white).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ldr2hdr.domain import NTIRE_GAMMA

# The offset in the logs of the guide and of the target, log(linear + e): 1e-3 linear is 8-bit
# code ~12 of the display curve, so the darkest shadows' noise does not become wild log values.
LOG_OFFSET = 1e-3
# Fast guided filter: window radius (working-resolution pixels) and regularisation (variance
# of the [0, 1] log guide: 3e-5 is a ×1.04 ripple in linear values): edges and textures
# stronger than that are transferred from the photo, weaker ones are not. Chosen on the real
# pairs and two simulated sets (docs/inference.md).
GUIDE_RADIUS = 1
GUIDE_EPS = 3e-5
MIN_WORK_SIDE = 16
MEGA = 1e6
MEGAPIXEL_SUFFIX = "mp"
# Bilateral smoothing of the guide (display units for the colour scale, pixels for the space):
# 0.12 is 3–6× the simulated sensor noise in the shadows of 8-bit photos (σ 0.02–0.04). Chosen
# on two simulated sets and the real pairs, checked on a third simulated set (docs/inference.md).
SMOOTH_SIGMA_COLOR = 0.12
SMOOTH_SIGMA_SPACE = 1.0
# Rows of the full-size result computed at once: bounds the upsampled coefficients' memory.
STRIP_ROWS = 256

PredictNtire = Callable[[np.ndarray], np.ndarray]


def work_size(height: int, width: int, work_megapixels: float) -> tuple[int, int]:
    """The working size (rows, cols) for ``work_megapixels``; (height, width) means full size.

    The aspect ratio is kept; 0 (or a budget at least the photo's size) means full size, and no
    side is made smaller than ``MIN_WORK_SIDE`` pixels.
    """
    if not (work_megapixels >= 0 and math.isfinite(work_megapixels)):
        raise ValueError(f"work_megapixels must be ≥ 0 (0: full size); got {work_megapixels!r}")
    pixels = height * width
    if work_megapixels == 0 or work_megapixels * MEGA >= pixels:
        return height, width
    scale = math.sqrt(work_megapixels * MEGA / pixels)
    rows = min(height, max(MIN_WORK_SIDE, round(height * scale)))
    cols = min(width, max(MIN_WORK_SIDE, round(width * scale)))
    return rows, cols


@dataclass(frozen=True)
class WorkSpec:
    """A working resolution given as a fraction of a photo's pixels or as megapixels."""

    fraction: float | None = None
    fixed_megapixels: float | None = None

    @classmethod
    def parse(cls, text: str) -> WorkSpec:
        """``P/Q`` (a fraction of the pixels, in (0, 1]) or ``Nmp`` (N > 0 megapixels)."""
        spec = text.strip().lower()
        try:
            if spec.endswith(MEGAPIXEL_SUFFIX):
                value = float(spec.removesuffix(MEGAPIXEL_SUFFIX))
                if 0 < value < math.inf:
                    return cls(fixed_megapixels=value)
            else:
                numerator, sep, denominator = spec.partition("/")
                value = float(numerator) / float(denominator) if sep else math.nan
                if 0 < value <= 1:
                    return cls(fraction=value)
        except (ValueError, ZeroDivisionError):
            pass
        raise ValueError(
            f"bad working resolution {text!r}: expected a fraction of the pixels such as 1/4 "
            "or megapixels such as 0.1mp"
        )

    def megapixels(self, height: int, width: int) -> float:
        """The working resolution in megapixels for a photo of height × width pixels."""
        if self.fixed_megapixels is not None:
            return self.fixed_megapixels
        return (self.fraction or 1.0) * height * width / MEGA


def _resize(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Area averaging down, bilinear up (OpenCV, pixel centres aligned); float32 in and out."""
    shrinking = rows * cols < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (cols, rows), interpolation=interpolation)


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(image, -1, (size, size), borderType=cv2.BORDER_REFLECT)


def smooth_guide(photo: np.ndarray) -> np.ndarray:
    """The photo (float32 H×W×3, display [0, 1]) smoothed by OpenCV's bilateral filter (σ colour
    :data:`SMOOTH_SIGMA_COLOR`, σ space :data:`SMOOTH_SIGMA_SPACE` px): noise and texture weaker
    than the colour scale are smoothed, stronger edges kept. float32, same shape."""
    return cv2.bilateralFilter(
        np.ascontiguousarray(photo), 0, SMOOTH_SIGMA_COLOR, SMOOTH_SIGMA_SPACE
    )


def log_guide(photo: np.ndarray) -> np.ndarray:
    """The guide of the fit: ``log(photo ** 2.24 + e)`` rescaled from [log e, log(1 + e)] to
    about [0, 1] (``e`` = :data:`LOG_OFFSET`). float32 H×W×3 display [0, 1] in, float32 out."""
    offset = np.float32(LOG_OFFSET)
    guide = np.log(np.power(photo, np.float32(NTIRE_GAMMA)) + offset)
    guide /= -np.log(offset)
    guide += np.float32(1.0)
    return guide


def guided_coefficients(
    guide: np.ndarray, target: np.ndarray, *, radius: int = GUIDE_RADIUS, eps: float = GUIDE_EPS
) -> np.ndarray:
    """Smoothed coefficients of the colour guided filter ``target ≈ A · guide + b``.

    Args:
        guide: h×w×3 float32 (the photo at the working size, as :func:`log_guide` gives it).
        target: h×w×3 float32 (what is upsampled: the log of the network's output there).

    Returns:
        h×w×12 float32: per pixel ``A`` row by row (``A[c, i]``: output channel c, guide
        channel i) then ``b``.
    """
    height, width = guide.shape[:2]
    mean_i, mean_p = _box(guide, radius), _box(target, radius)
    products = np.einsum("hwi,hwj->hwij", guide, guide).reshape(height, width, 9)
    sigma = _box(products, radius).reshape(-1, 3, 3) - np.einsum(
        "ni,nj->nij", mean_i.reshape(-1, 3), mean_i.reshape(-1, 3)
    )
    cross = np.einsum("hwi,hwc->hwic", guide, target).reshape(height, width, 9)
    cov = _box(cross, radius).reshape(-1, 3, 3) - np.einsum(
        "ni,nc->nic", mean_i.reshape(-1, 3), mean_p.reshape(-1, 3)
    )
    sigma += np.float32(eps) * np.eye(3, dtype=np.float32)
    a = np.linalg.solve(sigma.astype(np.float64), cov.astype(np.float64))  # a[n, i, c]
    a = a.transpose(0, 2, 1).astype(np.float32).reshape(height, width, 9)
    b = mean_p - np.einsum("hwci,hwi->hwc", a.reshape(height, width, 3, 3), mean_i)
    return _box(np.concatenate([a, b], axis=2), radius)


def _upsample_rows(coefficients: np.ndarray, rows: range, height: int, width: int) -> np.ndarray:
    """Rows ``rows`` of ``coefficients`` (h×w×K) resized bilinearly to height × width.

    The same sampling as ``cv2.resize(..., INTER_LINEAR)`` to the full size (pixel centres
    aligned, edges replicated), computed for a strip of rows only.
    """
    low_rows = coefficients.shape[0]
    y = (np.arange(rows.start, rows.stop) + 0.5) * (low_rows / height) - 0.5
    y = np.clip(y, 0, low_rows - 1)
    top = np.minimum(y.astype(np.int64), max(low_rows - 2, 0))
    weight = (y - top).astype(np.float32)[:, None, None]
    bottom = np.minimum(top + 1, low_rows - 1)
    strip = coefficients[top] * (1 - weight) + coefficients[bottom] * weight
    return cv2.resize(strip, (width, len(rows)), interpolation=cv2.INTER_LINEAR)


def guided_upsample(
    photo_low: np.ndarray,
    target_low: np.ndarray,
    photo: np.ndarray,
    guide_of: Callable[[np.ndarray], np.ndarray] = log_guide,
) -> np.ndarray:
    """Fast colour guided upsampling of ``target_low`` (h×w×3) to the size of ``photo`` (H×W×3).

    The guide is ``guide_of(photo_low)`` at the working size and ``guide_of`` of the photo's
    rows at full size. All float32; the result is computed in strips of ``STRIP_ROWS`` rows,
    so neither the coefficients nor ``guide_of``'s result ever exist at full size.
    """
    coefficients = guided_coefficients(guide_of(photo_low), target_low)
    height, width = photo.shape[:2]
    out = np.empty((height, width, 3), np.float32)
    for start in range(0, height, STRIP_ROWS):
        rows = slice(start, min(start + STRIP_ROWS, height))
        strip = _upsample_rows(coefficients, range(rows.start, rows.stop), height, width)
        a = strip[..., :9].reshape(-1, width, 3, 3)
        out[rows] = np.einsum("hwci,hwi->hwc", a, guide_of(photo[rows]))
        out[rows] += strip[..., 9:]
    return out


def reconstruct_at(
    photo: np.ndarray, predict_ntire: PredictNtire, rows: int, cols: int
) -> np.ndarray:
    """Linear HDR of ``photo`` (float32 H×W×3, [0, 1]) with the network run at rows × cols.

    ``predict_ntire`` maps a float32 h×w×3 photo in [0, 1] to the network's NTIRE-domain output
    (float32 h×w×3, ≥ 0). Returns float32 H×W×3 linear HDR, ≥ 0 (1.0 = the photo's white).
    """
    height, width = photo.shape[:2]
    if not (0 < rows <= height and 0 < cols <= width):
        raise ValueError(f"working size must lie within {height}×{width}; got {rows}×{cols}")
    small = np.clip(_resize(photo, rows, cols), 0.0, 1.0)
    hdr = np.power(predict_ntire(small), np.float32(NTIRE_GAMMA))
    if (rows, cols) == (height, width):
        return hdr
    offset = np.float32(LOG_OFFSET)
    log_low = np.log(hdr + offset)
    guide = smooth_guide(photo)  # one full-size float32 copy
    log_hdr = guided_upsample(np.clip(_resize(guide, rows, cols), 0.0, 1.0), log_low, guide)
    del guide
    # Where the photo's colours barely vary, A·photo can reach far outside anything the network
    # produced (×1e4 on random weights and noise); no value leaves the network's own range.
    np.clip(log_hdr, log_low.min(), log_low.max(), out=log_hdr)
    hdr = np.exp(log_hdr, out=log_hdr)
    hdr -= offset
    return np.maximum(hdr, 0.0, out=hdr)
