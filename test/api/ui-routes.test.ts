import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/index.js';
import { ADMIN_KEY, READ_KEY, auth, baseDeps } from '../helpers/api-stubs.js';

const dir = mkdtempSync(join(tmpdir(), 'tracehound-ui-routes-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web UI routes', () => {
  it('serves the page and its assets without a key, and nothing outside the assets folder', async () => {
    const app = await buildApi(baseDeps(), { uiDir: dir });
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const js = await app.inject({ url: '/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject({ url: '/assets/nothing.js' })).statusCode).toBe(404);
    const up = await app.inject({ url: '/assets/..%2Findex.html' });
    expect(up.statusCode).toBe(400);
    expect(up.json().error.message).toMatch(/path parameter file: expected a file name/);
    await app.close();
  });

  it('says how to build the UI when it is not built', async () => {
    const app = await buildApi(baseDeps(), { uiDir: join(dir, 'missing') });
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toMatch(/web UI not built .*npm run build/);
    await app.close();
  });
});

describe('GET /v1/whoami', () => {
  it("tells the key's role, and no role for a missing or unknown key", async () => {
    const app = await buildApi(baseDeps(), { uiDir: false });
    const who = async (headers = {}) => (await app.inject({ url: '/v1/whoami', headers })).json();
    expect(await who()).toEqual({ auth: true });
    expect(await who(auth('not-a-key-at-all'))).toEqual({ auth: true });
    expect(await who(auth(READ_KEY))).toEqual({ auth: true, role: 'read' });
    expect(await who(auth(ADMIN_KEY))).toEqual({ auth: true, role: 'admin' });
    await app.close();
  });

  it('says admin when auth is off', async () => {
    const app = await buildApi(baseDeps({ apiKeys: new Map() }), { uiDir: false });
    expect((await app.inject({ url: '/v1/whoami' })).json()).toEqual({ auth: false, role: 'admin' });
    await app.close();
  });
});
