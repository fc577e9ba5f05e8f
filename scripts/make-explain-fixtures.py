#!/usr/bin/python3
"""Writes tests/fixtures/explain/<name>/: small classifiers exported to ONNX plus what torch autograd says
their target-layer gradients are, so the explain-graph tests need neither torch nor Python.

Run with Debian's torch: /usr/bin/python3 scripts/make-explain-fixtures.py
Each folder holds model.onnx and, in float32 .npy files: input (2 images), logits, activations (the target
layer) and gradients [N, K, ...activation dims] = d logit[n, topk(n)[k]] / d activations[n], computed in
float64; manifest.json names the target layer's ONNX tensor and what the builder should find.
Weights are random (fixed seeds) with BatchNorm statistics set away from their identity defaults.

Transformers (ViT, a DeiT-like model with a distillation token, Swin, ConvNeXt; opsets 13 and 17): a token
target layer's activations and gradients are stored as its grid [N, H, W, C] (prefix tokens dropped, as
pytorch-grad-cam's reshape_transform does before its NCHW transpose), and gradcam.npy holds pytorch-grad-cam's
Grad-CAM map for the top class with that reshape_transform (its scale_cam_image: min-max, cv2.resize).
"""
import json
import os
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import cv2
import torchvision
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.swin_transformer import SwinTransformer
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "explain")
K = 3
SIZE = 64


def randomise_batchnorm(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=generator) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=generator) * 0.2)


class NarrowResNet18(torchvision.models.ResNet):
    """torchvision's ResNet-18 (BasicBlock, [2, 2, 2, 2]) at 1/8 of its widths: the same graph, small weights."""

    def __init__(self, num_classes):
        nn.Module.__init__(self)
        block = torchvision.models.resnet.BasicBlock
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 8, 1, 1, 64
        self.conv1 = nn.Conv2d(3, 8, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 8, 2)
        self.layer2 = self._make_layer(block, 16, 2, stride=2)
        self.layer3 = self._make_layer(block, 32, 2, stride=2)
        self.layer4 = self._make_layer(block, 64, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)


class SmallBackbone(nn.Module):
    def __init__(self, channels=16, end=nn.ELU):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 12, 3, stride=2, padding=1), nn.BatchNorm2d(12), nn.ReLU(),
                                  nn.Conv2d(12, channels, 3, stride=2, padding=1), nn.BatchNorm2d(channels), end())

    def forward(self, x):
        return self.body(x)


class MlpHead(nn.Module):
    """Backbone -> GAP -> Linear-ReLU-Dropout-Linear (the target layer is the backbone's last activation)."""

    def __init__(self, num_classes=6, softmax=False):
        super().__init__()
        self.backbone = SmallBackbone(32, nn.ReLU)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32, 24), nn.ReLU(), nn.Dropout(0.3), nn.Linear(24, num_classes))
        self.softmax = softmax

    def logits(self, x):
        return self.head(F.adaptive_avg_pool2d(self.backbone(x), 1))

    def forward(self, x):
        y = self.logits(x)
        return torch.softmax(y, dim=1) if self.softmax else y


class OpZoo(nn.Module):
    """A head after the target layer (the ELU output) that uses every operator the explain graph must differentiate:
    strided/grouped/dilated Conv, BatchNormalization, Clip, LeakyRelu, AveragePool, overlapping MaxPool, Tanh,
    Concat, HardSigmoid, Sigmoid, Mul, Reshape, Softmax, ReduceMean, Unsqueeze/Squeeze, Transpose, Gemm, Relu,
    Dropout, Sub, Div, Add."""

    def __init__(self, num_classes=7):
        super().__init__()
        self.backbone = SmallBackbone(16, nn.ELU)
        self.a = nn.Sequential(nn.Conv2d(16, 12, 3, stride=2, padding=1), nn.ReLU6())
        self.a_bn = nn.BatchNorm2d(12)
        self.b = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)
        self.c_pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.mix = nn.Conv2d(44, 10, 1)
        self.fc1 = nn.Linear(10, 16)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(16, num_classes)

    def forward(self, x):
        t = self.backbone(x)                                   # target layer
        a = self.a_bn(self.a(t))                               # Conv s2 -> Clip -> BN (not fused: after Clip)
        b = F.avg_pool2d(F.leaky_relu(self.b(t), 0.1), 2)      # depthwise dilated Conv -> LeakyRelu -> AveragePool
        c = torch.tanh(self.c_pool(t))                         # overlapping MaxPool -> Tanh
        cat = torch.cat([a, b, c], dim=1)
        d = F.hardsigmoid(cat) * cat + torch.sigmoid(cat) / 4.0 - cat * 0.1
        e = self.mix(d)
        n, ch, h, w = e.shape
        attention = torch.softmax(e.reshape(n, ch, h * w), dim=-1).reshape(n, ch, h, w)
        e = e * attention * (h * w)
        pooled = e.mean(dim=(2, 3)).unsqueeze(-1).transpose(1, 2).squeeze(1)
        return self.fc2(self.drop(F.relu(self.fc1(pooled))))


