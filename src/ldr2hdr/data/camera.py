"""A camera simulator: linear HDR view → realistic 8-bit LDR shot plus its NTIRE-domain reference.

Pipeline of :func:`simulate_camera`, every random choice drawn from the ``numpy.random.Generator``
passed in (same generator state → same shot):

1. **Auto-exposure.** A target clip fraction ``p`` is drawn uniformly from ``clip_range``. A pixel
   *clips* when any of its channels is ≥ 1 after exposure, so the exposure is
   ``1 / quantile(max over channels, 1 − p)`` and about ``p`` of the pixels clip (exactly so up to
   ties; an image whose brightest values are one flat plateau may clip more).
2. **Noise** (linear, before the curve): Poisson shot noise with gain ``a`` (``a·Poisson(x/a)``)
   plus Gaussian read noise of standard deviation ``b``, both drawn log-uniformly per shot (see
   :func:`add_noise`).
3. **Response curve** drawn from the family in ``curves``: ``"gamma"`` (x^(1/2.24), the NTIRE
   encoding), ``"srgb"`` (the sRGB OETF) or ``"s-curve"`` (gamma followed by a monotone S-shaped
   tone curve, see :class:`ResponseCurve`), applied to the clipped [0, 1] signal.
4. **8-bit quantisation**, then optionally **JPEG** (Pillow, in memory) at a random quality.

The reference is ``hdr = (exposed linear)**(1/2.24)`` without noise or clipping, so the unclipped
part of the LDR matches it under the gamma-2.24 curve — exactly (``ldr/255 == round(255·clip(hdr))
/255``) with the ``"gamma"`` curve, no noise and no JPEG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ldr2hdr.domain import NTIRE_GAMMA

SRGB_LINEAR_LIMIT = 0.0031308
SRGB_LINEAR_SLOPE = 12.92
SRGB_EXPONENT = 2.4
SRGB_OFFSET = 0.055
CURVE_KINDS = ("gamma", "srgb", "s-curve")
S_CURVE_STEEPNESS = (4.0, 10.0)
S_CURVE_MIDPOINT = (0.4, 0.6)
S_CURVE_WEIGHT = (0.3, 1.0)
NOISE_HEADROOM = 2.0  # exposed values above this clip whatever the noise; saves Poisson draws
EXACT_POISSON_BELOW = 64.0  # expected photo-electrons; above, Poisson ≈ Gaussian (skew ≤ 1/8)
LDR_MAX = 255


_KINDS = ", ".join(CURVE_KINDS)


class CameraParamsError(ValueError):
    """A :class:`CameraParams` field out of range: ``field`` names it, ``value`` is the bad value
    and ``reason`` says what is wrong (the message is ``field = value: reason``), so that a config
    loader can name its own key (``data.camera.curves``) and quote the value as written."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field} = {value!r}: {reason}")
        self.field, self.value, self.reason = field, value, reason


