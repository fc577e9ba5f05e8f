import { openBrowser, analysePhoto } from './tests/e2e/browser.mjs';
const F = 'tests/fixtures/images/';
const { baseUrl, browser, close } = await openBrowser();
const cases = [['lesion', 'lesion.jpg', 'result'], ['notskin', 'portrait.jpg', 'refusal'], ['blurry', 'lesion_blurry.jpg', 'refusal'],
  ['glare', 'lesion_glare.jpg', 'refusal'], ['broken', 'not_image.pdf.jpg', 'error']];
for (const lang of ['vi', 'en']) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: lang === 'vi' ? 'vi-VN' : 'en-US' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(baseUrl);
  await page.waitForFunction(() => /ready|sẵn sàng/i.test(document.querySelector('[data-testid="status"]').textContent), null, { timeout: 60000 });
  for (const [name, file, card] of cases) {
    await analysePhoto(page, F + file, async () => {});
    await page.locator(`[data-testid="${card}"]`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: `/tmp/shots/${name}-${lang}.png` });
    if (card === 'result' || card === 'refusal') {
      const btn = card === 'result' ? 'new-photo' : null;
      if (btn) await page.click(`[data-testid="${btn}"]`);
    }
  }
  console.log(lang, errors);
  await context.close();
}
await close();
