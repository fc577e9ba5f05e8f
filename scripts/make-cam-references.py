#!/usr/bin/python3
"""Writes tests/fixtures/cam/: random target-layer tensors and the CAMs pytorch-grad-cam (1.5.x) computes
for them, re-implemented here line by line in NumPy float32 with OpenCV's resize, so the C++ engine's
golden tests need neither torch nor pytorch-grad-cam.   Run: /usr/bin/python3 scripts/make-cam-references.py

FEM and KPCA-CAM as pytorch-grad-cam 1.5.5 computes them (KPCA-CAM with scikit-learn's KernelPCA, as it does).

One deliberate difference: an SVD's sign is arbitrary and pytorch-grad-cam leaves it as LAPACK returns
it; dermcam makes the projection's largest-magnitude value positive, and so do these references.
"""
import os

import cv2
import numpy as np
from sklearn.decomposition import KernelPCA

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "cam")
OUTPUT_SIZE = (40, 32)  # (width, height), as cv2 takes it


def project_each(activation_batch, project):
    """pytorch-grad-cam's projection loop: NaN as 0, each image's activations as centred positions x channels,
    `project` of that, back to the image's spatial shape."""
    activation_batch = activation_batch.copy()
    activation_batch[np.isnan(activation_batch)] = 0
    projections = []
    for activations in activation_batch:
        reshaped = activations.reshape(activations.shape[0], -1).transpose()
        reshaped = reshaped - reshaped.mean(axis=0)
        projections.append(project(reshaped).reshape(activations.shape[1:]))
    return np.float32(projections)


def get_2d_projection(activation_batch):
    def first_component(reshaped):
        _, _, vt = np.linalg.svd(reshaped, full_matrices=True)
        projection = reshaped @ vt[0, :]
        if projection[np.argmax(np.abs(projection))] < 0:  # dermcam's sign convention
            projection = -projection
        return projection
    return project_each(activation_batch, first_component)


def weights_gradcam(a, g):
    return np.mean(g, axis=(2, 3))


def weights_gradcampp(a, g):
    g2 = g ** 2
    g3 = g2 * g
    sum_a = np.sum(a, axis=(2, 3))
    aij = g2 / (2 * g2 + sum_a[:, :, None, None] * g3 + 0.000001)
    aij = np.where(g != 0, aij, 0)
    weights = np.maximum(g, 0) * aij
    return np.sum(weights, axis=(2, 3))


def weights_scorecam(a, g):
    """ScoreCAM.get_cam_weights from its scores: the engine reads channel k's score as its mean over positions."""
    scores = g.astype(np.float64).mean(axis=(2, 3))
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def weights_randomcam(a, g):
    """RandomCAM's uniform [-1, 1) channel weights, drawn as the engine draws them (SplitMix64, seed 20261125)."""
    state, mask = 20261125, (1 << 64) - 1
    weights = []
    for _ in range(a.shape[1]):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        weights.append((z >> 11) * 2.0 ** -53 * 2.0 - 1.0)
    return np.array([weights])


def weights_xgradcam(a, g):
    sum_a = np.sum(a, axis=(2, 3))
    weights = g * a / (sum_a[:, :, None, None] + 1e-7)
    return weights.sum(axis=(2, 3))