@dataclass(frozen=True)
class CameraParams:
    """The ranges the simulator draws from (all fractions and noise levels relative to white).

    Attributes:
        clip_range: (low, high) fraction of pixels that clip, 0 ≤ low ≤ high < 1.
        curves: names of the response curves to draw from (uniformly), a subset of CURVE_KINDS.
        shot_noise: (low, high) Poisson gain ``a`` (variance ``a·x`` at linear level ``x``),
            drawn log-uniformly; (0, 0) disables shot noise.
        read_noise: (low, high) Gaussian read-noise standard deviation, log-uniform; (0, 0) off.
        jpeg_probability: chance that the shot is JPEG-compressed, in [0, 1].
        jpeg_quality: (low, high) Pillow JPEG quality, drawn uniformly (integers, inclusive).
    """

    clip_range: tuple[float, float] = (0.01, 0.20)
    curves: tuple[str, ...] = CURVE_KINDS
    shot_noise: tuple[float, float] = (1e-4, 4e-3)
    read_noise: tuple[float, float] = (2e-4, 4e-3)
    jpeg_probability: float = 0.25
    jpeg_quality: tuple[int, int] = (70, 95)

    def __post_init__(self) -> None:
        low, high = self.clip_range
        if not 0.0 <= low <= high < 1.0:
            raise CameraParamsError("clip_range", self.clip_range, "must be 0 <= low <= high < 1")
        if not self.curves:
            raise CameraParamsError("curves", self.curves, f"name at least one of {_KINDS}")
        for kind in self.curves:
            if kind not in CURVE_KINDS:
                raise CameraParamsError(
                    "curves", self.curves, f"unknown curve {kind!r}; choose from {_KINDS}"
                )
        for name in ("shot_noise", "read_noise"):
            low, high = getattr(self, name)
            if not (low == high == 0.0 or 0.0 < low <= high):
                raise CameraParamsError(
                    name, (low, high), "must be (0, 0) (off) or 0 < low <= high"
                )
        if not 0.0 <= self.jpeg_probability <= 1.0:
            raise CameraParamsError("jpeg_probability", self.jpeg_probability, "must be in [0, 1]")
        if not 1 <= self.jpeg_quality[0] <= self.jpeg_quality[1] <= 100:
            raise CameraParamsError(
                "jpeg_quality", self.jpeg_quality, "must be 1 <= low <= high <= 100"
            )


@dataclass(frozen=True)
class ResponseCurve:
    """A monotone camera response mapping linear [0, 1] to display [0, 1], with 0→0 and 1→1.

    ``"s-curve"`` is ``(1 − weight)·g + weight·s(g)`` with ``g = x**(1/2.24)`` and ``s`` the
    logistic ``σ(steepness·(g − midpoint))`` rescaled so that s(0) = 0 and s(1) = 1; a blend of two
    increasing maps with positive weights, hence monotone. The parameters are unused otherwise.
    """

    kind: str
    steepness: float = 0.0
    midpoint: float = 0.5
    weight: float = 0.0

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        """Apply the curve to float32 linear values in [0, 1]; returns float32 in [0, 1]."""
        if self.kind == "srgb":
            low = linear * np.float32(SRGB_LINEAR_SLOPE)
            high = (1 + SRGB_OFFSET) * np.power(linear, np.float32(1 / SRGB_EXPONENT)) - SRGB_OFFSET
            return np.where(linear <= SRGB_LINEAR_LIMIT, low, high).astype(np.float32)
        encoded = np.power(linear, np.float32(1 / NTIRE_GAMMA))
        if self.kind == "gamma":
            return encoded
        if self.kind == "s-curve":
            return self._s_curve(encoded)
        raise ValueError(f"unknown response curve {self.kind!r}; expected one of {CURVE_KINDS}")

    def _s_curve(self, encoded: np.ndarray) -> np.ndarray:
        def logistic(value: np.ndarray | float) -> np.ndarray:
            return 1.0 / (1.0 + np.exp(-self.steepness * (np.asarray(value) - self.midpoint)))

        low, high = logistic(0.0), logistic(1.0)
        shaped = (logistic(encoded) - low) / (high - low)
        return ((1.0 - self.weight) * encoded + self.weight * shaped).astype(np.float32)


@dataclass(frozen=True)
class SimulatedShot:
    """What :func:`simulate_camera` returns.

    Attributes:
        ldr: H×W×3 uint8, the simulated photo (display-encoded by ``curve``).
        hdr: H×W×3 float32, the reference in the NTIRE domain relative to this exposure, ≥ 0.
        exposure: the linear gain applied to the input view.
        clip_fraction: fraction of pixels whose max channel is ≥ 1 after exposure (before noise).
        curve: the response curve used.
        shot_noise: Poisson gain ``a`` used (0 when off).
        read_noise: read-noise standard deviation used (0 when off).
        jpeg_quality: the JPEG quality used, or None when not compressed.
    """

    ldr: np.ndarray
    hdr: np.ndarray
    exposure: float
    clip_fraction: float
    curve: ResponseCurve
    shot_noise: float
    read_noise: float
    jpeg_quality: int | None


