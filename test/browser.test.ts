// In a browser, as a person would: Debian's chromium driven by playwright-core. The demo page loads
// the built package as plain ES modules, runs the policy lab with the picked policy and capacity and
// shows the offload ratio; a click on "Link down" must make MediaDisconnect terminations appear with
// no error in the console. The table also runs in a Web Worker, and the package bundles with
// esbuild. .ci/run installs chromium; without it (a developer machine) the browser tests are
// registered with uvu's test.skip, so they count as Skipped (not passed) and the file prints
// "skipped: N browser tests (no /usr/bin/chromium ...)"; the bundle test still runs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
// @ts-expect-error: a plain ES module script without types
import { serve } from '../scripts/serve.mjs';

/** Debian's chromium; CHROMIUM_PATH points elsewhere (a missing path shows the skip). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = new URL('../test-results/', import.meta.url);
const test = suite<{ browser?: Browser; server?: { url: string; close(): void } }>('browser');

const available = existsSync(CHROMIUM);
const skipped: string[] = [];
/** `test` when chromium is there; otherwise test.skip, so uvu counts the test as skipped, not passed. */
const browserTest: typeof test = available ? test : Object.assign((name: string) => void (skipped.push(name), test.skip(name)), test);

{
  if (available)
    test.before(async (ctx) => {
      ctx.server = await serve(0);
      ctx.browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
      mkdirSync(SHOTS, { recursive: true });
    });
  if (available)
    test.after(async (ctx) => {
      await ctx.browser?.close();
      ctx.server?.close();
    });

  /** A new page that records console errors and uncaught exceptions. */
  async function page(ctx: { browser?: Browser }): Promise<{ page: Page; errors: string[] }> {
    const p = await ctx.browser!.newPage({ viewport: { width: 1100, height: 1300 } });
    const errors: string[] = [];
    p.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    p.on('pageerror', (e) => void errors.push(String(e)));
    return { page: p, errors };
  }

  browserTest(
    'the demo runs the picked policy and capacity, shows the offload ratio, and a link going down shows MediaDisconnect terminations',
    async (ctx) => {
      const { page: p, errors } = await page(ctx);
      await p.goto(`${ctx.server!.url}demo/`);
      assert.equal(await p.locator('#policy option').allTextContents(), ['eager', 'threshold', 'rebalance']);
      await p.selectOption('#policy', 'rebalance');
      await p.selectOption('#capacity', '500');
      await p.click('#run');
      const alive = () => Number((document.getElementById('status')!.textContent ?? '').match(/· ([\d,]+) connections alive/)?.[1]?.replace(/,/g, ''));
      await p.waitForFunction(`(${alive.toString()})() > 500`, undefined, { timeout: 60_000 });
      assert.match((await p.textContent('#status')) ?? '', /offloaded of 500/);
      assert.match((await p.textContent('#ratio')) ?? '', /^\d+\.\d%$/);
      assert.ok(await p.isDisabled('#policy'), 'the pickers are locked while it runs');
      assert.is(await p.textContent('#reason-MediaDisconnect'), '0');
      await p.selectOption('#if', '1');
      await p.click('#link-down');
      await p.waitForFunction(() => Number((document.getElementById('reason-MediaDisconnect')!.textContent ?? '0').replace(/,/g, '')) > 0, undefined, {
        timeout: 30_000,
      });
      await p.click('#link-up');
      await p.click('#burst');
      await p.waitForTimeout(1500);
      assert.ok((await p.locator('#charts svg').count()) === 4, 'four live charts');
      await p.screenshot({ path: new URL('demo.png', SHOTS).pathname, fullPage: true });
      assert.equal(errors, []);
      await p.close();
    },
  );

  browserTest('the table runs inside a module Web Worker', async (ctx) => {
    const { page: p, errors } = await page(ctx);
    await p.goto(`${ctx.server!.url}demo/worker.html`);
    await p.waitForFunction(() => document.getElementById('result')!.textContent !== 'running…', undefined, { timeout: 30_000 });
    assert.is(await p.textContent('#result'), 'terminated 1002 objects in post-order; 0 connections left');
    assert.equal(errors, []);
    await p.close();
  });
}
if (skipped.length) {
  console.log(`\nskipped: ${skipped.length} browser tests (no ${CHROMIUM}; apt-get install chromium, as .ci/run does)`);
}

test('the package bundles with esbuild, and the bundle runs', async () => {
  // A consumer's project: chimney-host installed in its node_modules (a link to this package).
  const dir = mkdtempSync(join(tmpdir(), 'chimney-bundle-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(new URL('..', import.meta.url).pathname, join(dir, 'node_modules', 'chimney-host'), 'dir');
  const entry = join(dir, 'entry.js');
  writeFileSync(
    entry,
    `import { OffloadTable, Reason } from 'chimney-host';
const t = OffloadTable.createSync();
const n = t.offloadNeighbor({ ifIndex: 1, address: '10.0.0.1' });
const p = t.offloadPath({ source: '10.0.0.2', destination: '10.0.0.3' }, n);
t.completeOffload([n, p]);
console.log(String(t.terminate([n], Reason.Pause).length));\n`,
  );
  const out = join(dir, 'bundle.js');
  await build({ entryPoints: [entry], absWorkingDir: dir, bundle: true, format: 'esm', platform: 'browser', outfile: out, logLevel: 'silent' });
  assert.is(execFileSync(process.execPath, [out], { encoding: 'utf8' }).trim(), '2');
});

test.run();
