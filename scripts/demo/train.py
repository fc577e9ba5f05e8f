#!/usr/bin/python3
"""Trains dermcam's demo classifier on generated lesions (lesions.py) with Debian's torch on the CPU and
exports it to ONNX. Deterministic (fixed seeds, single process). Usage:
    /usr/bin/python3 scripts/demo/train.py OUT_DIR [--minutes 35]
Writes OUT_DIR/model-fp32.onnx, OUT_DIR/training.json (history, split sizes, timing) and the held-out test
set (test_images.npy uint8 [N,128,128,3], test_labels.npy int64, test_masks.npy uint8) for evaluation.

Besides cross-entropy, the loss supervises the class activation map of the true class with the generated
lesion mask (see localisation_loss): the model is taught to keep its evidence on the lesion, in the spirit of
"Right for the Right Reasons" (Ross et al., 2017) and GAIN (Li et al., 2018). A real model trained without
masks gets no such help; the model card says so.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import lesions

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SPLITS = {"train": (101, 14400), "val": (202, 1200), "test": (303, 1500)}
BACKGROUND = (404, 2400)  # lesion-free skin, trained towards the uniform distribution
BACKGROUND_PER_BATCH = 8
POINTING_WEIGHT = 0.5  # weight of the "maximum inside the lesion" term of localisation_loss
OUTSIDE_WEIGHT = 0.1  # weight of the "no positive evidence on plain skin" term
STRIDE = 8


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class DemoNet(nn.Module):
    """MobileNetV2-like, 128 x 128 input, output stride 8: a 16 x 16 target layer, so explanations can point at
    lesions a few pixels wide."""

    def __init__(self, classes=len(lesions.CLASSES)):
        super().__init__()
        settings = [(16, 1, 1, 1), (24, 2, 2, 4), (40, 2, 2, 4), (80, 3, 1, 4), (96, 1, 1, 4)]
        layers = [nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6()]
        cin = 16
        for cout, repeats, stride, expand in settings:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers += [nn.Conv2d(cin, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(256, classes))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))

    def logits_and_maps(self, x):
        """Logits and the class activation maps [B, classes, 16, 16] of the last layer. With global average
        pooling and a linear head, Grad-CAM of a logit is exactly ReLU of its map (Zhou et al., 2016)."""
        features = self.features(x)
        logits = self.classifier(F.adaptive_avg_pool2d(features, 1).flatten(1))
        maps = torch.einsum("bchw,kc->bkhw", features, self.classifier[1].weight)
        return logits, maps


def cell_targets(masks):
    """Per 8 x 8 cell of the 16 x 16 map: (inside, outside) as float [B, 256].
    The maximum of a bilinearly upsampled map lies in the central 2 x 2 pixels of its peak cell, so a cell
    counts as inside when those four pixels are lesion; for lesions too small for that, cells with any central
    lesion pixel, then the best-covered cells. Outside: cells without a single lesion pixel."""
    m = masks.float()
    centre = [m[:, 3::STRIDE, 3::STRIDE], m[:, 4::STRIDE, 3::STRIDE], m[:, 3::STRIDE, 4::STRIDE], m[:, 4::STRIDE, 4::STRIDE]]
    strict = (centre[0] * centre[1] * centre[2] * centre[3]).flatten(1)
    loose = torch.clamp(sum(centre), max=1).flatten(1)
    coverage = F.avg_pool2d(m.unsqueeze(1), STRIDE).flatten(1)
    best = (coverage >= 0.5 * coverage.amax(1, keepdim=True)).float() * (coverage > 0).float()
    inside = torch.where(strict.sum(1, keepdim=True) > 0, strict,
                         torch.where(loose.sum(1, keepdim=True) > 0, loose, best))
    return inside, (coverage == 0).float()


def localisation_loss(maps, labels, masks):
    """Pointing term: -log of the spatial-softmax mass the true class's map puts on inside cells (a smooth
    form of "the maximum lies in the lesion"). Outside term: mean positive evidence on lesion-free cells."""
    own = maps[torch.arange(len(labels)), labels].flatten(1)
    inside, outside = cell_targets(masks)
    has_inside = inside.sum(1) > 0
    masked = own.masked_fill(inside == 0, -1e4)  # finite: rows without inside cells must not make NaN gradients
    pointing = torch.logsumexp(own, 1) - torch.logsumexp(masked, 1)
    pointing = pointing[has_inside].mean() if has_inside.any() else own.sum() * 0
    spill = (F.relu(own) * outside).sum(1) / outside.sum(1).clamp(min=1)
    return pointing, spill.mean()


def pointing_hits(maps, labels, masks):
    """Pointing game as evaluate.mjs plays it: ReLU of the true class's map, bilinear to the image, argmax."""
    own = F.relu(maps[torch.arange(len(labels)), labels]).unsqueeze(1)
    up = F.interpolate(own, size=masks.shape[-2:], mode="bilinear", align_corners=False).flatten(1)
    best = up.argmax(1)
    return masks.flatten(1)[torch.arange(len(labels)), best].float().sum().item()