def channel_max(image: np.ndarray) -> np.ndarray:
    """The per-pixel maximum over the 3 channels of an H×W×3 array (H×W, same dtype)."""
    return np.maximum(np.maximum(image[..., 0], image[..., 1]), image[..., 2])


def auto_exposure(linear: np.ndarray, clip_fraction: float) -> float:
    """The gain that makes ``clip_fraction`` of the pixels clip (any channel ≥ 1 after the gain).

    Args:
        linear: H×W×3 float array, linear radiance ≥ 0 (relative or absolute).
        clip_fraction: target fraction in [0, 1).

    Returns:
        ``1 / quantile(per-pixel max channel, 1 − clip_fraction)`` (a positive float).

    Raises:
        ValueError: if the image has no positive pixel at that quantile (e.g. all black).
    """
    peak = channel_max(linear)
    level = float(np.quantile(peak, 1.0 - clip_fraction, method="lower"))
    if not level > 0.0 or not np.isfinite(level):
        raise ValueError(
            f"cannot expose an image whose {1 - clip_fraction:.3f} quantile is {level}"
        )
    return 1.0 / level


def clipped_fraction(exposed: np.ndarray) -> float:
    """Fraction of pixels of an H×W×3 linear array with any channel ≥ 1."""
    return float(np.mean(channel_max(exposed) >= 1.0))


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if high == 0.0:
        return 0.0
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def draw_curve(rng: np.random.Generator, kinds: tuple[str, ...] = CURVE_KINDS) -> ResponseCurve:
    """Draw a response curve: a kind uniformly from ``kinds``, then its parameters."""
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind != "s-curve":
        return ResponseCurve(kind)
    return ResponseCurve(
        kind,
        steepness=float(rng.uniform(*S_CURVE_STEEPNESS)),
        midpoint=float(rng.uniform(*S_CURVE_MIDPOINT)),
        weight=float(rng.uniform(*S_CURVE_WEIGHT)),
    )


def add_noise(
    exposed: np.ndarray, rng: np.random.Generator, *, shot_noise: float, read_noise: float
) -> np.ndarray:
    """Poisson-Gaussian sensor noise on linear values (1.0 = full well).

    Shot noise is exact (``a·Poisson(x/a)``) where fewer than ``EXACT_POISSON_BELOW`` photo-
    electrons ``x/a`` are expected, and its Gaussian approximation (mean ``x``, variance ``a·x``)
    above, where the two agree closely and the Gaussian is ~10× cheaper to draw.

    Args:
        exposed: H×W×3 float32, exposed linear values ≥ 0.
        rng: the generator to draw the noise from.
        shot_noise: Poisson gain ``a``: the signal is ``a·Poisson(x/a)`` (0 = no shot noise).
        read_noise: standard deviation of the additive Gaussian read noise (0 = none).

    Returns:
        H×W×3 float32 noisy linear values (may be slightly negative from read noise).
    """
    noisy = np.minimum(exposed, np.float32(NOISE_HEADROOM))
    if shot_noise > 0.0:
        electrons = noisy / np.float32(shot_noise)
        counts = electrons + np.sqrt(electrons) * rng.standard_normal(noisy.shape, np.float32)
        few = electrons < EXACT_POISSON_BELOW
        counts[few] = rng.poisson(electrons[few])
        noisy = counts * np.float32(shot_noise)
    if read_noise > 0.0:
        noisy = noisy + rng.normal(0.0, read_noise, size=noisy.shape).astype(np.float32)
    return noisy


def jpeg_roundtrip(ldr: np.ndarray, quality: int) -> np.ndarray:
    """Compress an H×W×3 uint8 image to JPEG in memory (Pillow) and decode it again (uint8)."""
    buffer = io.BytesIO()
    Image.fromarray(ldr, mode="RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"), dtype=np.uint8).copy()


@dataclass(frozen=True)
class _ShotSettings:
    curve: ResponseCurve
    shot_noise: float
    read_noise: float
    jpeg_quality: int | None


