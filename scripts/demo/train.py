#!/usr/bin/python3
"""Trains dermcam's demo classifier on generated lesions (lesions.py) with Debian's torch on the CPU and
exports it to ONNX. Deterministic (fixed seeds, single process). Usage:
    /usr/bin/python3 scripts/demo/train.py OUT_DIR [--minutes 35]
Writes OUT_DIR/model-fp32.onnx, OUT_DIR/training.json (history, split sizes, timing) and the held-out test
set (test_images.npy uint8 [N,128,128,3], test_labels.npy int64, test_masks.npy uint8) for evaluation.
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


def to_tensor(images):
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def augment(x, generator):
    n = x.shape[0]
    if torch.rand(1, generator=generator) < 0.5:
        x = x.flip(3)
    if torch.rand(1, generator=generator) < 0.5:
        x = x.flip(2)
    x = torch.rot90(x, int(torch.randint(0, 4, (1,), generator=generator)), (2, 3))
    gain = 1 + 0.15 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)
    shift = 0.2 * (torch.rand(n, 3, 1, 1, generator=generator) - 0.5)
    return x * gain + shift


def evaluate(model, images, labels, batch=250):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            logits = model(to_tensor(images[i:i + batch]))
            correct += (logits.argmax(1).numpy() == labels[i:i + batch]).sum()
    return float(correct) / len(images)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--minutes", type=float, default=35.0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    started = time.time()

    data = {name: lesions.generate(seed, n) for name, (seed, n) in SPLITS.items()}
    backgrounds = lesions.background(*BACKGROUND)
    generated_seconds = time.time() - started
    train_images, train_labels, _ = data["train"]
    val_images, val_labels, _ = data["val"]
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
    best = (-1.0, None)
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
            x = augment(to_tensor(images), generator).contiguous(memory_format=torch.channels_last)
            targets = torch.cat([F.one_hot(torch.from_numpy(train_labels[idx]), classes).float() * 0.95 + 0.05 / classes,
                                 uniform])
            loss = F.cross_entropy(model(x), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
        val_accuracy = evaluate(model, val_images, val_labels)
        epoch_seconds = time.time() - epoch_start
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "val_accuracy": val_accuracy,
                        "seconds": round(epoch_seconds, 1)})
        print(json.dumps(history[-1]), flush=True)
        if val_accuracy >= best[0]:
            best = (val_accuracy, {k: v.clone() for k, v in model.state_dict().items()})
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
        "best_val_accuracy": best[0],
        "history": history,
        "generation_seconds": round(generated_seconds, 1),
        "total_minutes": round((time.time() - started) / 60, 1),
        "torch": torch.__version__,
        "input": {"width": lesions.SIZE, "height": lesions.SIZE, "mean": MEAN, "std": STD},
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"done: best val accuracy {best[0]:.4f} in {summary['total_minutes']} min", flush=True)


if __name__ == "__main__":
    main()
