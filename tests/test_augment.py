"""Tests for mmcl_lite.augment: each batched op against torchvision.transforms.v2.functional
applied image by image, the parameter distributions, determinism, shapes and errors."""
import math

import pytest
import torch
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as TF

from mmcl_lite.augment import ImageViews, MultiCropViews, ops

B = 6  # small batches keep the per-sample reference loops fast


@pytest.fixture
def rgb():
    return torch.rand(B, 3, 20, 24, generator=torch.Generator().manual_seed(1))


def per_sample(fn, x, *params):
    """The reference: apply a torchvision function to each image with its own parameters."""
    return torch.stack([fn(x[i], *(p[i] for p in params)) for i in range(x.shape[0])])


def factors(low, high, seed=2):
    return low + (high - low) * torch.rand(B, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- ops vs torchvision
@pytest.mark.parametrize("name, low, high, atol", [
    ("brightness", 0.0, 2.0, 1e-6),
    ("contrast", 0.0, 2.0, 1e-6),
    ("saturation", 0.0, 2.0, 1e-6),
    ("hue", -0.5, 0.5, 1e-5),
])
def test_colour_ops_match_torchvision(rgb, name, low, high, atol):
    ours = getattr(ops, f"adjust_{name}")
    theirs = getattr(TF, f"adjust_{name}")
    f = factors(low, high)
    torch.testing.assert_close(ours(rgb, f), per_sample(lambda im, v: theirs(im, v.item()), rgb, f),
                               atol=atol, rtol=0)


def test_colour_ops_on_grayscale_images():
    x = torch.rand(B, 1, 9, 9, generator=torch.Generator().manual_seed(3))
    f = factors(0.0, 2.0)
    for name in ("brightness", "contrast"):
        ref = per_sample(lambda im, v: getattr(TF, f"adjust_{name}")(im, v.item()), x, f)
        torch.testing.assert_close(getattr(ops, f"adjust_{name}")(x, f), ref, atol=1e-6, rtol=0)
    # A grey image has no saturation or hue, and is its own grayscale (torchvision agrees).
    assert torch.equal(ops.adjust_saturation(x, f), x)
    assert torch.equal(ops.adjust_hue(x, f - 1), x)
    assert torch.equal(ops.rgb_to_grayscale(x, torch.ones(B, dtype=torch.bool)), x)


def test_hue_handles_grey_and_saturated_pixels():
    # Grey pixels (max == min) and pure primaries are the branch edges of RGB -> HSV.
    x = torch.tensor([[0.5, 0.5, 0.5], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [1, 1, 0]])
    x = x.T.reshape(1, 3, 2, 3).expand(B, 3, 2, 3).contiguous()
    f = factors(-0.5, 0.5)
    ref = per_sample(lambda im, v: TF.adjust_hue(im, v.item()), x, f)
    out = ops.adjust_hue(x, f)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(ops.adjust_hue(x, torch.zeros(B)), x, atol=1e-6, rtol=0)


def test_grayscale_matches_torchvision_where_masked(rgb):
    mask = torch.tensor([True, False, True, True, False, False])
    ref = torch.stack([TF.rgb_to_grayscale(im, num_output_channels=3) if m else im
                       for im, m in zip(rgb, mask)])
    torch.testing.assert_close(ops.rgb_to_grayscale(rgb, mask), ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("k", [3, 5])
def test_gaussian_blur_matches_torchvision(rgb, k):
    sigma = factors(0.1, 2.0)
    ref = per_sample(lambda im, s: TF.gaussian_blur(im, [k, k], [s.item(), s.item()]), rgb, sigma)
    torch.testing.assert_close(ops.gaussian_blur(rgb, sigma, k), ref, atol=1e-5, rtol=0)


def test_gaussian_blur_rejects_even_kernel(rgb):
    with pytest.raises(ValueError, match="kernel_size"):
        ops.gaussian_blur(rgb, torch.ones(B), 4)


def test_solarize_matches_torchvision_where_masked(rgb):
    mask = torch.tensor([True, True, False, True, False, True])
    ref = torch.stack([TF.solarize(im, 0.4) if m else im for im, m in zip(rgb, mask)])
    assert torch.equal(ops.solarize(rgb, 0.4, mask), ref)


def test_to_float():
    u = torch.tensor([[[[0, 51, 255]]]], dtype=torch.uint8)
    torch.testing.assert_close(ops.to_float(u), torch.tensor([[[[0.0, 0.2, 1.0]]]]))
    f = torch.rand(1, 1, 2, 2)
    assert ops.to_float(f) is f
    with pytest.raises(TypeError, match="images"):
        ops.to_float(torch.zeros(1, 1, 2, 2, dtype=torch.int64))


# Integer boxes (top, left, height, width) inside a 20x24 image; output 16x16 makes the first
# ones a downscale and the last ones an upscale.
BOXES = torch.tensor([[0, 0, 20, 24], [2, 3, 17, 19], [4, 1, 16, 20],
                      [5, 7, 12, 10], [1, 10, 9, 14], [8, 12, 6, 6]], dtype=torch.float32)
FLIP = torch.tensor([False, True, False, True, True, False])


def torchvision_crop(x, size):
    out = []
    for im, (t, l, h, w), f in zip(x, BOXES.int().tolist(), FLIP):
        im = TF.resized_crop(im, t, l, h, w, [size, size], antialias=False)
        out.append(TF.horizontal_flip(im) if f else im)
    return torch.stack(out)


def test_resized_crop_flip_matches_torchvision(rgb):
    ours, ref = ops.resized_crop_flip(rgb, BOXES, FLIP, 16), torchvision_crop(rgb, 16)
    # Interior pixels sample the same points with the same bilinear weights. On an upscale the
    # outermost output row/column samples up to half a crop-pixel outside the box: torchvision
    # crops first and so repeats the box's edge pixel, while one grid_sample over the whole image
    # reads the true neighbour outside the box. So only the interior is compared tightly.
    torch.testing.assert_close(ours[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-5, rtol=0)
    # A downscale never samples outside its box, so those crops match everywhere...
    torch.testing.assert_close(ours[:3], ref[:3], atol=1e-5, rtol=0)
    # ... and so does a crop that touches the image edges (both repeat the edge pixel).
    full = torch.tensor([[0.0, 0.0, 20.0, 24.0]]).expand(B, 4)
    ref_full = torch.stack([TF.resize(im, [40, 40], antialias=False) for im in rgb])
    torch.testing.assert_close(ops.resized_crop_flip(rgb, full, torch.zeros(B, dtype=torch.bool), 40),
                               ref_full, atol=1e-5, rtol=0)


def test_resized_crop_flip_takes_uint8_and_rectangular_size(rgb):
    u8 = (rgb * 255).round().to(torch.uint8)
    out = ops.resized_crop_flip(u8, BOXES, FLIP, (8, 12))
    assert out.shape == (B, 3, 8, 12) and out.dtype == torch.float32
    torch.testing.assert_close(out, ops.resized_crop_flip(u8.float() / 255, BOXES, FLIP, (8, 12)))


# ---------------------------------------------------------------- parameter distributions
N = 20000


@pytest.fixture(scope="module")
def params():
    return ImageViews().sample_params(N, 32, 32, torch.Generator().manual_seed(0))


def test_params_shapes_and_dtypes(params):
    assert params["boxes"].shape == (N, 4)
    for k in ("flip", "jitter", "gray", "blur", "solarize"):
        assert params[k].shape == (N,) and params[k].dtype == torch.bool
    for k in ("brightness", "contrast", "saturation", "hue", "sigma"):
        assert params[k].shape == (N,) and params[k].is_floating_point()


def test_mask_rates(params):
    tol = 4 * math.sqrt(0.25 / N)  # 4 standard errors
    for key, p in (("flip", 0.5), ("jitter", 0.8), ("gray", 0.2), ("blur", 0.0), ("solarize", 0.0)):
        assert abs(params[key].float().mean().item() - p) < tol, key


def test_jitter_factor_ranges(params):
    for key in ("brightness", "contrast", "saturation"):
        f = params[key]
        assert f.min() >= 0.6 and f.max() <= 1.4, key
        assert abs(f.mean().item() - 1.0) < 0.01, key
    assert params["hue"].abs().max() <= 0.1 and abs(params["hue"].mean().item()) < 0.005
    assert params["sigma"].min() >= 0.1 and params["sigma"].max() <= 2.0


def test_crop_boxes_follow_random_resized_crop(params):
    top, left, h, w = params["boxes"].unbind(1)
    area, ratio = h * w / (32 * 32), w / h
    assert (top >= 0).all() and (left >= 0).all()
    assert (top + h <= 32 + 1e-4).all() and (left + w <= 32 + 1e-4).all()
    assert area.min() >= 0.2 - 1e-5 and area.max() <= 1 + 1e-5
    assert ratio.min() >= 3 / 4 - 1e-5 and ratio.max() <= 4 / 3 + 1e-5
    # Same rule as torchvision's RandomResizedCrop: compare the means with its get_params on a
    # large image (where its rounding to whole pixels does not matter). Large areas are rejected
    # more often (they fit only for ratios near 1), so the mean is a little under 0.6.
    img = torch.empty(1, 1000, 1000)
    torch.manual_seed(0)
    ref = torch.tensor([T.RandomResizedCrop.get_params(img, [0.2, 1.0], [3 / 4, 4 / 3])
                        for _ in range(3000)], dtype=torch.float32)
    ref_area = ref[:, 2] * ref[:, 3] / 1e6
    assert abs(area.mean() - ref_area.mean()) < 0.015
    assert 0.5 < area.mean() < 0.6
    assert abs(torch.log(ratio).mean()) < 0.01
    # The position is uniform over where the box fits: the centre is, on average, central.
    assert abs((top + h / 2).mean() - 16) < 0.2 and abs((left + w / 2).mean() - 16) < 0.2


def test_crop_fallback_is_centre_crop():
    # Scale 1 with ratio 2 never fits a square image: every sample gets the centre crop with the
    # ratio clamped into range.
    v = ImageViews(crop_scale=(1.0, 1.0), crop_ratio=(2.0, 3.0))
    boxes = v.sample_params(5, 30, 30)["boxes"]
    torch.testing.assert_close(boxes, torch.tensor([[7.5, 0.0, 15.0, 30.0]]).expand(5, 4))


def test_params_on_device_do_not_change_the_draw():
    v = ImageViews()
    a = v.sample_params(8, 16, 16, torch.Generator().manual_seed(5), device="meta")
    b = v.sample_params(8, 16, 16, torch.Generator().manual_seed(5))
    assert all(t.device.type == "meta" for t in a.values())
    assert a.keys() == b.keys()


# ---------------------------------------------------------------- views
@pytest.fixture
def u8():
    return torch.randint(0, 256, (B, 3, 16, 16), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(7))


def test_same_seed_same_views_different_seed_different(u8):
    v = ImageViews(blur_p=0.5, solarize_p=0.5)
    a = v(u8, torch.Generator().manual_seed(0))
    b = v(u8, torch.Generator().manual_seed(0))
    c = v(u8, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.allclose(a, c)
    v1, v2 = v.pair(u8, torch.Generator().manual_seed(0))
    w1, w2 = v.pair(u8, torch.Generator().manual_seed(0))
    assert torch.equal(v1, w1) and torch.equal(v2, w2) and not torch.allclose(v1, v2)
    # one call on the stacked batch: the same draws as viewing [x; x] directly
    both = v(torch.cat([u8, u8]), torch.Generator().manual_seed(0))
    assert torch.equal(torch.cat([v1, v2]), both)


def test_global_rng_repeats_after_manual_seed(u8):
    torch.manual_seed(3)
    a = ImageViews()(u8)
    torch.manual_seed(3)
    assert torch.equal(a, ImageViews()(u8))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
@pytest.mark.parametrize("size", [None, 12])
def test_shapes_dtypes_and_range(channels, dtype, size):
    x = torch.rand(B, channels, 16, 16)
    x = (x * 255).to(torch.uint8) if dtype == torch.uint8 else x
    v = ImageViews(size=size, blur_p=0.5, solarize_p=0.5, brightness=0.9, contrast=0.9)
    out = v(x, torch.Generator().manual_seed(0))
    side = size or 16
    assert out.shape == (B, channels, side, side) and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1


def test_uint8_and_float_inputs_give_the_same_views(u8):
    v = ImageViews(blur_p=0.5)
    a = v(u8, torch.Generator().manual_seed(0))
    b = v(u8.float() / 255, torch.Generator().manual_seed(0))
    torch.testing.assert_close(a, b)


def test_apply_runs_ops_in_order_and_masks_leave_samples_alone(u8):
    v = ImageViews(blur_p=0.5, solarize_p=0.5)
    p = v.sample_params(B, 16, 16, torch.Generator().manual_seed(4))
    p["jitter"] = torch.tensor([True, False, True, False, False, False])
    p["gray"] = torch.tensor([False, True, True, False, False, False])
    p["blur"] = torch.tensor([False, False, False, True, False, False])
    p["solarize"] = torch.tensor([False, False, True, False, True, False])
    out = v.apply(u8, p)
    x = ops.resized_crop_flip(u8, p["boxes"], p["flip"], 16)
    jit = ops.adjust_hue(ops.adjust_saturation(ops.adjust_contrast(
        ops.adjust_brightness(x, p["brightness"]), p["contrast"]), p["saturation"]), p["hue"])
    on = torch.ones(B, dtype=torch.bool)
    expected = [jit[0], ops.rgb_to_grayscale(x, on)[1],
                ops.solarize(ops.rgb_to_grayscale(jit, on), 0.5, on)[2],
                ops.gaussian_blur(x, p["sigma"], 3)[3], ops.solarize(x, 0.5, on)[4], x[5]]
    torch.testing.assert_close(out, torch.stack(expected))
    assert torch.equal(out[5], x[5])  # every mask off: exactly the crop


def test_presets():
    x = torch.rand(B, 3, 16, 16)
    torch.testing.assert_close(ImageViews.none()(x), x)  # identity apart from resize
    assert ImageViews.none(8)(x).shape == (B, 3, 8, 8)
    w = ImageViews.weak(16)
    assert w.crop_scale == (0.6, 1.0) and w.jitter_p == 0 and w.gray_p == 0 and w.flip_p == 0.5
    # Weak views change no colours: a flat-colour image stays exactly that colour.
    flat = torch.rand(B, 3, 1, 1).expand(B, 3, 16, 16)
    torch.testing.assert_close(w(flat), flat)
    assert ImageViews.simclr(32) == ImageViews(size=32, crop_scale=(0.35, 1.0))
    assert ImageViews().replace(gray_p=0.0).gray_p == 0.0


@pytest.mark.parametrize("images, match", [
    (torch.rand(3, 16, 16), r"^images: expected a 4-D tensor \(B, C, H, W\), got shape \(3, 16, 16\)"),
    (255 * torch.rand(2, 3, 16, 16), r"^images: expected float images in \[0, 1\]"),
    (torch.full((2, 3, 16, 16), float("nan")), r"^images: expected finite values"),
])
def test_bad_images_raise(images, match):
    with pytest.raises(ValueError, match=match):
        ImageViews()(images)


def test_any_channel_count_gets_geometric_views():
    """A 4-band image (e.g. RGB + infrared) keeps its 4 channels; colour ops skip it."""
    x = torch.rand(5, 4, 16, 16)
    v = ImageViews(size=8)(x, generator=torch.Generator().manual_seed(0))
    assert v.shape == (5, 4, 8, 8) and bool(torch.isfinite(v).all())


@pytest.mark.parametrize("changes, match", [
    ({"flip_p": 1.5}, "flip_p"), ({"gray_p": -0.1}, "gray_p"), ({"jitter_p": 2}, "jitter_p"),
    ({"blur_p": 1.01}, "blur_p"), ({"solarize_p": -1}, "solarize_p"),
    ({"crop_scale": (0.5, 0.2)}, "crop_scale"), ({"crop_scale": (0.0, 1.0)}, "crop_scale"),
    ({"crop_scale": (0.5, 1.5)}, "crop_scale"), ({"crop_ratio": (2.0, 1.0)}, "crop_ratio"),
    ({"hue": 0.7}, "hue"), ({"brightness": -1}, "brightness"), ({"size": 0}, "size"),
    ({"blur_sigma": (0.0, 1.0)}, "blur_sigma"),
    # non-finite numbers are rejected, not carried into the sampled parameters
    ({"brightness": float("inf")}, "^brightness"), ({"hue": float("nan")}, "^hue"),
    ({"crop_ratio": (1.0, float("inf"))}, "^crop_ratio"), ({"flip_p": float("nan")}, "^flip_p"),
])
def test_bad_fields_raise(changes, match):
    with pytest.raises(ValueError, match=match):
        ImageViews(**changes)
    with pytest.raises(ValueError, match=match):
        ImageViews().replace(**changes)


def test_range_fields_given_as_lists_become_tuples():
    """A config read back from JSON holds lists; the views it rebuilds equal the originals."""
    views = ImageViews(crop_scale=[0.3, 1.0], crop_ratio=[0.8, 1.25], blur_sigma=[0.1, 1.0])
    assert views == ImageViews(crop_scale=(0.3, 1.0), crop_ratio=(0.8, 1.25),
                               blur_sigma=(0.1, 1.0))
    assert isinstance(views.replace(crop_scale=[0.5, 1.0]).crop_scale, tuple)


def test_params_for_another_batch_size_raise(u8):
    p = ImageViews().sample_params(B + 1, 16, 16)
    with pytest.raises(ValueError, match="params"):
        ImageViews().apply(u8, p)


# ---------------------------------------------------------------- multi-crop
def test_multicrop_sizes_and_order(u8):
    views = MultiCropViews.swav(size=16, n_local=3)(u8, torch.Generator().manual_seed(0))
    assert [tuple(v.shape) for v in views] == [(B, 3, 16, 16)] * 2 + [(B, 3, 8, 8)] * 3
    m = MultiCropViews.swav()
    assert m.global_views.crop_scale == (0.3, 1.0) and m.local_views.crop_scale == (0.05, 0.3)
    assert m.global_views.size == 32 and m.local_views.size == 16
    m = MultiCropViews.swav(global_scale=(0.6, 1.0), local_scale=[0.1, 0.4])
    assert m.global_views.crop_scale == (0.6, 1.0) and m.local_views.crop_scale == (0.1, 0.4)
    custom = MultiCropViews(ImageViews.weak(12), ImageViews.none(4), n_global=1, n_local=2)
    assert [v.shape[-1] for v in custom(u8)] == [12, 4, 4]
    with pytest.raises(ValueError, match="n_global"):
        MultiCropViews(ImageViews(), ImageViews(), n_global=0)


# ---------------------------------------------------------------- devices
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(u8):
    v = ImageViews(blur_p=0.5, solarize_p=0.5)
    cpu = v(u8, torch.Generator().manual_seed(0))
    gpu = v(u8.cuda(), torch.Generator().manual_seed(0))
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-5, rtol=0)
    views = MultiCropViews.swav(16)(u8.cuda(), torch.Generator(device="cuda").manual_seed(0))
    assert all(t.device.type == "cuda" for t in views)


def test_rotation_by_90_degrees_matches_rot90():
    """A full-image 'crop' rotated by 90 degrees equals torch.rot90 (up to the sign convention)."""
    import math
    x = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    boxes = torch.tensor([[0.0, 0.0, 8.0, 8.0]] * 2)
    no_flip = torch.zeros(2, dtype=torch.bool)
    out = ops.resized_crop_flip(x, boxes, no_flip, 8, angle=torch.full((2,), math.pi / 2))
    candidates = [torch.rot90(x, k, dims=(2, 3)) for k in (1, 3)]
    assert min((out - c).abs().max() for c in candidates) < 1e-5


def test_rotation_field_validated_and_sampled():
    with pytest.raises(ValueError, match="rotation"):
        ImageViews(rotation=200)
    v = ImageViews(rotation=30)
    p = v.sample_params(5000, 16, 16, generator=torch.Generator().manual_seed(0))
    deg = torch.rad2deg(p["angle"])
    assert deg.abs().max() <= 30 and deg.abs().mean() > 10