def cam_image(method, a, g, eigen_smooth):
    """BaseCAM.get_cam_image and the overrides of the element-wise / Eigen methods."""
    if method in ("gradcam", "gradcam++", "xgradcam", "finercam", "scorecam", "ablationcam", "randomcam"):
        # FinerCAM: Grad-CAM of its target's gradient; AblationCAM: the engine reads channel k's drop as its mean
        w = {"gradcam": weights_gradcam, "gradcam++": weights_gradcampp, "xgradcam": weights_xgradcam,
             "finercam": weights_gradcam, "scorecam": weights_scorecam, "ablationcam": weights_gradcam,
             "randomcam": weights_randomcam}[method](a, g)
        weighted = w[:, :, None, None] * a
        return get_2d_projection(weighted) if eigen_smooth else weighted.sum(axis=1)
    if method == "hirescam":
        elementwise = g * a
        return get_2d_projection(elementwise) if eigen_smooth else elementwise.sum(axis=1)
    if method == "gradcamelementwise":
        elementwise = np.maximum(g * a, 0)
        return get_2d_projection(elementwise) if eigen_smooth else elementwise.sum(axis=1)
    if method == "layercam":
        spatial = np.maximum(g, 0) * a
        return get_2d_projection(spatial) if eigen_smooth else spatial.sum(axis=1)
    if method == "eigencam":
        return get_2d_projection(a)
    if method == "eigengradcam":
        return get_2d_projection(g * a)
    if method == "fem":  # FEM.get_cam_image (k = 2); eigen_smooth is ignored
        means = np.mean(a, axis=(2, 3))
        stds = np.std(a, axis=(2, 3))
        th = (means + 2 * stds).reshape(list(means.shape) + [1, 1])
        weights = (a > th).mean(axis=(2, 3))
        return (weights.reshape(list(means.shape) + [1, 1]) * a).sum(axis=1)
    if method == "kpca_cam":  # KPCA_CAM.get_cam_image: get_2d_projection_kernel(a, 'sigmoid', None)
        return get_2d_projection_kernel(a)
    raise ValueError(method)


def get_2d_projection_kernel(activation_batch, kernel="sigmoid", gamma=None):
    return project_each(activation_batch,
                        lambda reshaped: KernelPCA(n_components=1, kernel=kernel, gamma=gamma).fit_transform(reshaped))


def scale_cam_image(cam, target_size=None):
    result = []
    for img in cam:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        if target_size is not None:
            img = cv2.resize(img, target_size)
        result.append(img)
    return np.float32(result)


def compute_cam_per_layer(layers, method, eigen_smooth):
    per_layer = []
    for a, g in layers:
        cam = cam_image(method, a, g, eigen_smooth)
        cam = np.maximum(cam, 0)
        per_layer.append(scale_cam_image(cam, OUTPUT_SIZE)[:, None, :])
    return per_layer


def aggregate_multi_layers(per_layer):
    cams = np.concatenate(per_layer, axis=1)
    cams = np.maximum(cams, 0)
    return scale_cam_image(np.mean(cams, axis=1))


def forward(layers, method, eigen_smooth=False):
    return aggregate_multi_layers(compute_cam_per_layer(layers, method, eigen_smooth))[0]


METHODS = ["gradcam", "hirescam", "gradcamelementwise", "gradcam++", "xgradcam", "layercam", "eigencam",
           "eigengradcam", "fem", "kpca_cam", "finercam", "scorecam", "ablationcam", "randomcam"]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261123)
    # Post-ReLU-like activations (non-negative, some exact zeros) and signed gradients for 2 classes.
    a = np.maximum(rng.normal(0.3, 1.0, (1, 40, 5, 6)), 0).astype(np.float32)
    g = rng.normal(0.0, 0.05, (2, 40, 5, 6)).astype(np.float32)
    g[:, :, 1:3, 3:5] += 0.04  # a class-relevant region, so maps have structure
    a2 = np.maximum(rng.normal(0.2, 1.0, (1, 8, 3, 4)), 0).astype(np.float32)
    g2 = rng.normal(0.01, 0.05, (2, 8, 3, 4)).astype(np.float32)
    for name, array in (("a", a), ("g", g), ("a2", a2), ("g2", g2)):
        np.save(os.path.join(OUT, f"{name}.npy"), array)

    for method in METHODS:
        for eigen in (False, True):
            for k in (0, 1):
                cam = forward([(a, g[k:k + 1])], method, eigen)
                np.save(os.path.join(OUT, f"ref_{method}_{'eigen' if eigen else 'plain'}_{k}.npy"), cam)

    # Two target layers fused.
    np.save(os.path.join(OUT, "ref_fused_gradcam_0.npy"), forward([(a, g[0:1]), (a2, g2[0:1])], "gradcam"))

    # aug_smooth as pytorch-grad-cam does it: each augmented run's CAM, de-augmented, averaged (no rescale).
    # Run 0 is the input itself; run 1 stands for a flipped, 0.9x brightness copy (its tensors flipped along w).
    a_flip = np.ascontiguousarray(np.flip(a * 0.9 + 0.05, axis=3)).astype(np.float32)
    g_flip = np.ascontiguousarray(np.flip(g[0:1] * 1.1, axis=3)).astype(np.float32)
    np.save(os.path.join(OUT, "a_flip.npy"), a_flip)
    np.save(os.path.join(OUT, "g_flip.npy"), g_flip)
    cams = [forward([(a, g[0:1])], "gradcam"), np.flip(forward([(a_flip, g_flip)], "gradcam"), axis=1)]
    np.save(os.path.join(OUT, "ref_aug_gradcam_0.npy"), np.mean(np.float32(cams), axis=0))

    # OpenCV INTER_LINEAR resizing of a float map, the step every CAM goes through.
    small = rng.random((5, 7), dtype=np.float32)
    np.save(os.path.join(OUT, "resize_src.npy"), small)
    np.save(os.path.join(OUT, "resize_40x32.npy"), cv2.resize(small, (40, 32)))
    np.save(os.path.join(OUT, "resize_224x224.npy"), cv2.resize(small, (224, 224)))
    np.save(os.path.join(OUT, "resize_9x5.npy"), cv2.resize(small, (9, 5)))

    finer_reference(np.random.default_rng(20261125))
    score_cam_reference()
    faithfulness_reference()


