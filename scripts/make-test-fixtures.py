#!/usr/bin/python3
"""Writes the committed image fixtures in tests/fixtures/images/ (run: /usr/bin/python3 scripts/make-test-fixtures.py).

PNGs are written byte by byte here (zlib + struct) so every bit depth, colour type, tRNS and Adam7
interlacing is exactly what the file says. Their pixels follow formulas that tests/native/test_images.h
repeats, so tests know every expected value:
    sample8(x, y, c)  = (x*37 + y*101 + c*59 + 7) % 256
    sample16(x, y, c) = (x*7919 + y*104729 + c*31337 + 12345) % 65536
    alpha8(x, y)      = (x*53 + y*29) % 256
    alpha16(x, y)     = (x*40503 + y*7717) % 65536
    palette entry i   = RGBA(i*16, 255 - i*16, (i*97) % 256, (i*17) % 256), index(x, y) = (x + 3*y) % 16
    gray1(x, y)       = (x + y) % 2
JPEG, BMP and the refused formats come from Pillow; the photo is Debian scikit-image's chelsea.png (a cat: the
photo gate refuses it). lesion.jpg is a generated lesion photo (scripts/demo/lesions.py, a seed no fit or training
used) enlarged 4x as a phone would deliver it (seed 31338: 31337's photo is one of the ~0.5% of generated lesions
the photo gate refuses since it has a discriminator, and this fixture must be one it accepts); lesion_blurry.jpg is the same out of focus; portrait.jpg is
scikit-image's astronaut.png (a face: refused as not_skin). lesion.webp is lesion.jpg's picture as lossless WebP
(a format stb_image does not read: the browser decodes it). spot_in_photo.jpg is a wide photo of plain skin with
the lesion small in the middle (a 12 MP phone photo of a mole): only the framing square (or --region) gives it the model's resolution.
"""
import io
import os
import struct
import zlib

