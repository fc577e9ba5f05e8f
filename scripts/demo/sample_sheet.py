#!/usr/bin/python3
"""Writes tests/fixtures/demo/: 36 held-out generated lesion images (the first 6 of each class from the
test split's seed) as one JPEG sheet of 128 x 128 tiles, 6 per row, their lesion masks as a PNG sheet in the
same layout (255 = lesion), and labels.json; the Node tests run the shipped demo model on them.  Usage: /usr/bin/python3 scripts/demo/sample_sheet.py"""
import json
import os

import cv2
import numpy as np

import lesions
from train import SPLITS

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "demo")


def main():
    os.makedirs(OUT, exist_ok=True)
    seed, n = SPLITS["test"]
    images, labels, masks = lesions.generate(seed, 120)
    picked = [i for c in range(len(lesions.CLASSES)) for i in np.nonzero(labels == c)[0][:6]]

    def sheet(tiles):
        return np.concatenate([np.concatenate(tiles[r * 6:(r + 1) * 6], axis=1) for r in range(6)], axis=0)

    cv2.imwrite(os.path.join(OUT, "lesions.jpg"), sheet([images[i] for i in picked])[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(os.path.join(OUT, "masks.png"), sheet([masks[i].astype(np.uint8) * 255 for i in picked]))
    with open(os.path.join(OUT, "labels.json"), "w") as f:
        json.dump({"tile": lesions.SIZE, "columns": 6, "classes": lesions.CLASSES,
                   "labels": [int(labels[i]) for i in picked]}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