def finer_reference(rng):
    """FinerCAM through autograd, as pytorch-grad-cam computes it: a small non-linear head (1x1 convolution, ReLU,
    average pooling, linear) on a target layer; FinerWeightedTarget's value (softmax weights not detached)
    differentiated with respect to the layer; Grad-CAM of that gradient. Also every class's own gradient, from
    which dermcam combines the target's (web/js/finer-cam.mjs)."""
    import torch  # python3-torch; only this reference needs it

    torch.manual_seed(7)
    a = np.maximum(rng.normal(0.3, 1.0, (1, 16, 4, 5)), 0).astype(np.float32)
    conv = torch.nn.Conv2d(16, 8, 1)
    linear = torch.nn.Linear(8, 6)

    def head(x):
        return linear(torch.relu(conv(x)).mean(dim=(2, 3)))

    layer = torch.tensor(a, requires_grad=True)
    logits = head(layer)[0]
    scores = logits.detach().numpy().astype(np.float32)
    main = int(np.argmax(scores))
    order = np.argsort(np.abs(scores - scores[main]), kind="stable")
    comparisons = [int(order[i]) for i in (1, 2, 3)]
    # pytorch_grad_cam.utils.model_targets.FinerWeightedTarget(main, comparisons, alpha=1)
    prob = torch.softmax(logits, dim=-1)
    weights = [prob[i] for i in comparisons]
    numerator = sum(w * (logits[main] - 1 * logits[i]) for w, i in zip(weights, comparisons))
    target = numerator / (sum(weights) + 1e-9)
    target_gradient = torch.autograd.grad(target, layer, retain_graph=True)[0].numpy().astype(np.float32)
    per_class = np.stack([torch.autograd.grad(logits[c], layer, retain_graph=True)[0].numpy()[0]
                          for c in range(6)]).astype(np.float32)
    np.save(os.path.join(OUT, "finer_a.npy"), a)
    np.save(os.path.join(OUT, "finer_scores.npy"), scores)
    np.save(os.path.join(OUT, "finer_class_gradients.npy"), per_class)
    np.save(os.path.join(OUT, "finer_target_gradient.npy"), target_gradient)
    np.save(os.path.join(OUT, "ref_finercam_plain_main.npy"), forward([(a, target_gradient)], "gradcam"))


