#!/usr/bin/env node
// Renders the app icons from web/icons/icon.svg with Debian's Chromium (no image tools needed):
// icon-192.png and icon-512.png as drawn, and icon-maskable-512.png with the drawing scaled into the safe zone
// (the central 80% circle) on a full-bleed background, as Android's adaptive icons crop it. The PNGs are committed.
//   node scripts/make-icons.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ICONS = join(fileURLToPath(new URL('..', import.meta.url)), 'web/icons');
const svg = readFileSync(join(ICONS, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
const page = await browser.newPage();
const variants = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
];
for (const { file, size, maskable } of variants) {
  await page.setViewportSize({ width: size, height: size });
  const inner = maskable ? `<div style="position:absolute;inset:0;background:#8a3b12"></div>
    <div style="position:absolute;left:${size * 0.14}px;top:${size * 0.14}px;width:${size * 0.72}px;height:${size * 0.72}px">${svg}</div>`
    : `<div style="position:absolute;inset:0">${svg}</div>`;
  await page.setContent(`<html><body style="margin:0;background:transparent">${inner}</body></html>`);
  await page.evaluate(() => document.querySelectorAll('svg').forEach((s) => { s.setAttribute('width', '100%'); s.setAttribute('height', '100%'); }));
  await page.screenshot({ path: join(ICONS, file), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  console.log(`wrote web/icons/${file}`);
}
await browser.close();
