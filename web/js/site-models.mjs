// @ts-check
// The models this site was built with (scripts/site-models.mjs writes generated/models.json): their ids, folders,
// names and versions, the first the default. The page reads the list before loading a model and checks it as
// data, like anything read from a file: a list it cannot trust is refused with a clear error, not half used.
import { DermcamError } from './errors.mjs';
import { MAX_TEXT } from './budgets.mjs';
import { unsafeText } from './safe-text.mjs';

export const SITE_MODELS_SCHEMA = 'dermcam-site-models/1';
export const MAX_SITE_MODELS = 20;
/** A model's id is its folder's name, and part of its address. */
export const SITE_MODEL_ID = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** @typedef {{id: string, path: string, name: {en: string, vi: string}, version: string}} SiteModel */

/**
 * generated/models.json's value, checked: at least one model, each with an id, the folder `models/<id>/`, a name
 * in both languages and a version (possibly empty), all safe text (web/js/safe-text.mjs).
 * @returns {SiteModel[]}
 */
export function readSiteModels(json) {
  const fail = (why) => {
    throw new DermcamError('bad_model_config', `generated/models.json (the site's list of models) ${why}.`);
  };
  if (json?.schema !== SITE_MODELS_SCHEMA) fail(`is not a "${SITE_MODELS_SCHEMA}" list`);
  const { models } = json;
  if (!Array.isArray(models) || models.length < 1 || models.length > MAX_SITE_MODELS) fail(`must list 1 to ${MAX_SITE_MODELS} models`);
  const ids = new Set();
  return models.map((model, i) => {
    const { id, path, name, version } = model ?? {};
    if (typeof id !== 'string' || !SITE_MODEL_ID.test(id) || ids.has(id)) fail(`has a missing, malformed or repeated id at entry ${i + 1}`);
    ids.add(id);
    if (path !== `models/${id}/`) fail(`names the folder of '${id}' as something other than models/${id}/`);
    if (unsafeText(name?.en, MAX_TEXT.label) || unsafeText(name?.vi, MAX_TEXT.label)) fail(`has no safe name in both languages for '${id}'`);
    if (version !== '' && unsafeText(version, MAX_TEXT.id)) fail(`has an unsafe version for '${id}'`);
    return { id, path, name: { en: name.en, vi: name.vi }, version };
  });
}
