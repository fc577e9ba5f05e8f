// Fuzz harness: bytes as an ONNX file, read as the app and the CLI read a person's own model (decodeModel), then
// its explain metadata checked against its graph (verifiedExplainMetadata). Either may refuse with a
// DermcamError; any other exception, a hang or running out of memory is a finding (scripts/fuzz-js.mjs).
import { EXPLAIN_METADATA_KEY } from '../../web/js/onnx/prepared.mjs';
import { verifiedExplainMetadata } from '../../web/js/onnx/metadata.mjs';
import { decodeModel, encodeModel } from '../../web/js/onnx/model.mjs';
import { mutateJson } from './json-mutator.mjs';

export const maxLength = 128 * 1024;

// Protobuf wire bytes worth splicing in: big varints (lengths and dims), field tags of ModelProto/GraphProto/NodeProto,
// and the strings the metadata check looks for.
export const dictionary = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x10],
  [0x3a], [0x42], [0x72], [0x0a], [0x12], [0x1a], [0x22], [0x2a], [0x32], [0x08, 0x01], [0x10, 0x00],
  ...['dermcam.explain', '{"version":', '"layers":', '"shape":[', '"classes":', 'NCHW', 'NHWC', 'Relu', 'Gemm',
    '1e300', '-1', 'null', '[]', '{}'].map((text) => [...new TextEncoder().encode(text)]),
];

export function run(bytes) {
  verifiedExplainMetadata(decodeModel(bytes));
}

// Half the time the model is decoded and its explain metadata (when it has any) changed as JSON, so that the
// metadata check meets well-formed files with forged descriptions, not only broken protobuf.
export function mutate(bytes, random) {
  let model;
  try {
    model = decodeModel(bytes);
  } catch {
    return null;
  }
  const entry = model.metadataProps?.find((p) => p.key === EXPLAIN_METADATA_KEY);
  const value = entry && mutateJson(entry.value, random);
  if (!value) return null;
  entry.value = value;
  return encodeModel(model);
}
