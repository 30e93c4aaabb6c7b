"""The gain-map fast path: the network at a working resolution, its gain applied at full size.

HDR / photo (the *gain*) varies slowly except at edges the photo itself shows (the assumption
behind Ultra HDR gain maps). So the network runs on an area-averaged copy of the photo, the
log gain ``log((hdr + e) / (photo + e))`` is formed there (``e`` keeps it finite near black),
and it is brought to full size by a *fast guided filter* (He & Sun 2015): the local linear
model ``gain ≈ a · guide + b`` is fitted at the working resolution, where the guide is the
photo's grey level, and its coefficients are upsampled and applied to the full-resolution
guide, so the gain's edges land on the photo's own edges. Where a channel of the photo is
clipped it holds no detail to follow, and the network's upsampled values are taken directly.

Every array here is float32; ``photo`` is H×W×3 display-referred in [0, 1] (the network's input)
and the results are H×W×3 linear relative radiance (≥ 0, 1.0 = the photo's clipping white).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

NTIRE_GAMMA = 2.24
# Linear offset of the gain: (hdr + e) / (photo + e). 1e-2 linear is 8-bit code ~33 of the
# display curve: in the shadows the result follows the photo's own detail and noise there
# does not become a wild gain. Chosen with the window and the clip ramp on the real pairs
# (μ-PSNR against the exact path at 1/4 of the pixels: 1e-4 → 37.8 dB, 1e-3 → 39.1, 1e-2 → 40.4).
GAIN_OFFSET = 1e-2
# Fast guided filter: window radius (working-resolution pixels) and regularisation (guide
# variance in display units², [0, 1] guide): textures weaker than ~0.01 do not bend the gain.
GUIDE_RADIUS = 1
GUIDE_EPS = 1e-4
# A channel at or above CLIP_FULL (display) is clipped; below CLIP_START it is trusted fully.
CLIP_START, CLIP_FULL = 0.97, 0.995
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


def _clip_weight(channel: np.ndarray) -> np.ndarray:
    """0 where a display-domain channel is trusted, rising to 1 where it is clipped."""
    weight = channel - np.float32(CLIP_START)
    weight *= np.float32(1 / (CLIP_FULL - CLIP_START))
    return np.clip(weight, 0.0, 1.0, out=weight)


def apply_gain(photo: np.ndarray, hdr_low: np.ndarray) -> np.ndarray:
    """Full-size linear HDR from the photo and the network's linear HDR at a working size.

    Args:
        photo: float32 H×W×3, display-referred, [0, 1].
        hdr_low: float32 h×w×3, linear, ≥ 0: the network's output on ``photo`` area-resized to
            h×w (h ≤ H, w ≤ W). At h×w = H×W the gain is applied as it is, which gives back
            ``hdr_low`` (up to rounding): the formulation itself loses nothing.

    Returns:
        float32 H×W×3 linear HDR, ≥ 0, 1.0 = the photo's clipping white.
    """
    rows, cols = photo.shape[:2]
    low_rows, low_cols = hdr_low.shape[:2]
    guide = grey(photo)
    guide_low = _resize(guide, low_rows, low_cols)
    photo_low = _resize(photo, low_rows, low_cols) ** np.float32(NTIRE_GAMMA)
    offset = np.float32(GAIN_OFFSET)
    log_gain = np.log((hdr_low + offset) / (photo_low + offset))
    out = np.empty_like(photo)
    same_size = (low_rows, low_cols) == (rows, cols)
    for c in range(3):
        channel_gain = np.ascontiguousarray(log_gain[..., c])
        gain = np.exp(
            channel_gain if same_size else guided_upsample(guide_low, channel_gain, guide)
        )
        channel = photo[..., c]
        value = gain * (channel ** np.float32(NTIRE_GAMMA) + offset) - offset
        weight = _clip_weight(channel)
        network = _resize(np.ascontiguousarray(hdr_low[..., c]), rows, cols)
        value += weight * (network - value)
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
