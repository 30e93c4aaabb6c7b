"""Random views: perspective reprojection of panoramas, crops, flips."""

from __future__ import annotations

import numpy as np
import pytest

from ldr2hdr.data.views import (
    equirect_to_perspective,
    is_panorama,
    random_crop,
    random_flip,
    random_view,
)

PANO_HEIGHT = 180


def _direction_panorama() -> np.ndarray:
    """An equirectangular panorama whose pixels hold their own unit view direction (x, y, z)."""
    rows = (np.arange(PANO_HEIGHT) + 0.5) / PANO_HEIGHT
    columns = (np.arange(2 * PANO_HEIGHT) + 0.5) / (2 * PANO_HEIGHT)
    latitude = (0.5 - rows)[:, None] * np.pi
    longitude = (columns - 0.5)[None, :] * 2 * np.pi
    return np.stack(
        np.broadcast_arrays(
            np.cos(latitude) * np.sin(longitude),  # x: right
            np.sin(latitude) + 0 * longitude,  # y: up
            np.cos(latitude) * np.cos(longitude),  # z: forward at longitude 0
        ),
        axis=2,
    ).astype(np.float32)


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    """Camera-to-world rotation: tilt up by ``pitch`` about x, then turn right by ``yaw``."""
    p, y = np.radians(pitch), np.radians(yaw)
    tilt = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    turn = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    return turn @ tilt


@pytest.mark.parametrize(("yaw", "pitch", "fov"), [(0, 0, 60), (130, 25, 80), (180, -40, 50)])
def test_perspective_view_sees_the_right_directions(yaw: float, pitch: float, fov: float) -> None:
    width, height = 40, 30
    view = equirect_to_perspective(
        _direction_panorama(), yaw=yaw, pitch=pitch, fov=fov, size=(width, height)
    )
    assert view.shape == (height, width, 3) and view.dtype == np.float32
    focal = (width / 2) / np.tan(np.radians(fov) / 2)
    u, v = np.meshgrid(np.arange(width) + 0.5 - width / 2, np.arange(height) + 0.5 - height / 2)
    rays = np.stack([u / focal, -v / focal, np.ones_like(u)], axis=2)
    rays /= np.linalg.norm(rays, axis=2, keepdims=True)
    expected = rays @ _rotation(yaw, pitch).T
    # Bilinear interpolation of a unit vector field: off by at most ~(pixel angle)²/8.
    np.testing.assert_allclose(view, expected, atol=2e-3)


def test_view_crosses_the_seam_without_artefacts() -> None:
    pano = _direction_panorama()
    view = equirect_to_perspective(pano, yaw=180, pitch=0, fov=40, size=(33, 9))
    centre_row = view[4, :, 0]  # x component goes from + to − across the seam behind
    assert np.all(np.diff(centre_row) < 0)


def test_antialiasing_averages_a_fine_pattern() -> None:
    stripes = np.zeros((512, 1024, 3), np.float32)
    stripes[:, ::2] = 2.0  # mean 1, one-pixel stripes
    view = equirect_to_perspective(stripes, yaw=10, pitch=0, fov=90, size=(16, 16))
    np.testing.assert_allclose(view, 1.0, atol=0.05)


def test_perspective_refuses_bad_angles() -> None:
    pano = _direction_panorama()
    with pytest.raises(ValueError, match="fov"):
        equirect_to_perspective(pano, yaw=0, pitch=0, fov=0, size=(8, 8))
    with pytest.raises(ValueError, match="pitch"):
        equirect_to_perspective(pano, yaw=0, pitch=95, fov=60, size=(8, 8))
    with pytest.raises(ValueError, match="size"):
        equirect_to_perspective(pano, yaw=0, pitch=0, fov=60, size=(0, 8))


def test_is_panorama() -> None:
    assert is_panorama((512, 1024, 3)) and is_panorama((512, 1023))
    assert not is_panorama((512, 768, 3))


def test_random_crop_keeps_images_aligned() -> None:
    image = np.arange(12 * 10 * 3, dtype=np.float32).reshape(12, 10, 3)
    first, second = random_crop([image, image * 2], (4, 5), np.random.default_rng(0))
    assert first.shape == (5, 4, 3)
    assert np.array_equal(second, first * 2)
    top, left = np.argwhere(image[..., 0] == first[0, 0, 0])[0]
    assert np.array_equal(first, image[top : top + 5, left : left + 4])
    corners = {
        tuple(random_crop([image], (4, 5), np.random.default_rng(seed))[0][0, 0, :1])
        for seed in range(50)
    }
    assert len(corners) > 10  # positions vary
    with pytest.raises(ValueError, match="larger"):
        random_crop([image], (11, 5), np.random.default_rng(0))
    with pytest.raises(ValueError, match="share"):
        random_crop([image, image[:6]], (4, 5), np.random.default_rng(0))


def test_random_flip_flips_together_about_half_the_time() -> None:
    image = np.arange(6, dtype=np.float32).reshape(1, 6, 1)
    flips = 0
    for seed in range(200):
        left, right = random_flip([image, image + 1], np.random.default_rng(seed))
        assert np.array_equal(right, left + 1)
        flips += bool(left[0, 0, 0] == 5)
    assert 70 < flips < 130


def test_random_view_of_a_photo_is_a_crop() -> None:
    photo = np.random.default_rng(0).random((40, 50, 3)).astype(np.float32)
    view = random_view(photo, np.random.default_rng(3), size=(16, 12))
    top, left = np.argwhere(photo[..., 0] == view[0, 0, 0])[0]
    assert np.array_equal(view, photo[top : top + 12, left : left + 16])
    small = random_view(photo[:8, :8], np.random.default_rng(3), size=(16, 12))
    assert small.shape == (12, 16, 3)


def test_random_view_is_deterministic_and_photo_like() -> None:
    pano = _direction_panorama()
    views = [random_view(pano, np.random.default_rng(seed), size=(24, 16)) for seed in (5, 5, 6)]
    assert np.array_equal(views[0], views[1]) and not np.array_equal(views[0], views[2])
    for seed in range(10):
        view = random_view(pano, np.random.default_rng(seed), size=(24, 16))
        centre_elevation = np.degrees(np.arcsin(view[8, 12, 1]))
        assert -31 <= centre_elevation <= 31  # default pitch range ±30°