def _draw_settings(rng: np.random.Generator, params: CameraParams) -> _ShotSettings:
    curve = draw_curve(rng, params.curves)
    shot_noise = _log_uniform(rng, params.shot_noise)
    read_noise = _log_uniform(rng, params.read_noise)
    use_jpeg = rng.uniform() < params.jpeg_probability
    low, high = params.jpeg_quality
    quality = int(rng.integers(low, high + 1))  # drawn either way: same draws follow
    return _ShotSettings(curve, shot_noise, read_noise, quality if use_jpeg else None)


def _shoot(
    linear: np.ndarray, exposure: float, settings: _ShotSettings, rng: np.random.Generator
) -> SimulatedShot:
    exposed = linear * np.float32(exposure)
    noisy = add_noise(exposed, rng, shot_noise=settings.shot_noise, read_noise=settings.read_noise)
    encoded = settings.curve(np.clip(noisy, 0.0, 1.0))
    ldr = np.round(encoded * LDR_MAX).astype(np.uint8)
    if settings.jpeg_quality is not None:
        ldr = jpeg_roundtrip(ldr, settings.jpeg_quality)
    return SimulatedShot(
        ldr=ldr,
        hdr=np.power(exposed, np.float32(1 / NTIRE_GAMMA)),
        exposure=exposure,
        clip_fraction=clipped_fraction(exposed),
        curve=settings.curve,
        shot_noise=settings.shot_noise,
        read_noise=settings.read_noise,
        jpeg_quality=settings.jpeg_quality,
    )


def _check_linear(linear: np.ndarray) -> np.ndarray:
    if linear.ndim != 3 or linear.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 linear image, got shape {linear.shape}")
    if not np.all(np.isfinite(linear)):
        raise ValueError("the linear image contains NaN or infinite values")
    return np.maximum(linear.astype(np.float32, copy=False), 0.0)


def simulate_camera(
    linear: np.ndarray, rng: np.random.Generator, *, params: CameraParams | None = None
) -> SimulatedShot:
    """Shoot one auto-exposed 8-bit photo of a linear HDR view (see the module docstring).

    Args:
        linear: H×W×3 float array, linear radiance (relative or absolute scale), finite; tiny
            negative values (lossy codecs) are clipped to 0.
        rng: the only source of randomness.
        params: the ranges to draw from; ``CameraParams()`` when None.

    Returns:
        A :class:`SimulatedShot`: uint8 LDR and its float32 NTIRE-domain reference (same H×W×3).

    Raises:
        ValueError: if ``linear`` is not H×W×3, not finite, or too dark to expose.
    """
    return simulate_brackets(linear, rng, stops=(0.0,), params=params)[0]


def simulate_brackets(
    linear: np.ndarray,
    rng: np.random.Generator,
    *,
    stops: tuple[float, ...] = (-2.0, 0.0, 2.0),
    params: CameraParams | None = None,
) -> list[SimulatedShot]:
    """Shoot an exposure bracket of one view with one camera (same curve, noise level, JPEG).

    The 0-EV exposure is chosen as in :func:`simulate_camera`; the shot at ``stops[i]`` uses
    ``exposure · 2**stops[i]``. Every shot's ``hdr`` is relative to *its own* exposure, so the
    reference of the 0-EV shot is the NTIRE ground truth of the bracket.

    Args:
        linear: H×W×3 float linear radiance (as in :func:`simulate_camera`).
        rng: the only source of randomness.
        stops: relative exposure values in stops, e.g. (-2, 0, 2) for short/medium/long.
        params: the ranges to draw from; ``CameraParams()`` when None.

    Returns:
        One :class:`SimulatedShot` per stop, in the order of ``stops``.
    """
    params = params or CameraParams()
    linear = _check_linear(linear)
    base = auto_exposure(linear, float(rng.uniform(*params.clip_range)))
    settings = _draw_settings(rng, params)
    return [_shoot(linear, base * 2.0**stop, settings, rng) for stop in stops]