class UnsupportedHead(nn.Module):
    """SELU (not differentiable by dermcam) sits between the stem and the last conv."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
        self.tail = nn.Sequential(nn.SELU(), nn.Conv2d(8, 8, 1), nn.ReLU())
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.tail(self.stem(x)), 1).flatten(1))


class TokenOpZoo(nn.Module):
    """A head after the target layer (a Tanh output) that uses the operators transformers need beyond the
    fixtures above: attention with both MatMul operands active, Softmax, Exp, Neg, Log, Softplus, Elu, PReLU,
    Where with a constant condition, Mul/Div/Add of two active tensors, Split, strided and negative-step Slice,
    Gather, Expand, constant Pad, GlobalMaxPool and ReduceMax (amax and max(dim))."""

    def __init__(self, num_classes=6):
        super().__init__()
        self.backbone = SmallBackbone(16, nn.Tanh)
        self.q = nn.Linear(16, 16)
        self.k = nn.Linear(16, 16)
        self.v = nn.Linear(16, 16)
        self.prelu = nn.PReLU(init=0.2)
        self.register_buffer("mask", torch.rand(256, 16, generator=torch.Generator().manual_seed(5)) > 0.5)
        self.fc = nn.Linear(16 * 5, num_classes)

    def forward(self, x):
        t = self.backbone(x)                                             # target layer [N, 16, 16, 16]
        n = t.shape[0]
        tokens = t.flatten(2).transpose(1, 2)                            # [N, 256, 16]
        q, k, v = self.q(tokens), self.k(tokens), self.v(tokens)
        mixed = torch.softmax(q @ k.transpose(1, 2) / 4.0, dim=-1) @ v + tokens
        e = torch.exp(-mixed * 0.5)
        l = torch.log(F.softplus(mixed) + 1.0)
        z = torch.where(self.mask, e, l)
        r = z * self.prelu(mixed) / (1.0 + e * l) + F.elu(mixed)
        first, second = r.split([96, 160], dim=1)
        s = torch.cat([second[:, ::2], first[:, 1::3], first.flip(1)[:, :4]], dim=1)
        g = s[:, 5]                                                     # Gather
        ex = g.unsqueeze(1).expand(n, 3, 16).mean(1)                     # Expand
        grid = F.pad(r.transpose(1, 2).reshape(n, 16, 16, 16), (1, 2, 0, 1))
        pooled = F.adaptive_max_pool2d(grid, 1).flatten(1)               # GlobalMaxPool
        m = torch.amax(s[:, :, :], dim=1)                                # ReduceMax
        mx = r.max(dim=1).values                                         # ReduceMax (+ ArgMax)
        return self.fc(torch.cat([g, ex, pooled, m, mx], dim=1))


def gelu_fixture(name="gelu_opset20"):
    """Hand-built opset-20 graph: Conv -> Relu (target) -> Gelu (exact) + Gelu (tanh) -> ReduceMax and ReduceMean
    with an axes input -> Dropout in training mode with ratio 0 -> MatMul. Reference: the same graph in torch
    float64."""
    rng = np.random.default_rng(20)
    w = rng.normal(0, 0.8, (6, 3, 3, 3))  # activations spread over 0..3, where both Gelu slopes bend
    dense = rng.normal(0, 0.5, (24, 4))
    inits = [numpy_helper.from_array(w.astype(np.float32), "conv_w"),
             numpy_helper.from_array(dense.astype(np.float32), "dense_w"),
             numpy_helper.from_array(np.array([2, 3], np.int64), "max_axes"),
             numpy_helper.from_array(np.array(0.0, np.float32), "ratio"),
             numpy_helper.from_array(np.array(True), "training"),
             numpy_helper.from_array(np.array([0.25], np.float32), "shift")]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w"], ["conv"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Sub", ["conv", "shift"], ["shifted"], name="shift"),
        helper.make_node("Relu", ["shifted"], ["features"], name="relu"),
        helper.make_node("Gelu", ["features"], ["gelu_exact"], name="gelu_exact"),
        helper.make_node("Gelu", ["features"], ["gelu_tanh"], approximate="tanh", name="gelu_tanh"),
        helper.make_node("Concat", ["gelu_exact", "gelu_tanh"], ["both"], axis=1, name="concat"),
        helper.make_node("ReduceMax", ["both", "max_axes"], ["peaks"], keepdims=0, name="peaks"),
        helper.make_node("ReduceMean", ["both", "max_axes"], ["means"], keepdims=0, name="means"),
        helper.make_node("Concat", ["peaks", "means"], ["pooled"], axis=1, name="pooled"),
        helper.make_node("Dropout", ["pooled", "ratio", "training"], ["kept", "kept_mask"], name="dropout"),
        helper.make_node("MatMul", ["kept", "dense_w"], ["logits"], name="dense"),
    ]
    graph = helper.make_graph(nodes, "gelu", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 10, 10])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="dermcam-fixtures")
    model.ir_version = 9
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    x = torch.tensor(rng.normal(0, 1, (2, 3, 10, 10)))
    features = F.relu(F.conv2d(x, torch.tensor(w), padding=1) - 0.25).detach().requires_grad_()
    both = torch.cat([F.gelu(features), F.gelu(features, approximate="tanh")], dim=1)
    logits = torch.cat([both.amax(dim=(2, 3)), both.mean(dim=(2, 3))], dim=1) @ torch.tensor(dense)
    topk = torch.topk(logits, K, dim=1).indices
    grads = torch.stack([torch.autograd.grad(logits.gather(1, topk[:, k:k + 1]).sum(), features, retain_graph=True)[0]
                         for k in range(K)], dim=1)
    manifest = {"name": name, "opset": 20, "layout": "NCHW", "input_shape": [3, 10, 10], "layer": "features",
                "chosen_with_layer": True, "topk": topk.tolist()}
    save(folder, manifest, input=x.numpy(), logits=logits.detach().numpy(), activations=features.detach().numpy(),
         gradients=grads.numpy())


def target_module(name, model):
    return {
        "mobilenet_v2": lambda m: m.features,
        "mobilenet_v3_small": lambda m: m.features,
        "resnet18": lambda m: m.layer4,
        "efficientnet_b0": lambda m: m.features,
        "densenet121": None,  # the ReLU after features is functional: hooked on features and ReLU'd below
        "mlp_head": lambda m: m.backbone,
        "mlp_head_softmax": lambda m: m.backbone,
        "op_zoo_opset11": lambda m: m.backbone,
        "op_zoo_opset17": lambda m: m.backbone,
        "token_op_zoo_opset13": lambda m: m.backbone,
        "token_op_zoo_opset17": lambda m: m.backbone,
    }[name](model) if name != "densenet121" else model.features


def torch_reference(name, model, x, score="logit"):
    """Scores are pre-softmax logits (what dermcam differentiates by default), or the model's own output."""
    model = model.double().eval()
    captured = {}

    def hook(_module, _inputs, output):
        if name == "densenet121":
            output = F.relu(output)
        output.retain_grad()
        captured["a"] = output
        return output

    handle = target_module(name, model).register_forward_hook(hook)
    logits = model.logits(x.double()) if score == "logit" and hasattr(model, "logits") else model(x.double())
    handle.remove()
    activations = captured["a"]
    topk = torch.topk(logits, K, dim=1).indices
    grads = []
    for k in range(K):
        g = torch.autograd.grad(logits.gather(1, topk[:, k:k + 1]).sum(), activations, retain_graph=True)[0]
        grads.append(g)
    gradients = torch.stack(grads, dim=1)
    return logits.detach().float(), activations.detach().float(), gradients.float(), topk


