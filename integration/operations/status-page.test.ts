// The status page (issue 13, item 7): /_powerstore/ behind the admin
// credential, loaded in headless Chromium; it shows every node, a node going
// down within seconds, and plots of the gateway's own samples. The
// screenshot is kept as a test artifact (test-artifacts/status-page.png).

import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { startTestCluster, TEST_ADMIN_TOKEN, type TestCluster } from '../harness/cluster.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const ARTIFACTS = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../test-artifacts');

describe('the status page', () => {
  let tc: TestCluster;
  let browser: Browser;
  before(async () => {
    tc = await startTestCluster({ usageIntervalS: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'status-page' }));
    for (let i = 0; i < 5; i++) await tc.s3.send(new PutObjectCommand({ Bucket: 'status-page', Key: `k${i}`, Body: Buffer.alloc(20_000, i) }));
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    await tc?.dispose();
  });

  it('needs the admin credential: 401 with a Basic challenge, and a wrong password is refused', { timeout: 30_000 }, async () => {
    const anon = await fetch(`${tc.cluster.endpoint}/_powerstore/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="powerstore-admin"/);
    const wrong = await fetch(`${tc.cluster.endpoint}/_powerstore/status.json`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${tc.cluster.endpoint}/_powerstore/status.json`, { headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_ADMIN_TOKEN}`).toString('base64')}` } });
    assert.equal(right.status, 200);
    const s = (await right.json()) as { nodes: unknown[]; samples: unknown[] };
    assert.equal(s.nodes.length, 4);
  });

  it('loads in Chromium, shows the nodes and plots, and a node going down within seconds', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: TEST_ADMIN_TOKEN }, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(`${tc.cluster.endpoint}/_powerstore/`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector('#nodes tbody tr[data-node="3"]', { timeout: 20_000 });
    assert.equal(await page.locator('#nodes tbody tr').count(), 4);
    assert.equal(await page.locator('#nodes tbody td.up').count(), 4);
    assert.equal(await page.locator('#verdict').textContent(), 'ok');
    assert.equal(await page.locator('.plot svg').count(), 7);
    // The plots draw the gateway's samples (one a second after start, then every 10 s): wait for a line.
    await page.locator('.plot path[d*="L"]').first().waitFor({ timeout: 30_000 });
    assert.match((await page.locator('.plot', { hasText: 'nodes up' }).textContent()) ?? '', /now 4/);

    const killedAt = Date.now();
    await tc.cluster.killNode(2);
    await page.waitForSelector('#nodes tbody tr[data-node="2"] td.down', { timeout: 15_000 });
    const seconds = (Date.now() - killedAt) / 1000;
    assert.ok(seconds < 15, `shown down after ${seconds} s`);
    assert.equal(await page.locator('#verdict').textContent(), 'degraded');
    assert.match((await page.locator('#sub').textContent()) ?? '', /^3 of 4 storage nodes answer/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await context.close();
  });
});
