#!/usr/bin/python3
"""Weight-only int8 quantization of an ONNX model: every Conv/Gemm/MatMul weight initializer becomes int8
with a per-output-channel scale (symmetric, zero point 0), restored at run time by DequantizeLinear
(opset 13, axis 0). Activations stay float32, so the explain graph differentiates the model unchanged.
Usage: /usr/bin/python3 scripts/demo/quantize.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main(src, dst):
    model = onnx.load(src)
    graph = model.graph
    weights = {n.input[1] for n in graph.node if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1}
    initializers = {t.name: t for t in graph.initializer}
    dequantize = []
    for name in sorted(weights & initializers.keys()):
        w = numpy_helper.to_array(initializers[name])
        if w.dtype != np.float32 or w.size < 16:
            continue
        flat = w.reshape(w.shape[0], -1)
        scale = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
        q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
        graph.initializer.remove(initializers[name])
        graph.initializer.extend([
            numpy_helper.from_array(q, f"{name}_int8"),
            numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"),
            numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f"{name}_zero_point"),
        ])
        dequantize.append(helper.make_node("DequantizeLinear", [f"{name}_int8", f"{name}_scale", f"{name}_zero_point"],
                                           [name], axis=0, name=f"{name}_dequantize"))
    for node in reversed(dequantize):
        graph.node.insert(0, node)
    if not any(o.domain in ("", "ai.onnx") and o.version >= 13 for o in model.opset_import):
        raise SystemExit("per-channel DequantizeLinear needs opset 13 or later")
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"quantized {len(dequantize)} weight tensors to int8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