def to_tensor(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def augment(x, masks, generator):
    """The same flips and rotation for the images [B,3,H,W] and their masks [B,H,W]; jitter for the images."""
    n = x.shape[0]
    if torch.rand(1, generator=generator) < 0.5:
        x, masks = x.flip(3), masks.flip(2)
    if torch.rand(1, generator=generator) < 0.5:
        x, masks = x.flip(2), masks.flip(1)
    turns = int(torch.randint(0, 4, (1,), generator=generator))
    x, masks = torch.rot90(x, turns, (2, 3)), torch.rot90(masks, turns, (1, 2))
    gain = 1 + 0.15 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)
    shift = 0.2 * (torch.rand(n, 3, 1, 1, generator=generator) - 0.5)
    return x * gain + shift, masks


def evaluate(model, images, labels, masks, batch=250):
    """(accuracy, pointing game of the true class's Grad-CAM)."""
    model.eval()
    correct = 0
    hits = 0.0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            logits, maps = model.logits_and_maps(to_tensor(images[i:i + batch]))
            truth = torch.from_numpy(labels[i:i + batch])
            correct += (logits.argmax(1) == truth).sum().item()
            hits += pointing_hits(maps, truth, torch.from_numpy(masks[i:i + batch]))
    return correct / len(images), hits / len(images)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=35.0)
    parser.add_argument("--train-images", type=int, default=SPLITS["train"][1], help="fewer for a quick trial")
    args = parser.parse_args()
    SPLITS["train"] = (SPLITS["train"][0], args.train_images)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    started = time.time()

    data = {name: lesions.generate(seed, n) for name, (seed, n) in SPLITS.items()}
    backgrounds = lesions.background(*BACKGROUND)
    generated_seconds = time.time() - started
    train_images, train_labels, train_masks = data["train"]
    val_images, val_labels, val_masks = data["val"]
    test_images, test_labels, test_masks = data["test"]
    np.save(os.path.join(args.out, "test_images.npy"), test_images)
    np.save(os.path.join(args.out, "test_labels.npy"), test_labels)
    np.save(os.path.join(args.out, "test_masks.npy"), test_masks.astype(np.uint8))

    model = DemoNet().to(memory_format=torch.channels_last)  # 2-3x faster convolutions on CPU
    generator = torch.Generator().manual_seed(1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=1e-4)
    batch = 64 - BACKGROUND_PER_BATCH
    steps_per_epoch = len(train_images) // batch
    classes = len(lesions.CLASSES)
    uniform = torch.full((BACKGROUND_PER_BATCH, classes), 1.0 / classes)
    budget = args.minutes * 60 - (time.time() - started)
    history = []
    best = (-1.0, None, None)
    no_masks = torch.zeros((BACKGROUND_PER_BATCH, lesions.SIZE, lesions.SIZE), dtype=torch.bool)
    epoch_seconds = None
    total_epochs = 30
    scheduler = None
    for epoch in range(total_epochs):
        epoch_start = time.time()
        if epoch_seconds is not None and scheduler is None:
            total_epochs = max(2, min(total_epochs, int(budget // (epoch_seconds * 1.05))))
            remaining = (total_epochs - 1) * steps_per_epoch
            scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=4e-3, total_steps=remaining,
                                                            pct_start=0.15)
        if epoch >= total_epochs:
            break
        model.train()
        order = torch.randperm(len(train_images), generator=generator).numpy()
        losses = []
        for step in range(steps_per_epoch):
            idx = order[step * batch:(step + 1) * batch]
            # Lesion-free skin must not speak for any class: its target is the uniform distribution, so
            # skin texture, hair or lighting cannot become evidence (and Grad-CAM looks at the lesion).
            bg = torch.randint(0, len(backgrounds), (BACKGROUND_PER_BATCH,), generator=generator).numpy()
            images = np.concatenate([train_images[idx], backgrounds[bg]])
            masks = torch.cat([torch.from_numpy(train_masks[idx]), no_masks])
            x, masks = augment(to_tensor(images), masks, generator)
            truth = torch.from_numpy(train_labels[idx])
            targets = torch.cat([F.one_hot(truth, classes).float() * 0.95 + 0.05 / classes, uniform])
            logits, maps = model.logits_and_maps(x.contiguous(memory_format=torch.channels_last))
            pointing, spill = localisation_loss(maps[:batch], truth, masks[:batch])
            classification = F.cross_entropy(logits, targets)
            loss = classification + POINTING_WEIGHT * pointing + OUTSIDE_WEIGHT * spill
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append([classification.item(), pointing.item(), spill.item()])
        val_accuracy, val_pointing = evaluate(model, val_images, val_labels, val_masks)
        epoch_seconds = time.time() - epoch_start
        mean_losses = np.mean(losses, 0)
        history.append({"epoch": epoch + 1, "classification_loss": round(float(mean_losses[0]), 4),
                        "pointing_loss": round(float(mean_losses[1]), 4), "outside_loss": round(float(mean_losses[2]), 4),
                        "val_accuracy": val_accuracy, "val_pointing_game": val_pointing,
                        "seconds": round(epoch_seconds, 1)})
        print(json.dumps(history[-1]), flush=True)
        # Keep the epoch that is best at both (their sum: accuracy and pointing game weigh the same).
        if val_accuracy + val_pointing >= best[0]:
            best = (val_accuracy + val_pointing, {k: v.clone() for k, v in model.state_dict().items()},
                    {"val_accuracy": val_accuracy, "val_pointing_game": val_pointing, "epoch": epoch + 1})
        if epoch + 1 >= total_epochs or time.time() - started > args.minutes * 60:
            break

    model.load_state_dict(best[1])
    model = model.to(memory_format=torch.contiguous_format).eval()
    torch.onnx.export(model, to_tensor(val_images[:1]), os.path.join(args.out, "model-fp32.onnx"), opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    summary = {
        "classes": lesions.CLASSES,
        "splits": {name: {"seed": seed, "images": n} for name, (seed, n) in SPLITS.items()},
        "background": {"seed": BACKGROUND[0], "images": BACKGROUND[1], "per_batch": BACKGROUND_PER_BATCH},
        "parameters": sum(p.numel() for p in model.parameters()),
        "localisation_loss": {"pointing_weight": POINTING_WEIGHT, "outside_weight": OUTSIDE_WEIGHT},
        "selected": best[2],
        "history": history,
        "generation_seconds": round(generated_seconds, 1),
        "total_minutes": round((time.time() - started) / 60, 1),
        "torch": torch.__version__,
        "input": {"width": lesions.SIZE, "height": lesions.SIZE, "mean": MEAN, "std": STD},
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"done: epoch {best[2]['epoch']}, val accuracy {best[2]['val_accuracy']:.4f}, "
          f"val pointing game {best[2]['val_pointing_game']:.4f} in {summary['total_minutes']} min", flush=True)


if __name__ == "__main__":
    main()