def export(name, model, opset, x, layer_hint=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    model = model.float().eval()
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, do_constant_folding=True)
    manifest = {"name": name, "opset": opset, "layout": "NCHW", "input_shape": list(x.shape[1:])}
    if layer_hint:
        graph = onnx.load(path).graph
        manifest["layer"] = next(n.output[0] for n in graph.node if n.op_type == layer_hint)
    return folder, manifest


def save(folder, manifest, **arrays):
    for key, value in arrays.items():
        np.save(os.path.join(folder, f"{key}.npy"), np.ascontiguousarray(value, dtype=np.float32))
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def torch_fixture(name, model, opset, layer_hint=None, softmax=False):
    generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    torch.manual_seed(7)
    randomise_batchnorm(model, generator)
    x = torch.randn(2, 3, SIZE, SIZE, generator=generator)
    folder, manifest = export(name, model, opset, x, layer_hint)
    logits, activations, gradients, topk = torch_reference(name, model, x)
    arrays = {}
    if softmax:
        manifest["ends_in"] = "Softmax"
        _, _, arrays["gradients_probability"], _ = torch_reference(name, model, x, score="probability")
    manifest["topk"] = topk.tolist()
    save(folder, manifest, input=x.numpy(), logits=logits.numpy(), activations=activations.numpy(),
         gradients=gradients.numpy(), **arrays)


