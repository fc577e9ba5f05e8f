#!/usr/bin/python3
"""Writes tests/fixtures/bad/: hostile, broken and unusual image files, and manifest.tsv with what dermcam
must do with each ("decode" or the error code it must report). Used natively (tests/native/bad_files_test.cpp)
and through the wasm module (tests/js/bad-files.test.mjs).   Run: /usr/bin/python3 scripts/make-bad-files.py
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "bad")
PHOTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "images", "photo.jpg")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header(width, height, depth=8, colour=2, interlace=0):
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def pil(image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def app1(tiff):
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_segment(jpeg, segment):
    return jpeg[:2] + segment + jpeg[2:]


def sof_dimensions(jpeg, width, height):
    """The JPEG with its SOF0/SOF2 frame header claiming another size."""
    data = bytearray(jpeg)
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise ValueError("no SOF")


def main():
    os.makedirs(OUT, exist_ok=True)
    files = []

    def add(name, data, expect):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        files.append((name, expect))

    rng = np.random.default_rng(8)
    photo = open(PHOTO, "rb").read()
    small = Image.fromarray(rng.integers(0, 255, (40, 56, 3), dtype=np.uint8))
    small_png = pil(small, "PNG")
    small_jpeg = pil(small, "JPEG", quality=90)

    add("empty.jpg", b"", "empty_input")
    add("one_byte.jpg", b"\xff", "unrecognized_format")
    add("two_bytes_jpeg_magic.jpg", b"\xff\xd8", "unrecognized_format")
    add("png_signature_only.png", b"\x89PNG\r\n\x1a\n", "corrupt_image")
    for cut in (3, 20, 100, 300, 1000, 5000, len(photo) // 2, len(photo) - 2):
        # stb decodes what a cut JPEG holds when the headers are complete (as browsers do), else refuses it
        add(f"jpeg_truncated_{cut}.jpg", photo[:cut], "corrupt_or_decode")
    for cut in (9, 16, 33, 40, 60, len(small_png) // 2, len(small_png) - 12):
        add(f"png_truncated_{cut}.png", small_png[:cut], "corrupt_image")
    add("jpeg_magic_png_body.jpg", b"\xff\xd8\xff" + small_png[3:], "corrupt_image")
    add("png_magic_jpeg_body.png", b"\x89PNG\r\n\x1a\n" + small_jpeg[8:], "corrupt_image")
    add("html.jpg", b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", "unrecognized_format")
    add("text.jpg", "just some text, ünïcode too\n".encode(), "unrecognized_format")
    add("pdf.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF", "unrecognized_format")
    add("svg.jpg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1e9" height="1e9"/>',
        "unrecognized_format")
    add("zip.jpg", b"PK\x03\x04" + bytes(40), "unrecognized_format")
    add("random.jpg", rng.integers(0, 255, 4096, dtype=np.uint8).tobytes(), "unrecognized_format")
    add("gif.jpg", pil(small, "GIF"), "unsupported_format")
    add("webp.jpg", pil(small, "WEBP"), "unsupported_format")
    add("tiff.jpg", pil(small, "TIFF"), "unsupported_format")
    add("heic.jpg", struct.pack(">I", 24) + b"ftypheic\0\0\0\0mif1heic" + bytes(64), "unsupported_format")
    add("avif.jpg", struct.pack(">I", 28) + b"ftypavif\0\0\0\0avifmif1miaf" + bytes(64), "unsupported_format")
    # Dimension and decompression bombs: refused from the header, before any pixel memory is allocated.
    add("png_claims_100000x100000.png", png_header(100000, 100000) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) +
        chunk(b"IEND", b""), "image_too_large")
    add("jpeg_claims_65500x65500.jpg", sof_dimensions(small_jpeg, 65500, 65500), "image_too_large")
    rows = zlib.compress(b"\0" * (1 + 8000 * 3) * 8000, 9)  # 8000 x 8000 black: 192 MB from ~190 kB
    add("png_decompression_bomb_64mp.png", png_header(8000, 8000) + chunk(b"IDAT", rows) + chunk(b"IEND", b""),
        "image_too_large")
    add("png_zero_width.png", png_header(0, 10) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b""),
        "corrupt_image")
    add("png_zero_height.png", png_header(10, 0) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""),
        "corrupt_image")
    add("jpeg_zero_width.jpg", sof_dimensions(small_jpeg, 0, 40), "corrupt_image")
    add("png_idat_garbage.png", png_header(56, 40) + chunk(b"IDAT", rng.integers(0, 255, 500, dtype=np.uint8).tobytes())
        + chunk(b"IEND", b""), "corrupt_image")
    add("png_short_idat.png", png_header(56, 40) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""),
        "corrupt_image")
    add("png_bad_crc.png", small_png[:29] + b"\0\0\0\0" + small_png[33:], "decode")  # stb ignores CRCs, as browsers do
    # Valid but unusual files: each must decode.
    add("cmyk.jpg", pil(small.convert("CMYK"), "JPEG", quality=90), "decode")
    ycck = Image.fromarray(rng.integers(0, 255, (40, 56, 4), dtype=np.uint8), "CMYK")
    add("cmyk_noise.jpg", pil(ycck, "JPEG", quality=80), "decode")
    add("gray16.png", pil(Image.fromarray((rng.integers(0, 65535, (33, 47))).astype(np.uint16)), "PNG"), "decode")
    add("palette16.png", pil(small.quantize(16), "PNG"), "decode")
    add("palette7.png", pil(small.quantize(7), "PNG"), "decode")
    interlaced = os.path.join(os.path.dirname(PHOTO), "rgba16_interlaced.png")
    add("rgba16_interlaced.png", open(interlaced, "rb").read(), "decode")
    add("rgba.png", pil(small.convert("RGBA"), "PNG"), "decode")
    add("one_pixel.png", pil(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), "decode")
    add("one_by_5000.png", pil(Image.new("RGB", (5000, 1), (10, 200, 10)), "PNG"), "decode")
    add("progressive.jpg", pil(small, "JPEG", quality=85, progressive=True), "decode")
    add("bmp_rle8.bmp", pil(small.quantize(16), "BMP"), "decode")
    add("bmp_truncated.bmp", pil(small, "BMP")[:400], "corrupt_or_decode")
    # Corrupt EXIF: never fatal, never read out of bounds; the image still decodes.
    mm = lambda *xs: b"".join(xs)
    add("exif_offset_past_end.jpg", with_segment(small_jpeg, app1(b"MM\0*" + struct.pack(">I", 0xFFFFFF00))), "decode")
    add("exif_offset_loop.jpg", with_segment(small_jpeg, app1(b"MM\0*" + struct.pack(">I", 0) + struct.pack(">H", 0xFFFF))),
        "decode")
    add("exif_huge_count.jpg", with_segment(small_jpeg, app1(mm(b"MM\0*", struct.pack(">I", 8), struct.pack(">H", 0xFFFF),
        struct.pack(">HHI", 0x0112, 3, 0xFFFFFFFF), b"\0\6\0\0"))), "decode")
    add("exif_segment_too_long.jpg", small_jpeg[:2] + b"\xff\xe1\xff\xff" + b"Exif\0\0MM\0*" + small_jpeg[2:], "corrupt_or_decode")
    add("exif_truncated_header.jpg", with_segment(small_jpeg, app1(b"MM\0")), "decode")
    add("exif_orientation_99.jpg", with_segment(small_jpeg, app1(mm(b"MM\0*", struct.pack(">I", 8), struct.pack(">H", 1),
        struct.pack(">HHIH", 0x0112, 3, 1, 99), b"\0\0"))), "decode")
    add("exif_two_segments.jpg", with_segment(with_segment(small_jpeg, app1(b"II*\0" + struct.pack("<I", 8) + bytes(4))),
        app1(b"garbage")), "decode")
    with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
        f.write("# file\texpected (decode, an error code, or corrupt_or_decode)\n")
        for name, expect in files:
            f.write(f"{name}\t{expect}\n")
    print(f"{len(files)} files")


if __name__ == "__main__":
    main()
