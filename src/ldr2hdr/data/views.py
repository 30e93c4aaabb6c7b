"""Photo-like views of HDR images: perspective views of panoramas, random crops, flips.

Every function takes and returns H×W×C float arrays (any domain: the operations are linear
resamplings, so apply them to *linear* HDR before the camera simulator). Sizes are ``(width,
height)`` in pixels, angles in degrees. Randomness comes only from the ``numpy.random.Generator``
passed in.

Equirectangular convention: column 0 is longitude −180°, the centre column longitude 0°, row 0 the
zenith (latitude +90°). Yaw turns right (towards larger columns), pitch tilts up.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

DEFAULT_FOV_RANGE = (50.0, 90.0)
DEFAULT_PITCH_RANGE = (-30.0, 30.0)
MAX_FOV = 170.0
ANTIALIAS_RATIO = 1.5  # pre-shrink a panorama sampled more than this much coarser than stored
PANORAMA_ASPECT = 2.0
FLIP_PROBABILITY = 0.5


def is_panorama(shape: Sequence[int]) -> bool:
    """Whether an H×W(×C) shape is a 2:1 equirectangular panorama (width = 2·height, ±1 px)."""
    height, width = shape[0], shape[1]
    return abs(width - PANORAMA_ASPECT * height) <= 1


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    if int(width) != width or int(height) != height or width < 1 or height < 1:
        raise ValueError(f"size must be (width, height) of positive integers, got {size}")
    return int(width), int(height)


def _view_rays(size: tuple[int, int], fov: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-free camera rays (x right, y up, z forward) through each pixel centre."""
    width, height = size
    focal = (width / 2.0) / np.tan(np.radians(fov) / 2.0)
    x = (np.arange(width, dtype=np.float32) + 0.5 - width / 2.0) / np.float32(focal)
    y = -(np.arange(height, dtype=np.float32) + 0.5 - height / 2.0) / np.float32(focal)
    x, y = np.meshgrid(x, y)
    return x, y, np.ones_like(x)


def _panorama_maps(
    pano_shape: tuple[int, int], size: tuple[int, int], *, yaw: float, pitch: float, fov: float
) -> tuple[np.ndarray, np.ndarray]:
    """Panorama pixel coordinates (column, row; float32 H×W each) seen by each view pixel."""
    x, y, z = _view_rays(size, fov)
    pitch_rad, yaw_rad = np.float32(np.radians(pitch)), np.float32(np.radians(yaw))
    y, z = (
        y * np.cos(pitch_rad) + z * np.sin(pitch_rad),
        z * np.cos(pitch_rad) - y * np.sin(pitch_rad),
    )
    x, z = x * np.cos(yaw_rad) + z * np.sin(yaw_rad), z * np.cos(yaw_rad) - x * np.sin(yaw_rad)
    longitude = np.arctan2(x, z)
    latitude = np.arctan2(y, np.hypot(x, z))
    pano_height, pano_width = pano_shape
    column = (longitude * np.float32(0.5 / np.pi) + np.float32(0.5)) * pano_width - 0.5
    row = (np.float32(0.5) - latitude * np.float32(1 / np.pi)) * pano_height - 0.5
    return column.astype(np.float32), row.astype(np.float32)


def _shrink_for_view(pano: np.ndarray, size: tuple[int, int], fov: float) -> np.ndarray:
    """Area-downscale a panorama whose angular resolution far exceeds the view's (anti-aliasing)."""
    pano_per_radian = pano.shape[1] / (2.0 * np.pi)
    view_per_radian = (size[0] / 2.0) / np.tan(np.radians(fov) / 2.0)
    if pano_per_radian <= ANTIALIAS_RATIO * view_per_radian:
        return pano
    scale = view_per_radian / pano_per_radian
    new_size = (max(2, round(pano.shape[1] * scale)), max(1, round(pano.shape[0] * scale)))
    return cv2.resize(pano, new_size, interpolation=cv2.INTER_AREA)


