// Plays the static host: a fresh clone owned by a non-root user, a PATH with only node, npm, git, python3 and
// core utilities (no cmake, emcc, clang, gcc, apt, sudo), runs exactly render.yaml's buildCommand, serves its
// staticPublishPath with exactly render.yaml's headers, and runs the app's smoke test (a photo analysed, no CSP
// violation, cross-origin isolated, threads on). Then the same dist/ as GitHub Pages serves it: under /dermcam/
// with no headers at all, where the app's service worker makes the page cross-origin isolated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { parse } from 'yaml';

import { renderSite } from '../../scripts/host-headers.mjs';
import { startServer } from '../../scripts/serve.mjs';
import { FIXTURES, ROOT } from '../js/helpers.mjs';
import { ARTIFACTS, CHROMIUM_ARGS } from './browser.mjs';

const HOST_USER = 'dermcam-host';
// What a static host's build image has besides node, npm, git and python3: a shell and core utilities.
const CORE_UTILITIES = ['bash', 'sh', 'env', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'ls', 'ln', 'chmod', 'touch',
  'echo', 'printf', 'test', 'true', 'false', 'sed', 'grep', 'head', 'tail', 'sort', 'uniq', 'tr', 'wc', 'cut',
  'dirname', 'basename', 'readlink', 'realpath', 'uname', 'id', 'whoami', 'date', 'sleep', 'find', 'xargs', 'tar',
  'gzip'];
const COMPILERS_AND_ROOT_TOOLS = ['cmake', 'emcc', 'em++', 'clang', 'gcc', 'g++', 'cc', 'make', 'apt', 'apt-get', 'sudo',
  'dpkg'];

let work;
let site;
let browser;
const servers = [];

function which(tool) {
  return execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'dermcam-host-'));
  chmodSync(work, 0o755);
  const clone = join(work, 'clone');
  execFileSync('git', ['clone', '--quiet', ROOT, clone]);
  const home = join(work, 'home');
  mkdirSync(home);
  // The npm cache of the machine running the tests, so the host's `npm ci` does not download 100 MB again.
  const cache = join(homedir(), '.npm/_cacache');
  if (existsSync(cache)) cpSync(cache, join(home, '.npm/_cacache'), { recursive: true });
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx', 'git', ...CORE_UTILITIES]) symlinkSync(which(tool), join(bin, tool));
  symlinkSync('/usr/bin/python3', join(bin, 'python3'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    if (spawnSync('id', ['-u', HOST_USER]).status !== 0) execFileSync('useradd', ['--system', '--shell', '/bin/bash', HOST_USER]);
    execFileSync('chown', ['-R', `${HOST_USER}:`, clone, home]);
  }
  const env = ['env', '-i', `PATH=${bin}`, `HOME=${home}`, 'npm_config_prefer_offline=true', 'npm_config_update_notifier=false'];
  const run = (command) => spawnSync(asRoot ? 'runuser' : env[0], asRoot ? ['-u', HOST_USER, '--', ...env, 'bash', '-c', command]
    : [...env.slice(1), 'bash', '-c', command], { cwd: clone, encoding: 'utf8', timeout: 600_000 });

  for (const tool of COMPILERS_AND_ROOT_TOOLS) assert.notEqual(run(`command -v ${tool}`).status, 0, `${tool} is on the host's PATH`);
  if (asRoot) assert.notEqual(run('id -u').stdout.trim(), '0', 'the build must not run as root');
  const { buildCommand, staticPublishPath, env: settings } = renderSite(join(clone, 'render.yaml'));
  const build = run(`${Object.entries(settings).map(([key, value]) => `export ${key}='${value}'; `).join('')}${buildCommand}`);
  assert.equal(build.status, 0, `render.yaml's buildCommand failed as the host runs it:\n${build.stdout}\n${build.stderr}`);
  site = { root: join(clone, staticPublishPath), blueprint: join(clone, 'render.yaml') };
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  mkdirSync(ARTIFACTS, { recursive: true });
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  for (const server of servers) await new Promise((done) => server.close(done));
  if (work) rmSync(work, { recursive: true, force: true });
});

