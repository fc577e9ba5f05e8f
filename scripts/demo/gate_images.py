"""Photos for fitting and measuring the photo gate (scripts/demo/evaluate_gate.mjs), written as PNG/JPEG files.

  /usr/bin/python3 scripts/demo/gate_images.py OUT_DIR
  /usr/bin/python3 scripts/demo/gate_images.py --per-type N --seed S OUT_DIR   (tests: N unseen photos per Fitzpatrick
                                                                              type, t<type>_<label>_<n>.png, in OUT_DIR)

OUT_DIR/
  fit-skin-types.csv            the fit photos' Fitzpatrick types (photo,type), for `fit-gate --skin-types`
  fit/<label id>/*.png|jpg      in-distribution photos for `dermcam.mjs fit-gate` (seed 7001; never the test seed), as
                                delivered (see delivered(): a quarter as generated, the rest enlarged, noisy, JPEG)
  test/lesions/t<type>_<label>_<n>.png|jpg   unseen generated lesion photos (seed 9001), Fitzpatrick type 1-6 in the
                                name, delivered the same way
  test/degraded/<code>/*.png    the same photos made blurry (Gaussian sigma 3 px at 128 px), too dark (exposure x0.08),
                                overexposed (exposure raised until 60% of the pixels are white), too small (48 px) and
                                washed out (blacks lifted by 75% of white: the palest skin then clips, overexposed)
  tune/nonskin/*                non-skin photos used while designing the gate (half of the real photos + synthetic)
  tune/closeups/*               close-ups of the same real half (100 per photo): the discriminator's negatives with
                                tune/nonskin (`fit-gate --negatives OUT_DIR/tune`)
  test/nonskin/real/*           real non-skin photos never looked at while designing it: the other half
  test/nonskin/synthetic/*      documents, flat colours, noise, gradients, checkerboards at seeds not used in tune/
  test/closeups/*               close-ups of the test half's real photos (30 per photo; chelsea.png's cat fur among
                                them): what a patient framing a small square of a non-skin photo sends
Real photos come from Debian packages (scikit-image, scikit-learn, matplotlib sample data); the split is by file,
fixed below. Grey photos are kept (a phone can send one) and made RGB.
"""
import os
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import lesions  # noqa: E402

SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data/"
SKLEARN = "/usr/lib/python3/dist-packages/sklearn/datasets/images/"
MATPLOTLIB = "/usr/share/matplotlib/mpl-data/sample_data/"
# Alternating assignment after sorting by name would depend on what is installed; fixed lists do not.
REAL_TUNE = [SKIMAGE + n for n in ["astronaut.png", "coffee.png", "rocket.jpg", "camera.png", "brick.png", "coins.png",
                                   "hubble_deep_field.jpg", "page.png", "motorcycle_left.png", "color.png", "cell.png"]] + \
            [SKLEARN + "china.jpg"]
REAL_TEST = [SKIMAGE + n for n in ["chelsea.png", "ihc.png", "retina.jpg", "grass.png", "gravel.png", "moon.png",
                                   "text.png", "motorcycle_right.png", "logo.png", "clock_motion.png",
                                   "microaneurysms.png"]] + \
            [SKLEARN + "flower.jpg", MATPLOTLIB + "grace_hopper.jpg", MATPLOTLIB + "logo2.png"]


def tone_of(seed, label):
    """The Fitzpatrick type lesions.sample(seed, label) draws (the first draw of skin())."""
    rng = np.random.default_rng(seed)
    return int(rng.integers(0, 6))


def write(path, rgb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def delivered(image, rng):
    """The generated photo as a phone or a browser might deliver it: a quarter as it is (PNG); the rest enlarged 1-4x
    (bicubic), with sensor noise (sigma 0-3) and JPEG at 75-95. Both sides of the discriminator must look delivered,
    or it learns to refuse JPEG instead of cats. Returns (extension, BGR image, JPEG quality)."""
    if rng.random() < 0.25:
        return ".png", np.ascontiguousarray(image[..., ::-1]), None
    side = int(round(image.shape[0] * rng.uniform(1, 4)))
    big = cv2.resize(np.ascontiguousarray(image[..., ::-1]), (side, side), interpolation=cv2.INTER_CUBIC)
    noisy = big.astype(np.float32) + rng.normal(0, rng.uniform(0, 3), big.shape)
    return ".jpg", np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(75, 96))


def write_delivered(stem, image, rng):
    extension, bgr, quality = delivered(image, rng)
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    cv2.imwrite(stem + extension, bgr, [cv2.IMWRITE_JPEG_QUALITY, quality] if quality else [])
    return stem + extension


def in_distribution(seed, n, with_masks=False):
    order = np.random.default_rng(seed).permutation(n)
    for i in range(n):
        label = int(order[i] % len(lesions.CLASSES))
        s = seed * 1_000_003 + i
        image, _, mask = lesions.sample(s, label)
        yield (i, image, label, tone_of(s, label)) + ((mask,) if with_masks else ())


def overexpose(image):
    """Exposure raised until 60% of the pixels clip to white in all three channels."""
    f = image.astype(np.float32)
    level = np.quantile(f.min(axis=2), 0.4)
    return np.clip(f * (255.0 / max(level, 1.0)), 0, 255).astype(np.uint8)


def degraded(image):
    f = image.astype(np.float32)
    return {
        "blurry": cv2.GaussianBlur(image, (0, 0), 3.0),
        "too_dark": np.clip(f * 0.08, 0, 255).astype(np.uint8),
        "overexposed": overexpose(image),
        "too_small": cv2.resize(image, (48, 48), interpolation=cv2.INTER_AREA),
        "washed_out": np.round(0.75 * 255 + 0.25 * f).astype(np.uint8),
    }


