import { reluChain } from '/work/main/scripts/make-hostile-models.mjs';
import { prepareExplainModel } from '/work/main/web/js/onnx/explain.mjs';
const ort = await import('onnxruntime-node');
for (const n of process.argv.slice(2).map(Number)) {
  const bytes = reluChain(n);
  const t = performance.now();
  const { report } = await prepareExplainModel(ort, bytes, { classes: 1 });
  console.log(n, 'nodes:', (performance.now() - t).toFixed(0), 'ms', report.layers[0].name);
}
