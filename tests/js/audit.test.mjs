// The audit's arithmetic (web/js/audit.mjs), shared by `dermcam pack`'s REPORT.md and the audit screen, and the
// CSV reader under it (web/js/csv.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { bySkinType, cardMetrics, confusionMatrix, pointingGame, readSkinTypes, refusalCounts, sortLabelledPaths, summariseAudit,
  summarisePointing, underChosenFolder, wilsonInterval } from '../../web/js/audit.mjs';
import { csvFields, csvRows } from '../../web/js/csv.mjs';

const row = (label, predicted, { accepted = true, set = [predicted], skinType = null, reasons = [] } = {}) => ({
  label, predicted, probabilities: [0, 1, 2].map((k) => (k === predicted ? 0.8 : 0.1)), accepted, reasons: accepted ? [] : reasons,
  set: accepted ? set : null, skinType });

test('summariseAudit: accuracy of accepted and of all photos, recall by class, set coverage and size', () => {
  const rows = [row(0, 0), row(0, 0), row(0, 1), row(1, 1, { set: [1, 0] }), row(1, 1, { accepted: false, reasons: ['blurry'] }),
    row(2, 0, { set: [0] })];
  const s = summariseAudit(rows, 3);
  assert.equal(s.photos, 6);
  assert.equal(s.accepted, 5);
  assert.equal(s.acceptance, 5 / 6);
  assert.equal(s.accuracyAccepted, 3 / 5);  // 0,0 right; 0->1 wrong; 1 right; 2->0 wrong
  assert.equal(s.accuracyAll, 4 / 6);
  assert.deepEqual(s.recall, [2 / 3, 1, 0]);
  assert.deepEqual(s.recallPhotos, [3, 2, 1]);
  assert.equal(s.withSets, 5);
  assert.equal(s.coverage, 3 / 5);  // the set of the 0->1 photo and of the 2->0 photo miss the true class
  assert.equal(s.meanSetSize, 6 / 5);
  assert.ok(s.ece > 0 && s.ece < 1);
  assert.deepEqual(confusionMatrix(rows, 3), [[2, 1, 0], [0, 2, 0], [1, 0, 0]]);
  assert.deepEqual(refusalCounts(rows), { blurry: 1 });
});

test('summariseAudit of nothing is not a number, never a made-up 0% or 100%', () => {
  const s = summariseAudit([], 2);
  for (const key of ['acceptance', 'accuracyAccepted', 'accuracyAll', 'ece', 'coverage', 'meanSetSize']) assert.ok(Number.isNaN(s[key]), key);
  assert.deepEqual(s.recall.map(Number.isNaN), [true, true]);
  // A class without photos has no recall, and the card leaves it out.
  const card = cardMetrics(summariseAudit([row(0, 0)], 2), [{ id: 'a' }, { id: 'b' }]);
  assert.deepEqual(card.recall, { a: 1 });
  assert.equal(card.photos, 1);
});

test('wilsonInterval: the textbook values, inside [0, 1], wider for fewer photos', () => {
  const { low, high } = wilsonInterval(0.5, 100);
  assert.ok(Math.abs(low - 0.4038) < 1e-3 && Math.abs(high - 0.5962) < 1e-3, `${low} ${high}`);
  const all = wilsonInterval(1, 10);
  assert.equal(all.high, 1);
  assert.ok(all.low > 0.69 && all.low < 0.73, String(all.low));
  assert.ok(wilsonInterval(0.8, 10).high - wilsonInterval(0.8, 10).low > wilsonInterval(0.8, 1000).high - wilsonInterval(0.8, 1000).low);
  assert.ok(Number.isNaN(wilsonInterval(NaN, 10).low));
  assert.ok(Number.isNaN(wilsonInterval(0.5, 0).low));
});