def synthetic(rng, kind, size=(480, 640)):
    h, w = size
    if kind == "flat":
        return np.broadcast_to(rng.integers(0, 256, 3).astype(np.uint8), (h, w, 3)).copy()
    if kind == "noise":
        return rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    if kind == "gradient":
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        t = np.linspace(0, 1, w)[None, :, None]
        return np.broadcast_to(a + (b - a) * t, (h, w, 3)).astype(np.uint8).copy()
    if kind == "checker":
        cell = int(rng.integers(8, 64))
        yy, xx = np.mgrid[0:h, 0:w]
        return (((yy // cell + xx // cell) % 2) * 255).astype(np.uint8)[..., None].repeat(3, 2)
    if kind == "document":
        page = np.full((h, w, 3), 245, np.uint8)
        y = 40
        while y < h - 30:
            words = "".join(chr(int(c)) for c in rng.integers(97, 123, int(rng.integers(20, 45))))
            cv2.putText(page, words, (30, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 1, cv2.LINE_AA)
            y += int(rng.integers(26, 34))
        return page
    raise ValueError(kind)


def real_variants(path):
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return []
    rgb = image[..., ::-1]
    h, w = rgb.shape[:2]
    out = [("full", rgb)]
    # Two large crops (60% of each side): still the same scene, as a patient might frame it.
    ch, cw = int(h * 0.6), int(w * 0.6)
    out.append(("crop_tl", rgb[:ch, :cw]))
    out.append(("crop_br", rgb[h - ch:, w - cw:]))
    return out


def closeups(path, n, seed):
    """n random square close-ups of a photo: 8% to 100% of its short side, flipped, turned, hue, saturation and
    exposure moved a little, sometimes softened, with sensor noise and JPEG at 75-95: as a phone would send them."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    for k in range(n):
        side = max(32, int(min(h, w) * float(np.exp(rng.uniform(np.log(0.08), 0)))))
        x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        crop = image[y:y + side, x:x + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = np.rot90(crop, int(rng.integers(0, 4)))
        crop = cv2.resize(np.ascontiguousarray(crop), (384, 384), interpolation=cv2.INTER_CUBIC)
        hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-10, 10)) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.4), 0, 255)
        hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.7, 1.3), 0, 255)
        crop = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
        if rng.random() < 0.3:
            crop = cv2.GaussianBlur(crop, (0, 0), rng.uniform(0.5, 1.5))
        noisy = crop.astype(np.float32) + rng.normal(0, rng.uniform(0, 4), crop.shape)
        yield k, np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(75, 96))


def main(out):
    rng = np.random.default_rng(31)
    types = ["photo,type"]
    for i, image, label, tone in in_distribution(7001, 2400):
        path = write_delivered(f"{out}/fit/{lesions.CLASSES[label]}/{i:05d}", image, rng)
        types.append(f"{os.path.relpath(path, out + '/fit')},{tone + 1}")
    with open(f"{out}/fit-skin-types.csv", "w") as f:
        f.write("\n".join(types) + "\n")
    rng = np.random.default_rng(32)
    for i, image, label, tone in in_distribution(9001, 1800):
        name = f"t{tone + 1}_{lesions.CLASSES[label]}_{i:05d}.png"
        write_delivered(f"{out}/test/lesions/{name[:-4]}", image, rng)
        if i < 600:
            for code, bad in degraded(image).items():
                write(f"{out}/test/degraded/{code}/{name}", bad)
    for split, paths in (("tune/nonskin", REAL_TUNE), ("test/nonskin/real", REAL_TEST)):
        for path in paths:
            for tag, rgb in real_variants(path):
                write(f"{out}/{split}/{os.path.splitext(os.path.basename(path))[0]}_{tag}.png", rgb)
    for split, paths, n, seed in (("tune/closeups", REAL_TUNE, 100, 21), ("test/closeups", REAL_TEST, 30, 22)):
        for p, path in enumerate(paths):
            name = os.path.splitext(os.path.basename(path))[0]
            for k, bgr, quality in closeups(path, n, seed * 1000 + p):
                os.makedirs(f"{out}/{split}", exist_ok=True)
                cv2.imwrite(f"{out}/{split}/{name}_{k:03d}.jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    for split, seed in (("tune/nonskin", 11), ("test/nonskin/synthetic", 12)):
        rng = np.random.default_rng(seed)
        for kind in ["flat", "noise", "gradient", "checker", "document"]:
            for k in range(8):
                write(f"{out}/{split}/{kind}_{k}.png", synthetic(rng, kind))


def per_type(out, n, seed, masks=None):
    """n lesion photos per skin type; with `masks`, each photo's lesion mask (white on black) under the same name."""
    counts = [0] * 6
    for i, image, label, tone, mask in in_distribution(seed, 40 * n, with_masks=True):
        if counts[tone] < n:
            counts[tone] += 1
            name = f"t{tone + 1}_{lesions.CLASSES[label]}_{i:05d}.png"
            write(f"{out}/{name}", image)
            if masks:
                write(f"{masks}/{name}", np.repeat(mask[..., None].astype(np.uint8) * 255, 3, axis=2))
        if min(counts) == n:
            return


if __name__ == "__main__":
    if sys.argv[1] == "--per-type":  # --per-type N --seed S OUT [MASKS_OUT]
        per_type(sys.argv[5], int(sys.argv[2]), int(sys.argv[4]), sys.argv[6] if len(sys.argv) > 6 else None)
    else:
        main(sys.argv[1])