def nhwc_fixture(name, opset):
    """A Keras/tf2onnx-style graph written with ONNX ops: NHWC input, Transposes around an NCHW Conv, then
    ReduceMean over axes 1, 2 (the NHWC target layer is the Transpose output), Dropout, Identity,
    p / (p * p + 1), MatMul + Add, and a final Softmax (opset 13), LogSoftmax (18) or Sigmoid (21)."""
    rng = np.random.default_rng(opset)
    c_in, c, classes, size = 3, 8, 4, 12
    w = rng.normal(0, 0.4, (c, c_in, 3, 3)).astype(np.float32)
    b = rng.normal(0, 0.1, (c,)).astype(np.float32)
    dense = rng.normal(0, 0.5, (c, classes)).astype(np.float32)
    bias = rng.normal(0, 0.1, (classes,)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "conv_w"), numpy_helper.from_array(b, "conv_b"),
             numpy_helper.from_array(dense, "dense_w"), numpy_helper.from_array(bias, "dense_b")]
    nodes = [
        helper.make_node("Transpose", ["input"], ["to_nchw"], perm=[0, 3, 1, 2], name="to_nchw"),
        helper.make_node("Conv", ["to_nchw", "conv_w", "conv_b"], ["conv"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("Transpose", ["relu"], ["features_nhwc"], perm=[0, 2, 3, 1], name="to_nhwc"),
    ]
    if opset >= 18:
        inits.append(numpy_helper.from_array(np.array([1, 2], np.int64), "pool_axes"))
        nodes.append(helper.make_node("ReduceMean", ["features_nhwc", "pool_axes"], ["pooled"], keepdims=0, name="gap"))
    else:
        nodes.append(helper.make_node("ReduceMean", ["features_nhwc"], ["pooled"], axes=[1, 2], keepdims=0, name="gap"))
    inits.append(numpy_helper.from_array(np.array(1.0, np.float32), "one"))
    final = {13: "Softmax", 18: "LogSoftmax", 21: "Sigmoid"}[opset]
    nodes += [
        helper.make_node("Dropout", ["pooled"], ["dropped"], name="dropout"),
        helper.make_node("Identity", ["dropped"], ["kept"], name="identity"),
        helper.make_node("Mul", ["kept", "kept"], ["squared"], name="square"),
        helper.make_node("Add", ["squared", "one"], ["denominator"], name="plus_one"),
        helper.make_node("Div", ["kept", "denominator"], ["squashed"], name="squash"),
        helper.make_node("MatMul", ["squashed", "dense_w"], ["matmul"], name="dense_matmul"),
        helper.make_node("Add", ["matmul", "dense_b"], ["logits"], name="dense_bias"),
        helper.make_node(final, ["logits"], ["probabilities"], name="final", **({} if final == "Sigmoid" else {"axis": -1})),
    ]
    graph = helper.make_graph(
        nodes, "keras_style", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", size, size, c_in])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="dermcam-fixtures")
    model.ir_version = 8 if opset <= 18 else 10
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))

    # Reference in float64 NumPy; gradients by central differences on the head (activations -> logits).
    x = rng.normal(0, 1, (2, size, size, c_in))
    xn = x.transpose(0, 3, 1, 2)
    padded = np.pad(xn, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((2, c, size, size))
    for i in range(3):
        for j in range(3):
            conv += np.einsum("nchw,oc->nohw", padded[:, :, i:i + size, j:j + size], w[:, :, i, j].astype(np.float64))
    conv += b[None, :, None, None]
    features = np.maximum(conv, 0).transpose(0, 2, 3, 1)

    def head(f):
        p = f.mean(axis=(1, 2))
        return (p / (p * p + 1)) @ dense.astype(np.float64) + bias

    logits = head(features)
    topk = np.argsort(-logits, axis=1)[:, :K]
    gradients = np.zeros((2, K) + features.shape[1:])
    eps = 1e-4
    for n in range(2):
        for idx in np.ndindex(features.shape[1:]):
            plus = features.copy()
            minus = features.copy()
            plus[(n,) + idx] += eps
            minus[(n,) + idx] -= eps
            diff = (head(plus)[n] - head(minus)[n]) / (2 * eps)
            for k in range(K):
                gradients[(n, k) + idx] = diff[topk[n, k]]
    manifest = {"name": name, "opset": opset, "layout": "NHWC", "input_shape": [size, size, c_in],
                "layer": "features_nhwc", "ends_in": final, "topk": topk.tolist()}
    save(folder, manifest, input=x, logits=logits, activations=features, gradients=gradients)


def unsupported_fixture():
    torch.manual_seed(3)
    model = UnsupportedHead().eval()
    folder, manifest = export("unsupported_selu", model, 13, torch.randn(1, 3, 32, 32), layer_hint="Relu")
    manifest["note"] = "--layer <first Relu output> must be refused: Selu sits in the head"
    save(folder, manifest)


class DeiTLike(torchvision.models.VisionTransformer):
    """torchvision's ViT with DeiT's distillation token: [class, distillation, patches], two heads averaged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        hidden = kwargs["hidden_dim"]
        self.dist_token = nn.Parameter(torch.randn(1, 1, hidden) * 0.02)
        tokens = (kwargs["image_size"] // kwargs["patch_size"]) ** 2 + 2
        self.encoder.pos_embedding = nn.Parameter(torch.randn(1, tokens, hidden) * 0.02)
        self.head_dist = nn.Linear(hidden, kwargs["num_classes"])

    def forward(self, x):
        x = self._process_input(x)
        n = x.shape[0]
        x = torch.cat([self.class_token.expand(n, -1, -1), self.dist_token.expand(n, -1, -1), x], dim=1)
        x = self.encoder(x)
        return (self.heads(x[:, 0]) + self.head_dist(x[:, 1])) / 2


def randomise_weights(model, generator):
    """Random weights everywhere (torchvision zero-initialises the ViT head and the class token)."""
    for p in model.parameters():
        p.data.copy_(torch.randn(p.shape, generator=generator) * (0.3 if p.dim() > 1 else 0.1))
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)


def module_output(scope):
    """The ONNX tensor a module produces: torch names nodes by module scope, its last node's output."""
    return lambda graph: [n for n in graph.node if n.name.startswith(scope + "/")][-1].output[0]


def gradcam_reference(activations, gradients, size):
    """pytorch-grad-cam GradCAM of the first explained class, activations/gradients as NCHW grids."""
    weights = gradients.mean(axis=(2, 3))
    cam = np.maximum((weights[:, :, None, None] * activations).sum(axis=1), 0)
    maps = []
    for img in cam:
        img = img - img.min()
        img = img / (1e-7 + img.max())
        maps.append(cv2.resize(img, (size, size)))
    return np.float32(maps)


def transformer_fixture(name, model, opset, size, module, pick, tokens=None, layout="NHWC", model_from=None):
    """`module`'s output is the target layer: a token tensor [N, T, C] (`tokens` = prefix count, grid side)
    or a 4-D layer in `layout`; `pick(graph)` names its ONNX tensor. With `model_from` the model is that
    fixture's (same weights, not written twice) and the layer is chosen with --layer, not automatically."""
    generator = torch.Generator().manual_seed(zlib.crc32((model_from or name).encode()))
    randomise_weights(model, generator)
    x = torch.randn(2, 3, size, size, generator=generator)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(OUT, model_from or name, "model.onnx")
    model = model.float().eval()
    if not model_from:
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, do_constant_folding=True)
    manifest = {"name": name, "opset": opset, "layout": layout, "input_shape": list(x.shape[1:]),
                "layer": pick(onnx.load(path).graph)}
    if model_from:
        manifest.update(model_from=model_from, chosen_with_layer=True)
    model = model.double()
    captured = {}

    def hook(_module, _inputs, output):
        output.retain_grad()
        captured["a"] = output

    handle = module(model).register_forward_hook(hook)
    logits = model(x.double())
    handle.remove()
    a = captured["a"]
    topk = torch.topk(logits, K, dim=1).indices
    grads = torch.stack([torch.autograd.grad(logits.gather(1, topk[:, k:k + 1]).sum(), a, retain_graph=True)[0]
                         for k in range(K)], dim=1)
    a = a.detach()
    if tokens:
        prefix, side = tokens
        manifest["tokens"] = {"prefix": prefix, "grid": [side, side]}
        a = a[:, prefix:].reshape(a.shape[0], side, side, a.shape[-1])
        grads = grads[:, :, prefix:].reshape(grads.shape[0], K, side, side, grads.shape[-1])
    nchw = (lambda t: t.permute(0, 3, 1, 2)) if layout == "NHWC" else (lambda t: t)
    cam = gradcam_reference(nchw(a).numpy(), nchw(grads[:, 0]).numpy(), size)
    manifest["topk"] = topk.tolist()
    save(folder, manifest, input=x.numpy(), logits=logits.detach().numpy(), activations=a.numpy(),
         gradients=grads.numpy(), gradcam=cam)


def transformer_fixtures():
    tv = torchvision.models
    for opset in (13, 17):
        # The last block's first LayerNorm: pytorch-grad-cam's target for ViTs, and dermcam's automatic choice.
        last_ln_1 = module_output("/encoder/layers/encoder_layer_1/ln_1")
        vit = tv.VisionTransformer(image_size=48, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64,
                                   num_classes=5)
        transformer_fixture(f"vit_opset{opset}", vit, opset, 48, lambda m: m.encoder.layers[-1].ln_1, last_ln_1,
                            tokens=(1, 6))
        deit = DeiTLike(image_size=48, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32, mlp_dim=64, num_classes=5)
        transformer_fixture(f"deit_opset{opset}", deit, opset, 48, lambda m: m.encoder.layers[-1].ln_1, last_ln_1,
                            tokens=(2, 6))
        # 40 x 40 input: 10 x 10 then 5 x 5 positions, so windows of 3 need padding at both stages.
        swin = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2], window_size=[3, 3],
                               num_classes=5)
        transformer_fixture(f"swin_opset{opset}", swin, opset, 40, lambda m: m.permute, module_output("/permute"),
                            layout="NCHW")
        transformer_fixture(f"swin_stage1_opset{opset}", swin, opset, 40, lambda m: m.features[1],
                            module_output("/features/features.1"), model_from=f"swin_opset{opset}")
        convnext = ConvNeXt([CNBlockConfig(16, 32, 2), CNBlockConfig(32, None, 2)], num_classes=5)
        transformer_fixture(f"convnext_opset{opset}", convnext, opset, 48, lambda m: m.features,
                            module_output("/features"), layout="NCHW")
        transformer_fixture(f"convnext_stage1_opset{opset}", convnext, opset, 48, lambda m: m.features[1],
                            module_output("/features/features.1"), layout="NCHW", model_from=f"convnext_opset{opset}")


