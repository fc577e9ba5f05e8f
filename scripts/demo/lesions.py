"""Generated dermoscopy-like skin lesion images with ground-truth masks, deterministic from a seed.

Six classes defined by dermatological criteria (none is separable by global colour, position or size alone:
every class is drawn on every skin tone, anywhere in the frame, with overlapping size ranges):
  0 nevus             small-to-medium, round/oval, uniform brown, sharp regular border
  1 melanoma          asymmetric, irregular notched border, several colours (brown, black, blue-white veil,
                      red), often larger
  2 seborrheic        waxy tan-to-brown, sharply "stuck-on" plate with cerebriform ridges and milia-like
                      cysts (small white dots)
  3 vascular          red-to-purple lacunae: clustered round blobs with thin pale septa
  4 acne              red papules with a soft halo and a white-yellow pustule centre, often several
  5 eczema            diffuse, ill-defined reddish patch with white scale flakes, no sharp border
Backgrounds span Fitzpatrick I-VI with texture, pores, hair, uneven lighting, optional dermoscope vignette,
blur and JPEG artefacts. generate(seed, n) returns images (n, S, S, 3) uint8, labels (n,), masks (n, S, S) bool.
"""
import cv2
import numpy as np

SIZE = 128
CLASSES = ["nevus", "melanoma", "seborrheic_keratosis", "vascular", "acne", "eczema"]

# Fitzpatrick I..VI base skin colours (RGB), with per-image jitter.
SKIN = np.array([[241, 212, 190], [228, 186, 158], [205, 156, 120], [170, 120, 84], [120, 80, 52], [70, 46, 32]],
                np.float32)


def smooth_noise(rng, size, scale, octaves=3):
    total = np.zeros((size, size), np.float32)
    amplitude = 1.0
    for o in range(octaves):
        cells = max(2, int(size / scale) * (2 ** o))
        grid = rng.standard_normal((cells, cells)).astype(np.float32)
        total += amplitude * cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
        amplitude *= 0.5
    return total / np.abs(total).max()


def skin(rng):
    tone = rng.integers(0, 6)
    base = SKIN[tone] * rng.uniform(0.9, 1.1, 3).astype(np.float32)
    image = np.ones((SIZE, SIZE, 3), np.float32) * base
    image *= (1.0 + 0.06 * smooth_noise(rng, SIZE, 24))[..., None]
    image *= (1.0 + 0.03 * smooth_noise(rng, SIZE, 6))[..., None]
    for _ in range(rng.integers(40, 160)):  # pores
        x, y = rng.integers(0, SIZE, 2)
        cv2.circle(image, (int(x), int(y)), int(rng.integers(0, 2)), (base * 0.82).tolist(), -1)
    return image, tone


def irregular_polygon(rng, cx, cy, radius, irregularity, spikes, points=48):
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    noise = smooth_noise(rng, points, points / spikes, 1)[0] if spikes else 0
    wobble = 1 + irregularity * (noise + 0.3 * rng.standard_normal(points) * (irregularity > 0.2))
    stretch = rng.uniform(0.7, 1.3)
    rotation = rng.uniform(0, np.pi)
    xs = radius * wobble * np.cos(angles) * stretch
    ys = radius * wobble * np.sin(angles) / stretch
    c, s = np.cos(rotation), np.sin(rotation)
    pts = np.stack([cx + c * xs - s * ys, cy + s * xs + c * ys], 1)
    return np.round(pts).astype(np.int32)


def fill_mask(polygon):
    mask = np.zeros((SIZE, SIZE), np.uint8)
    cv2.fillPoly(mask, [polygon], 1)
    return mask.astype(bool)


def blend(image, mask_float, colour):
    image[:] = image * (1 - mask_float[..., None]) + np.asarray(colour, np.float32) * mask_float[..., None]


def soft(mask, sigma):
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)


def centre(rng, radius):
    margin = int(radius) + 6
    return rng.integers(margin, SIZE - margin), rng.integers(margin, SIZE - margin)