def score_cam_reference():
    """Score-CAM as pytorch-grad-cam's ScoreCAM computes it (UpsamplingBilinear2d, min-max scaling, batches of 16,
    ClassifierOutputTarget of the top class, softmax over channels, then BaseCAM's ReLU, scaling and resize), on
    the mlp_head explain fixture: the same weights, rebuilt in torch from its ONNX file (Conv-ReLU-Conv-ReLU is
    the target layer, then average pooling and two dense layers), and its first input."""
    import onnx
    import torch
    from onnx import numpy_helper

    folder = os.path.join(OUT, "..", "explain", "mlp_head")
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(os.path.join(folder, "model.onnx")).graph.initializer}
    convs = [n.input[1:] for n in onnx.load(os.path.join(folder, "model.onnx")).graph.node if n.op_type == "Conv"]

    def backbone(x):
        for w, b in convs:
            x = torch.relu(torch.nn.functional.conv2d(x, weights[w], weights[b], stride=2, padding=1))
        return x

    def head(a):
        h = torch.relu(a.mean(dim=(2, 3)) @ weights["head.1.weight"].T + weights["head.1.bias"])
        return h @ weights["head.4.weight"].T + weights["head.4.bias"]

    x = torch.from_numpy(np.load(os.path.join(folder, "input.npy"))[0:1])
    with torch.no_grad():
        activations = backbone(x)
        category = int(head(activations)[0].argmax())
        upsampled = torch.nn.UpsamplingBilinear2d(size=x.shape[-2:])(activations)
        maxs = upsampled.view(1, upsampled.size(1), -1).max(dim=-1)[0][:, :, None, None]
        mins = upsampled.view(1, upsampled.size(1), -1).min(dim=-1)[0][:, :, None, None]
        upsampled = (upsampled - mins) / (maxs - mins + 1e-8)
        inputs = (x[:, None, :, :] * upsampled[:, :, None, :, :])[0]
        scores = []
        for i in range(0, inputs.size(0), 16):
            scores.extend(float(o[category]) for o in head(backbone(inputs[i:i + 16])))
        channel_weights = torch.nn.Softmax(dim=-1)(torch.Tensor(scores).view(1, -1)).numpy()
    a = activations.numpy()
    cam = np.maximum((channel_weights[:, :, None, None] * a).sum(axis=1), 0)
    size = (x.shape[-1], x.shape[-2])
    cam = aggregate_multi_layers([scale_cam_image(cam, size)[:, None, :]])[0]
    np.save(os.path.join(OUT, "scorecam_mlp_head.npy"), cam)
    ablation_cam_reference(head, activations, category, size)
    np.save(os.path.join(OUT, "scorecam_mlp_head_scores.npy"), np.float32(scores))
    np.save(os.path.join(OUT, "scorecam_mlp_head_category.npy"), np.array([category], np.float32))


def ablate(batch, first_channel):
    """pytorch-grad-cam's AblationLayer.__call__ on a batch of copies of the layer: item j loses channel
    first_channel + j: zeroed when the batch's minimum is 0, else set to that minimum - 1e7 (the minimum then
    includes the items already ablated, so each item goes 1e7 lower than the one before)."""
    import torch

    for j in range(batch.size(0)):
        if torch.min(batch) == 0:
            batch[j, first_channel + j, :] = 0
        else:
            batch[j, first_channel + j, :] = torch.min(batch) - 1e7
    return batch


def ablation_cam_reference(head, activations, category, size):
    """AblationCAM as pytorch-grad-cam computes it (batches of 32, AblationLayer, weights (s - s_k) / s), with the
    head after the target layer; and AblationLayer's values for a layer with negative activations."""
    import torch

    with torch.no_grad():
        original = np.float32(head(activations)[0][category])
        channels = activations.shape[1]
        scores = []
        for i in range(0, channels, 32):
            count = min(32, channels - i)
            batch = ablate(activations.repeat(count, 1, 1, 1).clone(), i)
            scores.extend(float(o[category]) for o in head(batch))
    drops = (original - np.float32(scores)) / original
    a = activations.numpy()
    cam = np.maximum((drops[None, :, None, None] * a).sum(axis=1), 0)
    np.save(os.path.join(OUT, "ablationcam_mlp_head.npy"), aggregate_multi_layers([scale_cam_image(cam, size)[:, None, :]])[0])
    np.save(os.path.join(OUT, "ablationcam_mlp_head_scores.npy"), np.float32(scores))
    negative = torch.from_numpy(np.random.default_rng(3).normal(0, 1, (1, 5, 2, 2)).astype(np.float32))
    ablated = ablate(negative.repeat(5, 1, 1, 1).clone(), 0)
    np.save(os.path.join(OUT, "ablation_values_negative.npy"),
            np.float32([float(negative.min())] + [float(ablated[j, j, 0, 0]) for j in range(5)]))


