#!/usr/bin/env node
// dermcam's command line: the same JS modules and wasm core as the web app.
//   node scripts/dermcam.mjs prepare IN.onnx OUT.onnx [--layer NAME]... [--classes K] [--score logit|probability]
//                                    [--input-shape C,H,W] [--list-layers] [--json]
// Errors go to stderr with a non-zero exit code (2 for usage, 1 for everything else).
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { ExplainError } from '../web/js/onnx/model.mjs';
import { listLayers, prepareExplainModel } from '../web/js/onnx/explain.mjs';

const USAGE = `usage:
  node scripts/dermcam.mjs prepare IN.onnx OUT.onnx [--layer NAME]... [--classes K] [--score logit|probability]
                                   [--input-shape C,H,W] [--json]
  node scripts/dermcam.mjs prepare IN.onnx --list-layers [--json]`;

class UsageError extends Error {}

async function loadOrt() {
  // onnxruntime-node runs the probe natively; the prepared graph is plain ONNX for any runtime.
  return import('onnxruntime-node');
}

function parseShape(text) {
  if (text === undefined) return undefined;
  const dims = text.split(/[,x]/).map((d) => Number(d.trim()));
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input-shape must be positive integers like 3,224,224 (got '${text}')`);
  }
  return dims;
}

async function prepare(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      layer: { type: 'string', multiple: true },
      classes: { type: 'string' },
      score: { type: 'string' },
      'input-shape': { type: 'string' },
      'list-layers': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [input, output] = positionals;
  if (!input || (!output && !values['list-layers']) || positionals.length > 2) throw new UsageError(USAGE);
  const classes = values.classes === undefined ? 1 : Number(values.classes);
  if (!Number.isInteger(classes)) throw new UsageError(`--classes must be an integer (got '${values.classes}')`);
  const options = {
    layers: values.layer,
    classes,
    score: values.score ?? 'logit',
    inputShape: parseShape(values['input-shape']),
  };
  let bytes;
  try {
    bytes = new Uint8Array(await readFile(input));
  } catch (error) {
    throw new ExplainError('read_failed', `Cannot read ${input}: ${error.message}`);
  }
  const ort = await loadOrt();
  if (values['list-layers']) {
    const layers = await listLayers(ort, bytes, options);
    if (values.json) {
      console.log(JSON.stringify(layers, null, 2));
      return;
    }
    console.log('Candidate target layers (4-D, spatial size > 1, before the scores), first to last:');
    for (const layer of layers) {
      const status = layer.explainable ? 'ok' : `blocked by ${layer.blockedBy.op} (${layer.blockedBy.node})`;
      console.log(`  ${layer.name}  [${layer.shape.join(' x ')}] ${layer.layout}  from ${layer.producer}  ${status}`);
    }
    return;
  }
  const { bytes: prepared, report } = await prepareExplainModel(ort, bytes, options);
  await writeFile(output, prepared);
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  for (const layer of report.layers) {
    console.log(`Target layer '${layer.name}' [${layer.shape.join(' x ')}] ${layer.layout}: ${report.why}.`);
  }
  console.log(`Score: ${report.score.kind} of '${report.score.tensor}'` +
    (report.score.seededBefore ? ` (before the final ${report.score.seededBefore})` : '') +
    `; gradients for the top ${report.classes.k} class(es), or the classes given in '${report.classes.input}'.`);
  console.log(`Wrote ${output}: ${report.addedNodes} nodes added to a head of ${report.headNodes}.`);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'prepare') await prepare(rest);
    else throw new UsageError(USAGE);
  } catch (error) {
    if (error instanceof UsageError || error?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        error?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof ExplainError ? `dermcam: ${error.message}` : `dermcam: unexpected error: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}

await main();
