#!/usr/bin/python3
"""Writes the first N images of the demo model's held-out test split (lesions.generate(303, 1500), the same
images scripts/demo/evaluate.mjs measures) with their labels and lesion masks, for the methods study
(scripts/demo/evaluate_methods.mjs).   Run: /usr/bin/python3 scripts/demo/study_images.py OUT_DIR [N]"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lesions  # noqa: E402

SEED, SPLIT = 303, 1500  # train.py's SPLITS["test"]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    os.makedirs(out, exist_ok=True)
    order = np.random.default_rng(SEED).permutation(SPLIT)  # as lesions.generate
    images = np.zeros((n, lesions.SIZE, lesions.SIZE, 3), np.uint8)
    labels = np.zeros(n, np.float32)
    masks = np.zeros((n, lesions.SIZE, lesions.SIZE), np.float32)
    for i in range(n):
        images[i], label, mask = lesions.sample(SEED * 1_000_003 + i, int(order[i] % len(lesions.CLASSES)))
        labels[i], masks[i] = label, mask
    np.save(os.path.join(out, "images.npy"), images.astype(np.float32))
    np.save(os.path.join(out, "labels.npy"), labels)
    np.save(os.path.join(out, "masks.npy"), masks)


if __name__ == "__main__":
    main()