import sys

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo"))
import lesions  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "images")
W, H = 13, 11
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def sample8(x, y, c): return (x * 37 + y * 101 + c * 59 + 7) % 256
def sample16(x, y, c): return (x * 7919 + y * 104729 + c * 31337 + 12345) % 65536
def alpha8(x, y): return (x * 53 + y * 29) % 256
def alpha16(x, y): return (x * 40503 + y * 7717) % 65536


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    per_byte = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i:i + per_byte]
        for j, s in enumerate(group):
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def png(pixel, color_type, depth, interlaced=False, extra_chunks=b""):
    """pixel(x, y) -> tuple of samples for one pixel."""
    def scanlines(xs, ys):
        raw = b""
        for y in ys:
            samples = [s for x in xs for s in pixel(x, y)]
            raw += b"\0" + pack_row(samples, depth)
        return raw

    if interlaced:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = range(x0, W, dx), range(y0, H, dy)
            if len(xs) and len(ys):
                raw += scanlines(xs, ys)
    else:
        raw = scanlines(range(W), range(H))
    header = struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 1 if interlaced else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra_chunks +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def palette_chunks():
    entries = [(i * 16, 255 - i * 16, (i * 97) % 256) for i in range(16)]
    plte = chunk(b"PLTE", bytes(v for e in entries for v in e))
    trns = chunk(b"tRNS", bytes((i * 17) % 256 for i in range(16)))
    return plte + trns


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def pil_bytes(image, fmt, **kwargs):
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def blocks_image():
    """64 x 48, six flat 16 x 16 (+) colour blocks: survives JPEG well enough to check colours."""
    colors = [(200, 30, 30), (30, 160, 60), (40, 60, 190), (240, 240, 240), (20, 20, 20), (230, 200, 40)]
    a = np.zeros((48, 64, 3), np.uint8)
    for i, col in enumerate(colors):
        bx, by = (i % 3) * 21, (i // 3) * 24
        a[by:by + 24, bx:bx + 22] = col
    return Image.fromarray(a)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("gray1.png", png(lambda x, y: ((x + y) % 2,), 0, 1))
    write("gray8.png", png(lambda x, y: (sample8(x, y, 0),), 0, 8))
    write("gray16.png", png(lambda x, y: (sample16(x, y, 0),), 0, 16))
    write("graya8.png", png(lambda x, y: (sample8(x, y, 0), alpha8(x, y)), 4, 8))
    write("graya16.png", png(lambda x, y: (sample16(x, y, 0), alpha16(x, y)), 4, 16))
    write("rgb16.png", png(lambda x, y: tuple(sample16(x, y, c) for c in range(3)), 2, 16))
    write("rgba8.png", png(lambda x, y: tuple(sample8(x, y, c) for c in range(3)) + (alpha8(x, y),), 6, 8))
    write("rgba16.png", png(lambda x, y: tuple(sample16(x, y, c) for c in range(3)) + (alpha16(x, y),), 6, 16))
    write("palette.png", png(lambda x, y: ((x + 3 * y) % 16,), 3, 8, extra_chunks=palette_chunks()))
    write("palette4.png", png(lambda x, y: ((x + 3 * y) % 16,), 3, 4, extra_chunks=palette_chunks()))
    write("rgb8_interlaced.png", png(lambda x, y: tuple(sample8(x, y, c) for c in range(3)), 2, 8, interlaced=True))
    write("rgba16_interlaced.png", png(lambda x, y: tuple(sample16(x, y, c) for c in range(3)) + (alpha16(x, y),),
                                       6, 16, interlaced=True))

    blocks = blocks_image()
    write("blocks_baseline.jpg", pil_bytes(blocks, "JPEG", quality=95))
    write("blocks_progressive.jpg", pil_bytes(blocks, "JPEG", quality=95, progressive=True))
    write("blocks_gray.jpg", pil_bytes(blocks.convert("L"), "JPEG", quality=95))
    write("blocks_cmyk.jpg", pil_bytes(blocks.convert("CMYK"), "JPEG", quality=95))
    write("blocks24.bmp", pil_bytes(blocks, "BMP"))
    write("blocks8.bmp", pil_bytes(blocks.quantize(8), "BMP"))
    write("blocks.png", pil_bytes(blocks, "PNG"))

    photo = Image.open("/usr/lib/python3/dist-packages/skimage/data/chelsea.png").convert("RGB")
    write("photo.jpg", pil_bytes(photo, "JPEG", quality=90))

    lesion = Image.fromarray(lesions.sample(31338, 1)[0]).resize((512, 512), Image.BICUBIC)
    write("lesion.jpg", pil_bytes(lesion, "JPEG", quality=92))
    write("lesion_blurry.jpg", pil_bytes(lesion.filter(ImageFilter.GaussianBlur(14)), "JPEG", quality=92))
    write("lesion.webp", pil_bytes(lesion, "WEBP", lossless=True))
    spot = Image.new("RGB", (3000, 2250), lesion.getpixel((40, 256)))
    spot.paste(lesion.resize((200, 200), Image.LANCZOS), (1400, 1025))  # 9 px in the whole photo's 128 px tensor
    write("spot_in_photo.jpg", pil_bytes(spot, "JPEG", quality=92))
    portrait = Image.open("/usr/lib/python3/dist-packages/skimage/data/astronaut.png").convert("RGB").resize((384, 384))
    write("portrait.jpg", pil_bytes(portrait, "JPEG", quality=90))

    # Pillow's resize as the reference for our resampler (tests/native/resample_test.cpp).
    source = photo.crop((100, 60, 197, 121))  # 97 x 61, lossless
    write("resize_source.png", pil_bytes(source, "PNG"))
    for name, flt in (("triangle", Image.BILINEAR), ("box", Image.BOX), ("cubic", Image.BICUBIC)):
        write(f"resize_pil_{name}_40x25.png", pil_bytes(source.resize((40, 25), flt), "PNG"))
        write(f"resize_pil_{name}_150x100.png", pil_bytes(source.resize((150, 100), flt), "PNG"))

    # Known formats dermcam refuses, and files that are not images at all.
    write("refused.gif", pil_bytes(blocks, "GIF"))
    write("refused.webp", pil_bytes(blocks, "WEBP"))
    write("refused.tiff", pil_bytes(blocks, "TIFF"))
    write("refused.tga", pil_bytes(blocks, "TGA"))
    write("refused.ppm", pil_bytes(blocks, "PPM"))
    write("refused.ico", pil_bytes(blocks, "ICO"))
    write("refused.heic", struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 16)
    write("refused.psd", b"8BPS\0\1" + b"\0" * 6 + b"\0\3" + struct.pack(">II", 48, 64) + b"\0\x08\0\3" + b"\0" * 16)
    write("refused.hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n" + b"\x80\x80\x80\x80" * 4)
    write("not_image.txt.jpg", b"Hello, this is a text file renamed to .jpg\n")
    write("not_image.html.jpg", b"<!DOCTYPE html><html><body>not an image</body></html>\n")
    write("not_image.pdf.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    write("not_image.svg.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>\n')


if __name__ == "__main__":
    main()