def equirect_to_perspective(
    pano: np.ndarray, *, yaw: float, pitch: float, fov: float, size: tuple[int, int]
) -> np.ndarray:
    """Render a pinhole view of an equirectangular panorama (bilinear, seam-aware).

    Args:
        pano: H×W×C float32 panorama (any domain; use linear for HDR), W ≈ 2·H.
        yaw: longitude of the view centre in degrees (0 = panorama centre, positive = right).
        pitch: latitude of the view centre in degrees (positive = up), in [−90, 90].
        fov: horizontal field of view in degrees, in (0, 170].
        size: (width, height) of the view in pixels.

    Returns:
        height×width×C float32 view, same domain as ``pano``.

    Raises:
        ValueError: on a non-image ``pano`` or out-of-range angles or size.
    """
    size = _check_size(size)
    if pano.ndim != 3 or pano.shape[0] < 1 or pano.shape[1] < 2:
        raise ValueError(f"pano must be an H×W×C array, got shape {pano.shape}")
    if not 0.0 < fov <= MAX_FOV:
        raise ValueError(f"fov must be in (0, {MAX_FOV}] degrees, got {fov}")
    if not -90.0 <= pitch <= 90.0:
        raise ValueError(f"pitch must be in [-90, 90] degrees, got {pitch}")
    pano = _shrink_for_view(np.asarray(pano, dtype=np.float32), size, fov)
    column, row = _panorama_maps(pano.shape[:2], size, yaw=yaw, pitch=pitch, fov=fov)
    # One wrapped column on each side lets bilinear interpolation cross the ±180° seam.
    padded = np.concatenate([pano[:, -1:], pano, pano[:, :1]], axis=1)
    column = np.mod(column, np.float32(pano.shape[1])) + np.float32(1.0)
    row = np.clip(row, 0.0, pano.shape[0] - 1).astype(np.float32)
    view = cv2.remap(padded, column, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return view.reshape(size[1], size[0], pano.shape[2])


def _fit_to_cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Upscale (bilinear, aspect kept) an image smaller than ``size`` so that it covers it."""
    height, width = image.shape[:2]
    scale = max(size[0] / width, size[1] / height)
    if scale <= 1.0:
        return image
    new_size = (max(size[0], round(width * scale)), max(size[1], round(height * scale)))
    resized = cv2.resize(image, new_size, interpolation=cv2.INTER_LINEAR)
    return resized.reshape(new_size[1], new_size[0], image.shape[2])


def random_crop(
    images: Sequence[np.ndarray], size: tuple[int, int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Crop aligned images (same H×W) at one uniformly random position.

    Args:
        images: H×W×C arrays of equal height and width.
        size: (width, height) of the crop, at most the images' size.
        rng: the generator that draws the top-left corner.

    Returns:
        The crops (views into the inputs), height×width×C each, in the order given.

    Raises:
        ValueError: if the images differ in size or are smaller than ``size``.
    """
    width, height = _check_size(size)
    shapes = {image.shape[:2] for image in images}
    if len(shapes) != 1:
        raise ValueError(f"images to crop together must share H×W, got {sorted(shapes)}")
    image_height, image_width = shapes.pop()
    if width > image_width or height > image_height:
        raise ValueError(f"crop {size} is larger than the image ({image_width}, {image_height})")
    top = int(rng.integers(image_height - height + 1))
    left = int(rng.integers(image_width - width + 1))
    return [image[top : top + height, left : left + width] for image in images]


def random_flip(images: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Mirror aligned images left-right together with probability 1/2 (one draw from ``rng``)."""
    if rng.uniform() < FLIP_PROBABILITY:
        return [image[:, ::-1] for image in images]
    return list(images)


def random_view(
    image: np.ndarray,
    rng: np.random.Generator,
    *,
    size: tuple[int, int],
    panorama: bool | None = None,
    fov_range: tuple[float, float] = DEFAULT_FOV_RANGE,
    pitch_range: tuple[float, float] = DEFAULT_PITCH_RANGE,
    flip: bool = False,
) -> np.ndarray:
    """A random photo-like view of an HDR image.

    Panoramas get a perspective view at uniform random yaw in [−180, 180), pitch in
    ``pitch_range`` and horizontal field of view in ``fov_range``; other images get a uniform
    random crop (upscaled first if smaller than ``size``). Optionally mirrored left-right.

    Args:
        image: H×W×3 float32 image, linear HDR.
        rng: the only source of randomness.
        size: (width, height) of the view.
        panorama: treat ``image`` as equirectangular; None decides by shape (:func:`is_panorama`).
        fov_range: (low, high) horizontal field of view in degrees, panoramas only.
        pitch_range: (low, high) pitch in degrees, panoramas only.
        flip: mirror left-right with probability 1/2.

    Returns:
        height×width×3 float32 view, linear like ``image`` (a contiguous copy).
    """
    size = _check_size(size)
    if panorama is None:
        panorama = is_panorama(image.shape)
    if panorama:
        yaw = float(rng.uniform(-180.0, 180.0))
        pitch = float(rng.uniform(*pitch_range))
        fov = float(rng.uniform(*fov_range))
        view = equirect_to_perspective(image, yaw=yaw, pitch=pitch, fov=fov, size=size)
    else:
        (view,) = random_crop([_fit_to_cover(image, size)], size, rng)
    if flip:
        (view,) = random_flip([view], rng)
    return np.ascontiguousarray(view, dtype=np.float32)