def draw_nevus(rng, image, base):
    r = rng.uniform(9, 24)
    cx, cy = centre(rng, r)
    mask = fill_mask(irregular_polygon(rng, cx, cy, r, rng.uniform(0.0, 0.05), 0))
    brown = np.array([120, 75, 45], np.float32) * rng.uniform(0.6, 1.2)
    blend(image, soft(mask, 0.8) * rng.uniform(0.8, 0.95), np.minimum(brown, base * 0.8))
    # a faint, regular pigment network
    if rng.random() < 0.6:
        net = (smooth_noise(rng, SIZE, 3, 1) > 0.35) & mask
        blend(image, soft(net, 0.5) * 0.25, brown * 0.7)
    return mask


def draw_melanoma(rng, image, base):
    r = rng.uniform(14, 34)
    cx, cy = centre(rng, r)
    mask = fill_mask(irregular_polygon(rng, cx, cy, r, rng.uniform(0.25, 0.45), rng.integers(3, 7)))
    colours = [np.array(c, np.float32) for c in ([90, 55, 35], [40, 25, 20], [110, 120, 150], [150, 60, 60],
                                                 [160, 110, 70])]
    blend(image, soft(mask, 0.6) * 0.9, colours[0] * rng.uniform(0.7, 1.3))
    for colour in rng.permutation(len(colours))[:rng.integers(3, 5)]:  # several colours, unevenly placed
        sub = fill_mask(irregular_polygon(rng, cx + rng.uniform(-r, r) * 0.5, cy + rng.uniform(-r, r) * 0.5,
                                          r * rng.uniform(0.25, 0.55), 0.4, 4)) & mask
        blend(image, soft(sub, 1.5) * rng.uniform(0.6, 0.9), colours[colour])
    if rng.random() < 0.5:  # blue-white veil
        veil = fill_mask(irregular_polygon(rng, cx, cy, r * 0.5, 0.3, 3)) & mask
        blend(image, soft(veil, 3) * 0.55, [170, 185, 210])
    return mask


def draw_seborrheic(rng, image, base):
    r = rng.uniform(12, 30)
    cx, cy = centre(rng, r)
    mask = fill_mask(irregular_polygon(rng, cx, cy, r, rng.uniform(0.05, 0.15), 2))
    tan = np.array([165, 125, 80], np.float32) * rng.uniform(0.6, 1.15)
    blend(image, soft(mask, 0.5) * 0.92, tan)
    ridges = np.sin(smooth_noise(rng, SIZE, 5, 2) * 14) > 0.2  # cerebriform gyri and sulci
    blend(image, soft(ridges & mask, 0.6) * 0.35, tan * 0.65)
    for _ in range(rng.integers(4, 14)):  # milia-like cysts
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.8) * r
        x, y = int(cx + dist * np.cos(angle)), int(cy + dist * np.sin(angle))
        cv2.circle(image, (x, y), int(rng.integers(1, 3)), (238, 232, 215), -1)
    image[mask] = image[mask] * 0.85 + 0.15 * 235  # waxy sheen
    return mask


def draw_vascular(rng, image, base):
    r = rng.uniform(9, 26)
    cx, cy = centre(rng, r)
    mask = fill_mask(irregular_polygon(rng, cx, cy, r, rng.uniform(0.05, 0.2), 2))
    blend(image, soft(mask, 0.8) * 0.5, [205, 140, 150])  # pale septa between lacunae
    lacunae = np.zeros((SIZE, SIZE), np.uint8)
    for _ in range(int(rng.integers(6, 20))):
        angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.85) * r
        x, y = int(cx + dist * np.cos(angle)), int(cy + dist * np.sin(angle))
        cv2.circle(lacunae, (x, y), int(rng.uniform(2, 5)), 1, -1)
    lacunae = lacunae.astype(bool) & mask
    red = np.array([150, 30, 60], np.float32) + rng.uniform(-20, 20, 3) + np.array([0, 0, rng.uniform(0, 60)])
    blend(image, soft(lacunae, 0.7) * 0.9, red)
    return mask