def main():
    torch.manual_seed(0)
    tv = torchvision.models
    torch_fixture("mobilenet_v2", tv.mobilenet_v2(width_mult=0.25, num_classes=5), 13)
    torch_fixture("mobilenet_v3_small", tv.mobilenet_v3_small(width_mult=0.5, num_classes=5), 17)
    torch_fixture("resnet18", NarrowResNet18(num_classes=5), 11)
    settings, last_channel = tv.efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=1.0)
    torch_fixture("efficientnet_b0", tv.EfficientNet(settings, 0.2, last_channel=last_channel, num_classes=5), 15)
    torch_fixture("densenet121", tv.DenseNet(growth_rate=4, block_config=(6, 12, 24, 16), num_init_features=8,
                                             num_classes=5), 12)
    torch_fixture("mlp_head", MlpHead(), 14)
    torch_fixture("mlp_head_softmax", MlpHead(softmax=True), 13, softmax=True)
    torch_fixture("op_zoo_opset11", OpZoo(), 11, layer_hint="Elu")
    torch_fixture("op_zoo_opset17", OpZoo(), 17, layer_hint="Elu")
    nhwc_fixture("keras_nhwc_opset13", 13)
    nhwc_fixture("keras_nhwc_opset18", 18)
    nhwc_fixture("keras_nhwc_opset21", 21)
    torch_fixture("token_op_zoo_opset13", TokenOpZoo(), 13, layer_hint="Tanh")
    torch_fixture("token_op_zoo_opset17", TokenOpZoo(), 17, layer_hint="Tanh")
    gelu_fixture()
    unsupported_fixture()
    transformer_fixtures()


if __name__ == "__main__":
    main()