async function serve(options) {
  const server = await startServer({ port: 0, ...options });
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}${options.base ?? '/'}`;
}

async function open(page, url) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  return errors;
}

async function smoke(page, url, screenshot, errors) {
  errors ??= await open(page, url);
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'lesion.jpg'));
  await page.click('[data-testid="analyse-region"]');  // the framing square's default: the centre
  await page.waitForSelector('[data-testid="finding"] strong', { timeout: 120_000 });
  assert.equal(await page.isHidden('[data-testid="error"]'), true, await page.textContent('[data-testid="error"]'));
  await page.click('[data-testid="diagnostics"] summary');
  await page.waitForFunction(() => document.querySelector('[data-testid="diagnostics"]').dataset.modelRuns !== undefined);
  await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(errors, []);
  return page.textContent('[data-testid="diagnostics"]');
}

test('Render: built as the host builds it, served with render.yaml\'s headers, the app works isolated with threads',
  { timeout: 300_000 }, async () => {
    const url = await serve({ root: site.root, blueprint: site.blueprint });
    const response = await fetch(url);
    assert.equal(response.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(response.headers.get('content-security-policy'), /default-src 'self'/);
    const context = await browser.newContext();
    const page = await context.newPage();
    const diagnostics = await smoke(page, url, 'deploy-render.png');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.match(diagnostics, /Threads\s*2/);
    assert.match(diagnostics, /Cross-origin isolated\s*yes, by the server's headers/);
    await context.close();
    // Installable: Chromium's own check of the manifest, icons and service worker finds nothing missing (in a
    // normal profile: Playwright's contexts are incognito, where Chromium never offers installation).
    const profile = mkdtempSync(join(tmpdir(), 'dermcam-profile-'));
    const persistent = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    const installPage = await persistent.newPage();
    await installPage.goto(url);
    await installPage.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await persistent.newCDPSession(installPage);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, []);
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.display, 'standalone');
    for (const [sizes, purpose] of [['192x192', 'any'], ['512x512', 'any'], ['512x512', 'maskable']]) {
      const icon = parsed.icons.find((i) => i.sizes === sizes && i.purpose === purpose);
      assert.ok(icon, `no ${sizes} ${purpose} icon`);
      const png = await fetch(new URL(icon.src, url));
      assert.equal(png.headers.get('content-type'), 'image/png');
    }
    await persistent.close();
    rmSync(profile, { recursive: true, force: true });
  });

test('GitHub Pages: under /dermcam/ with no headers, the service worker makes the page isolated and the app works',
  { timeout: 300_000 }, async () => {
    const url = await serve({ root: site.root, base: '/dermcam/', plain: true });
    const response = await fetch(url);
    assert.equal(response.headers.get('cross-origin-embedder-policy'), null, 'the Pages stand-in must send no isolation headers');
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests = [];
    page.on('request', (request) => requests.push(request.url()));
    let loads = 0;
    page.on('load', () => { loads += 1; });
    const errors = await open(page, url);
    // First visit: not isolated; once the service worker controls the page, it reloads itself once.
    for (let waited = 0; loads < 2 && waited < 60_000; waited += 100) await new Promise((done) => setTimeout(done, 100));
    assert.equal(loads, 2, 'the page did not reload itself under its service worker');
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller.scriptURL), `${url}sw.js`);
    const diagnostics = await smoke(page, url, 'deploy-pages.png', errors);
    assert.match(diagnostics, /Threads\s*2/);
    assert.match(diagnostics, /Cross-origin isolated\s*yes, by the app's service worker/);
    assert.deepEqual(requests.filter((r) => !r.startsWith(url) && !r.startsWith('blob:') && !r.startsWith('data:')), [],
      'every request stays under the sub-path');
    // A second visit in a new session is isolated from the start: no reload.
    const second = await context.newPage();
    await second.goto(url);
    assert.equal(await second.evaluate(() => self.crossOriginIsolated), true);
    await context.close();
  });

test('the GitHub Pages workflow builds exactly as render.yaml does and publishes dist/', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/pages.yml'), 'utf8'));
  const steps = workflow.jobs.build.steps;
  const { buildCommand, staticPublishPath, env } = renderSite();
  const build = steps.find((s) => s.run === buildCommand);
  assert.ok(build, `no build step runs '${buildCommand}'`);
  assert.deepEqual(build.env, env, 'the workflow builds with the same settings (DERMCAM_MODELS) as render.yaml');
  assert.ok(env.DERMCAM_MODELS, 'render.yaml names the models the site serves');
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-pages-artifact@'));
  assert.equal(upload?.with?.path, staticPublishPath);
  assert.ok(workflow.jobs.deploy.steps.some((s) => s.uses?.startsWith('actions/deploy-pages@')));
  assert.equal(workflow.permissions.pages, 'write');
  assert.equal(workflow.permissions['id-token'], 'write');
});