test('bySkinType and the card section: only the types present, in I-VI order, sets only when measured', () => {
  const rows = [row(0, 0, { skinType: 'V' }), row(1, 1, { skinType: 'II' }), row(1, 0, { skinType: 'V' }), row(0, 0)];
  const types = bySkinType(rows, 3);
  assert.deepEqual(types.map((t) => t.type), ['II', 'V']);
  assert.equal(types[1].summary.accuracyAll, 0.5);
  const card = cardMetrics(summariseAudit(rows, 3), [{ id: 'a' }, { id: 'b' }, { id: 'c' }], types);
  assert.deepEqual(Object.keys(card.bySkinType), ['II', 'V']);
  assert.equal(card.bySkinType.V.accuracyAll, 0.5);
  assert.equal(card.setCoverage, 0.75);
  const noSets = cardMetrics(summariseAudit(rows.map((r) => ({ ...r, set: null })), 3), [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
  assert.equal('setCoverage' in noSets, false);
  assert.equal('bySkinType' in noSets, false);
});

test('readSkinTypes: I-VI or 1-6, paths as written under the folder; bad rows are problems with their line', () => {
  const known = new Set(['nevus/a.jpg', 'nevus/b.jpg', 'melanoma/c.png']);
  const text = '\uFEFFphoto,type\r\nnevus/a.jpg,ii\r\n./nevus/b.jpg,5\r\n\r\nmelanoma/c.png,VII\r\n"nevus/zz.jpg",I\r\n';
  const { types, problems, missing } = readSkinTypes(text, known);
  assert.deepEqual(missing, []);
  assert.deepEqual([...types], [['nevus/a.jpg', 'II'], ['nevus/b.jpg', 'V']]);
  assert.deepEqual(problems, [{ line: 5, kind: 'type', value: 'VII' }, { line: 6, kind: 'photo', value: 'nevus/zz.jpg' }]);
  assert.deepEqual(readSkinTypes('file,fitzpatrick\na,1\n', known).missing, ['photo', 'type']);
  assert.deepEqual(readSkinTypes('', known).missing, ['photo', 'type']);
});

test('csv: quoted fields with commas and doubled quotes; the header names the columns, case-insensitive', () => {
  assert.deepEqual(csvFields('a, "b, c" ,"say ""hi"""'), ['a', 'b, c', 'say "hi"']);
  const { rows, missing } = csvRows('ID,En\nx,"Nevus, common"\ny\n', ['id', 'en']);
  assert.deepEqual(missing, []);
  assert.deepEqual(rows, [{ id: 'x', en: 'Nevus, common', line: 2 }, { id: 'y', en: '', line: 3 }]);
});

test('sortLabelledPaths: photos by their label folder; unknown folders, loose photos, empty labels and top-level CSVs listed', () => {
  const ids = ['melanoma', 'nevus', 'eczema'];
  const sorted = sortLabelledPaths(['nevus/b.JPG', 'nevus/a.jpg', 'melanoma/deep/c.png', 'acne/d.jpg', 'e.jpg', 'types.csv',
    'nevus/.hidden.jpg', 'nevus/notes.txt', '.DS_Store'], ids);
  assert.deepEqual(sorted.photos, [{ path: 'melanoma/deep/c.png', label: 0 }, { path: 'nevus/a.jpg', label: 1 }, { path: 'nevus/b.JPG', label: 1 }]);
  assert.deepEqual(sorted.counts, [1, 2, 0]);
  assert.deepEqual(sorted.unknownFolders, ['acne']);
  assert.deepEqual(sorted.loose, ['e.jpg']);
  assert.deepEqual(sorted.empty, ['eczema']);
  assert.deepEqual(sorted.tables, ['types.csv']);
});

test('underChosenFolder: the chosen folder is taken off, label folders dropped themselves are kept', () => {
  const ids = ['melanoma', 'nevus'];
  assert.deepEqual(underChosenFolder(['clinic/nevus/a.jpg', 'clinic/melanoma/b.jpg', 'clinic/types.csv'], ids),
    ['nevus/a.jpg', 'melanoma/b.jpg', 'types.csv']);
  assert.deepEqual(underChosenFolder(['/nevus/a.jpg', '/melanoma/b.jpg'], ids), ['nevus/a.jpg', 'melanoma/b.jpg']);
  assert.deepEqual(underChosenFolder(['/nevus/a.jpg', '/nevus/b.jpg'], ids), ['nevus/a.jpg', 'nevus/b.jpg']);
  assert.deepEqual(underChosenFolder(['a.jpg', 'b.jpg'], ids), ['a.jpg', 'b.jpg']);
});

test('pointingGame: the map\'s peak on the mask, its energy there, the mask sampled at the map\'s pixels', () => {
  // A 4 x 4 map peaking at (2, 1); a 2 x 2 mask whose top-right quarter is the lesion.
  const map = { width: 4, height: 4, data: [0, 0, 1, 0, 0, 0, 5, 1, 0, 0, 0, 0, 1, 0, 0, 0] };
  const mask = { width: 2, height: 2, data: [0, 1, 0, 0] };
  assert.deepEqual(pointingGame(map, mask), { hit: true, energy: 7 / 8, area: 0.25 });
  assert.deepEqual(pointingGame(map, { width: 2, height: 2, data: [0, 0, 1, 0] }), { hit: false, energy: 1 / 8, area: 0.25 });
  // Negative values (a signed map) add no energy.
  assert.equal(pointingGame({ width: 2, height: 1, data: [-3, 1] }, { width: 2, height: 1, data: [1, 0] }).energy, 0);
  assert.deepEqual(summarisePointing([{ hit: true, energy: 0.5, area: 0.1 }, { hit: false, energy: 0.1, area: 0.3 }]),
    { photos: 2, pointing: 0.5, energy: 0.3, area: 0.2 });
  assert.ok(Number.isNaN(summarisePointing([]).pointing));
  const card = cardMetrics(summariseAudit([row(0, 0)], 1), [{ id: 'a' }], [], { photos: 3, pointing: 2 / 3, energy: 0.5, area: 0.2 });
  assert.equal(card.pointingGame, 0.6667);
  assert.equal(card.maskPhotos, 3);
});

test('a dropped folder is read to its end: every file under it with its path, a folder reader emptied batch by batch', async () => {
  const { filesUnder } = await import('../../web/js/page/audit-actions.mjs');
  // FileSystemEntry as a browser gives it: a directory's reader hands out entries in batches, then an empty one.
  const file = (fullPath) => ({ isFile: true, fullPath, file: (done) => done({ name: fullPath.split('/').pop() }) });
  const folder = (fullPath, children, batch = 2) => ({ isFile: false, fullPath, createReader: () => {
    let at = 0;
    return { readEntries: (done) => {
      const next = children.slice(at, at + batch);
      at += batch;
      setTimeout(() => done(next));
    } };
  } });
  const dropped = folder('/clinic', [folder('/clinic/nevus', [file('/clinic/nevus/a.jpg'), file('/clinic/nevus/b.jpg'),
    file('/clinic/nevus/c.jpg')]), folder('/clinic/melanoma', [file('/clinic/melanoma/d.png')]), file('/clinic/types.csv')]);
  const files = await filesUnder(dropped);
  assert.deepEqual(files.map((f) => f.path).sort(), ['/clinic/melanoma/d.png', '/clinic/nevus/a.jpg', '/clinic/nevus/b.jpg',
    '/clinic/nevus/c.jpg', '/clinic/types.csv']);
  assert.equal(files.find((f) => f.path.endsWith('c.jpg')).file.name, 'c.jpg');
  // As the audit reads them: the chosen folder taken off, the photos by label, the table found.
  const sorted = sortLabelledPaths(underChosenFolder(files.map((f) => f.path), ['nevus', 'melanoma']), ['nevus', 'melanoma']);
  assert.deepEqual(sorted.counts, [3, 1]);
  assert.deepEqual(sorted.tables, ['types.csv']);
});
