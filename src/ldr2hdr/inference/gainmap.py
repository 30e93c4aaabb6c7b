"""The gain-map fast path: the network at a working resolution, brought to full size by the photo.

HDR / photo (the *gain*) varies slowly except at edges the photo itself shows (the assumption
behind Ultra HDR gain maps). So the network runs on an area-averaged copy of the photo and its
output is brought to full size by a *fast guided filter* (He & Sun 2015) guided by the photo's
grey level: the local linear model ``log(hdr + e) ≈ a · guide + b`` is fitted at the working
resolution, and its coefficients are upsampled and applied to the full-resolution guide. The
result's edges land on the photo's own edges, and its local gain over the photo is the
network's. Multiplying the raw photo by the upsampled gain instead would also carry the
photo's noise and quantisation back in, which the network removes (2 dB μ-PSNR lost on a
simulated set, docs/inference.md). Where the photo is clipped the guide is flat, ``a`` falls to
0, and the network's values are taken as they are (smoothly upsampled).

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

# The log taken of the network's linear output: log(hdr + e). 1e-2 linear is 8-bit code ~33 of
# the display curve, so the shadows' noise does not become wild log values.
LOG_OFFSET = 1e-2
# Fast guided filter: window radius (working-resolution pixels) and regularisation (guide
# variance in display units², [0, 1] guide): edges and textures stronger than ~0.01 are
# transferred from the photo, weaker ones (noise the network removed) are not. Chosen on the
# real pairs and a simulated set (docs/inference.md).
GUIDE_RADIUS = 1
GUIDE_EPS = 1e-4
MIN_WORK_SIDE = 16
MEGA = 1e6
MEGAPIXEL_SUFFIX = "mp"

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


def grey(photo: np.ndarray) -> np.ndarray:
    """The guide: mean of the three channels (H×W float32, display domain, [0, 1])."""
    return cv2.transform(photo, np.full((1, 3), 1 / 3, np.float32))


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(image, -1, (size, size), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(
    guide: np.ndarray, target: np.ndarray, *, radius: int = GUIDE_RADIUS, eps: float = GUIDE_EPS
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed coefficients (a, b) of ``target ≈ a · guide + b`` (both h×w float32)."""
    mean_i = _box(guide, radius)
    mean_p = _box(target, radius)
    cov_ip = _box(guide * target, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + np.float32(eps))
    b = mean_p - a * mean_i
    return _box(a, radius), _box(b, radius)


def guided_upsample(guide_low: np.ndarray, target_low: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """Fast guided upsampling of ``target_low`` (h×w) to the size of ``guide`` (H×W float32)."""
    a, b = guided_coefficients(guide_low, target_low)
    rows, cols = guide.shape
    out = _resize(a, rows, cols)
    out *= guide
    out += _resize(b, rows, cols)
    return out


def apply_gain(photo: np.ndarray, hdr_low: np.ndarray) -> np.ndarray:
    """Full-size linear HDR from the photo and the network's linear HDR at a working size.

    Args:
        photo: float32 H×W×3, display-referred, [0, 1].
        hdr_low: float32 h×w×3, linear, ≥ 0: the network's output on ``photo`` area-resized to
            h×w (h ≤ H, w ≤ W). At h×w = H×W it is returned as it is (up to rounding).

    Returns:
        float32 H×W×3 linear HDR, ≥ 0, 1.0 = the photo's clipping white.
    """
    rows, cols = photo.shape[:2]
    low_rows, low_cols = hdr_low.shape[:2]
    guide = grey(photo)
    guide_low = _resize(guide, low_rows, low_cols)
    offset = np.float32(LOG_OFFSET)
    out = np.empty_like(photo)
    same_size = (low_rows, low_cols) == (rows, cols)
    for c in range(3):
        log_hdr = np.log(np.ascontiguousarray(hdr_low[..., c]) + offset)
        if not same_size:
            log_hdr = guided_upsample(guide_low, log_hdr, guide)
        value = np.exp(log_hdr, out=log_hdr)
        value -= offset
        out[..., c] = np.maximum(value, 0.0)
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
    small = _resize(photo, rows, cols)
    hdr_low = predict_ntire(np.clip(small, 0.0, 1.0)) ** np.float32(NTIRE_GAMMA)
    return apply_gain(photo, hdr_low)