def faithfulness_reference():
    """The parts of the faithfulness metrics (web/js/faithfulness.mjs) as their reference code computes them, on a
    small input: RISE's salient order (flipped argsort) and Gaussian blur (klen 11, sigma 5, conv2d with zero
    padding), numpy's percentiles, and pytorch-grad-cam's NoisyLinearImputer without noise (its sparse system,
    solved by scipy's spsolve) for a most-relevant-first removal."""
    import scipy.ndimage
    import torch
    from scipy.sparse import csc_matrix, lil_matrix
    from scipy.sparse.linalg import spsolve

    rng = np.random.default_rng(11)
    c, h, w = 3, 10, 12
    image = rng.normal(0, 1, (c, h, w)).astype(np.float32)
    cam = np.round(rng.random((h, w)), 1).astype(np.float32)  # rounded: ties in the order
    order = np.flip(np.argsort(cam.reshape(-1), kind="stable"))
    klen, nsig = 11, 5
    inp = np.zeros((klen, klen))
    inp[klen // 2, klen // 2] = 1
    k = scipy.ndimage.gaussian_filter(inp, nsig)  # RISE's gkern
    kern = np.zeros((3, 3, klen, klen), np.float32)
    for i in range(3):
        kern[i, i] = k
    blurred = torch.nn.functional.conv2d(torch.from_numpy(image)[None], torch.from_numpy(kern), padding=klen // 2)[0].numpy()
    percentiles = np.float32([np.percentile(cam, p) for p in (10, 20, 30, 40, 50, 60, 70, 80, 90)])

    weights = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12), ((0, -1), 1 / 6),
               ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]
    mask = np.float32(cam < np.percentile(cam, 30))  # RemoveMostRelevantFirst(30): keep below the percentile
    maskflt = mask.flatten()
    imgflat = image.reshape((c, -1))
    indices = np.argwhere(maskflt == 0).flatten()
    coords_to_vidx = np.zeros(len(maskflt), dtype=int)
    coords_to_vidx[indices] = np.arange(len(indices))
    a = lil_matrix((len(indices), len(indices)))
    b = np.zeros((len(indices), c))
    sum_neighbors = np.ones(len(indices))
    for (dy, dx), weight in weights:
        cord1 = indices % w + dx
        cord0 = indices // w + dy
        valid = ~((cord0 < 0) | (cord1 < 0) | (cord0 >= h) | (cord1 >= w))
        new_coords = indices + dy * w + dx
        valid_coords = new_coords[valid]
        valid_ids = np.argwhere(valid == 1).flatten()
        has_values = maskflt[valid_coords] > 0.5
        b[valid_ids[has_values], :] -= weight * imgflat[:, valid_coords[has_values]].T
        a[valid_ids[~has_values], coords_to_vidx[valid_coords[~has_values]]] = weight
        sum_neighbors[np.argwhere(valid == 0).flatten()] -= weight
    a[np.arange(len(indices)), np.arange(len(indices))] = -sum_neighbors
    imputed = imgflat.copy()
    imputed[:, indices] = spsolve(csc_matrix(a), b).T
    for name, array in (("image", image), ("cam", cam), ("order", np.float32(order)), ("blurred", blurred),
                        ("percentiles", percentiles), ("imputed_morf30", imputed.reshape(c, h, w).astype(np.float32))):
        np.save(os.path.join(OUT, f"faithfulness_{name}.npy"), np.ascontiguousarray(array, dtype=np.float32))


if __name__ == "__main__":
    main()
