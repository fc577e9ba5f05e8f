// A model.json for the explain-graph fixture models (64 x 64 input, 6 classes), shared by JS tests.
export const LABELS = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, en: `Label ${id}`, vi: `Nhãn ${id}` }));
const TEXT = { en: 'text', vi: 'văn bản' };

export function testConfig(overrides = {}) {
  return {
    schema: 'dermcam-model/1',
    name: { en: 'Test model', vi: 'Mô hình thử' },
    labels: LABELS,
    input: { width: 64, height: 64, layout: 'NCHW', scale: '0-1', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25],
      resize: 'center-crop' },
    explain: { classes: 2 },
    card: { summary: TEXT, data: TEXT, intendedUse: TEXT, limits: TEXT, provenance: TEXT, licence: 'MIT', metrics: {} },
    ...overrides,
  };
}