def draw_acne(rng, image, base):
    mask = np.zeros((SIZE, SIZE), bool)
    cx, cy = centre(rng, 26)
    for _ in range(int(rng.integers(1, 5))):
        r = rng.uniform(4, 10)
        x = int(np.clip(cx + rng.uniform(-22, 22), r + 2, SIZE - r - 2))
        y = int(np.clip(cy + rng.uniform(-22, 22), r + 2, SIZE - r - 2))
        papule = np.zeros((SIZE, SIZE), np.uint8)
        cv2.circle(papule, (x, y), int(r), 1, -1)
        papule = papule.astype(bool)
        blend(image, soft(papule, r * 0.45) * 0.85, [200, 70, 70])  # red dome with a soft halo
        if rng.random() < 0.75:
            head = np.zeros((SIZE, SIZE), np.uint8)
            cv2.circle(head, (x, y), max(1, int(r * 0.35)), 1, -1)
            blend(image, soft(head, 0.8) * 0.9, [240, 230, 190])  # pustule centre
        mask |= papule
    return mask


def draw_eczema(rng, image, base):
    r = rng.uniform(18, 40)
    cx, cy = centre(rng, min(r, 30))
    patch = np.clip(1.2 - np.hypot(*np.meshgrid(np.arange(SIZE) - cx, np.arange(SIZE) - cy)) / r, 0, 1)
    patch = np.clip(patch * (0.7 + 0.5 * smooth_noise(rng, SIZE, 8)), 0, 1)
    redness = cv2.GaussianBlur(patch.astype(np.float32), (0, 0), 3)
    blend(image, redness * rng.uniform(0.55, 0.8), [200, 80, 80])
    mask = redness > 0.25
    flakes = np.zeros((SIZE, SIZE), np.uint8)
    ys, xs = np.nonzero(mask & (rng.random((SIZE, SIZE)) < 0.012))
    for x, y in zip(xs, ys):  # irregular scale flakes
        cv2.ellipse(flakes, (int(x), int(y)), (int(rng.integers(1, 4)), 1), float(rng.uniform(0, 180)), 0, 360, 1, -1)
    blend(image, soft(flakes.astype(bool) & mask, 0.6) * rng.uniform(0.45, 0.75), [240, 232, 225])
    return mask


DRAW = [draw_nevus, draw_melanoma, draw_seborrheic, draw_vascular, draw_acne, draw_eczema]


def hair(rng, image, tone):
    colour = (30, 22, 18) if tone < 5 else (15, 12, 10)
    for _ in range(rng.integers(0, 7)):
        pts = []
        x, y = rng.uniform(0, SIZE, 2)
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(12):
            pts.append((x, y))
            angle += rng.normal(0, 0.15)
            x, y = x + 6 * np.cos(angle), y + 6 * np.sin(angle)
        cv2.polylines(image, [np.round(np.array(pts)).astype(np.int32)], False, colour, 1, cv2.LINE_AA)


def finish(rng, image):
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    light = 1 + rng.uniform(-0.15, 0.15) * (xx - 0.5) + rng.uniform(-0.15, 0.15) * (yy - 0.5)
    image *= light[..., None] * rng.uniform(0.85, 1.1)
    if rng.random() < 0.4:  # dermoscope vignette
        radius = rng.uniform(0.55, 0.75)
        dist = np.hypot(xx - 0.5, yy - 0.5)
        image *= np.clip(1 - (dist - radius * 0.7) / 0.08, 0.05, 1)[..., None]
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.2))
    image += rng.normal(0, rng.uniform(1, 4), image.shape).astype(np.float32)
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, jpeg = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        out = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1]
    return out


def sample(seed, label=None):
    rng = np.random.default_rng(seed)
    if label is None:
        label = int(rng.integers(0, len(CLASSES)))
    image, tone = skin(rng)
    mask = DRAW[label](rng, image, image[SIZE // 2, SIZE // 2].copy())
    hair(rng, image, tone)
    return finish(rng, image), label, mask


def background(seed, n):
    """n images of skin with no lesion (same skin, hair, lighting and artefacts), deterministic from seed."""
    images = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    for i in range(n):
        rng = np.random.default_rng(seed * 1_000_003 + i)
        image, tone = skin(rng)
        hair(rng, image, tone)
        images[i] = finish(rng, image)
    return images


def generate(seed, n):
    """n images with balanced labels (label = index mod 6 before shuffling), deterministic from seed."""
    order = np.random.default_rng(seed).permutation(n)
    images = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    labels = np.zeros(n, np.int64)
    masks = np.zeros((n, SIZE, SIZE), bool)
    for i in range(n):
        images[i], labels[i], masks[i] = sample(seed * 1_000_003 + i, int(order[i] % len(CLASSES)))
    return images, labels, masks
