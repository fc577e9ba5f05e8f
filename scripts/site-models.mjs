// The models a site is built with: `--model DIR` (repeatable) or the DERMCAM_MODELS setting (folders separated by
// commas or spaces; render.yaml and the Pages workflow set it), the demo when neither is given. The first is the
// site's default; with several, the page offers a picker. Each folder is checked here as the app will read it (its
// model.json validated, the .onnx it names present), so a broken model fails the build, not a patient's visit.
// What the page reads is generated/models.json: {schema, models: [{id, path, name, version}]} (web/js/site-models.mjs).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CARD_TO_WRITE, parseModelJson, unwrittenCardFields, validateModelConfig } from '../web/js/model-config.mjs';
import { SITE_MODELS_SCHEMA, MAX_SITE_MODELS, SITE_MODEL_ID } from '../web/js/site-models.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The model folders asked for: every `--model DIR` in `args`, else DERMCAM_MODELS, else models/demo. */
export function requestedModelDirs(args = process.argv.slice(2), env = process.env) {
  const given = args.flatMap((arg, i) => (arg === '--model' ? [args[i + 1]] : arg.startsWith('--model=') ? [arg.slice(8)] : []));
  if (given.some((dir) => !dir || dir.startsWith('--'))) throw new Error('--model needs a folder: --model models/NAME');
  const fromEnv = (env.DERMCAM_MODELS ?? '').split(/[\s,]+/).filter(Boolean);
  const dirs = given.length ? given : fromEnv.length ? fromEnv : ['models/demo'];
  return dirs.map((dir) => resolve(ROOT, dir));
}

/**
 * Each folder checked and described: [{id, dir, path, name, version, file}]. Throws an Error whose message says
 * which folder and what is wrong.
 * @param {string[]} dirs  absolute folders
 */
export function siteModels(dirs) {
  if (dirs.length > MAX_SITE_MODELS) throw new Error(`A site serves at most ${MAX_SITE_MODELS} models (${dirs.length} given).`);
  const seen = new Set();
  return dirs.map((dir) => {
    const id = basename(dir);
    const where = `Model folder ${dir}`;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${where} does not exist.`);
    if (!SITE_MODEL_ID.test(id)) throw new Error(`${where}: its name becomes the model's address; use letters, digits, '.', '_' or '-'.`);
    if (seen.has(id)) throw new Error(`${where}: another model folder is also named '${id}'; each needs its own name.`);
    seen.add(id);
    const description = join(dir, 'model.json');
    if (!existsSync(description)) throw new Error(`${where} has no model.json (the model's description; see models/README.md).`);
    let config;
    try {
      config = validateModelConfig(parseModelJson(readFileSync(description)), { gate: false });
    } catch (error) {
      throw new Error(`${where}: ${error.message}`, { cause: error });
    }
    if (!existsSync(join(dir, config.model))) throw new Error(`${where}: model.json names ${config.model}, which is not in the folder.`);
    const unwritten = unwrittenCardFields(config.card);
    if (unwritten.length) {
      throw new Error(`${where}: the model card is not written yet (${unwritten.join(', ')} still say "${CARD_TO_WRITE.en}" or ` +
        `"${CARD_TO_WRITE.vi}"); write them in model.json before serving the model to patients.`);
    }
    return { id, dir, path: `models/${id}/`, name: config.name, version: config.version ?? '', file: config.model };
  });
}

/** generated/models.json's text for these models. */
export function siteModelsJson(models) {
  const list = models.map(({ id, path, name, version }) => ({ id, path, name, version }));
  return `${JSON.stringify({ schema: SITE_MODELS_SCHEMA, models: list }, null, 1)}\n`;
}
