// The response headers a deployed dermcam sends, read from render.yaml (the one place they are written), so the
// development server, the tests and the Render blueprint cannot drift apart. Render's path rules: "/*" is every
// path, "/assets/*" a prefix, "/*.wasm" a suffix; every rule that matches adds its header, later ones win.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** render.yaml's static site: {buildCommand, staticPublishPath, rules: [{pattern, name, value}]}. */
export function renderSite(path = join(ROOT, 'render.yaml')) {
  const blueprint = parse(readFileSync(path, 'utf8'));
  const site = blueprint.services.find((s) => s.runtime === 'static');
  if (!site) throw new Error(`${path} has no static site`);
  const rules = (site.headers ?? []).map(({ path: glob, name, value }) => ({
    pattern: new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`),
    name,
    value: String(value),
  }));
  // The build's settings (DERMCAM_MODELS: the models the site serves), as Render sets them for the buildCommand.
  const env = Object.fromEntries((site.envVars ?? []).map(({ key, value }) => [key, String(value)]));
  return { buildCommand: site.buildCommand, staticPublishPath: site.staticPublishPath, env, rules };
}

/** The headers for one URL path, as Render sends them. */
export function headersFor(rules, urlPath) {
  const headers = {};
  for (const rule of rules) if (rule.pattern.test(urlPath)) headers[rule.name] = rule.value;
  return headers;
}
