import { describe, expect, it } from 'vitest';
import { buildApi, type ModelsApi, type WebhooksApi } from '../../src/api/index.js';
import { ADMIN_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';

const models: ModelsApi = {
  list: async () => [],
  retrain: async () => ({ jobId: 'j1' }),
  activate: async () => false,
};
const webhooks: WebhooksApi = {
  list: async () => [],
  create: async () => {
    throw new Error('unused');
  },
  delete: async () => false,
  test: async () => undefined,
  deliveries: async () => undefined,
};

describe('OpenAPI', () => {
  it('documents every registered route, and only those', async () => {
    const app = await buildApi(
      baseDeps({
        anomalies: emptyAnomalies(),
        score: async () => ({ items: [], skipped: 0, warnings: [] }),
        models,
        webhooks,
      }),
    );
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    // Every route of the issue is registered and documented, and the document holds nothing else.
    const registered: string[] = [];
    const expected = [
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /docs/openapi.json',
      'GET /',
      'GET /assets/{file}',
      'GET /v1/whoami',
      'GET /v1/anomalies',
      'GET /v1/anomalies/{id}',
      'POST /v1/anomalies/{id}/feedback',
      'POST /v1/score',
      'GET /v1/services',
      'GET /v1/endpoints',
      'GET /v1/models',
      'POST /v1/models/retrain',
      'POST /v1/models/{endpoint}/activate',
      'GET /v1/webhooks',
      'POST /v1/webhooks',
      'DELETE /v1/webhooks/{id}',
      'POST /v1/webhooks/{id}/test',
      'GET /v1/webhooks/{id}/deliveries',
    ];
    for (const e of expected) {
      const [m, p] = e.split(' ');
      registered.push(e);
      expect(app.hasRoute({ method: m as 'GET', url: p.replace(/\{(\w+)\}/g, ':$1') }), e).toBe(true);
    }
    expect(documented).toEqual(registered.sort());

    const list = doc.paths['/v1/anomalies'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'order',
        'service',
        'operation',
        'endpoint',
        'from',
        'to',
        'minScore',
        'minSurprise',
        'rootCauseService',
        'limit',
        'cursor',
      ]),
    );
    const item = list.responses['200'].content['application/json'].schema.properties.items.items;
    expect(item.required).toEqual(
      expect.arrayContaining(['traceId', 'score', 'rootCauses', 'id', 'detectedAt']),
    );
    // The ranking fields are documented with what they mean.
    expect(item.properties.surprise.description).toMatch(/-log10/);
    expect(Object.keys(item.properties.impact.properties).sort()).toEqual(['addedMs', 'errors']);
    expect(list.parameters.find((p: { name: string }) => p.name === 'order').description).toMatch(
      /false positive/,
    );
    expect(
      doc.paths['/v1/anomalies/{id}/feedback'].post.requestBody.content['application/json'].schema.properties
        .verdict.enum,
    ).toEqual(['true-positive', 'false-positive']);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/v1/score'].post.responses['403']).toBeDefined();

    // The interactive UI shows this same document.
    const shown = await app.inject({ url: '/docs/json' });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(doc);
    await app.close();
  });

  it('leaves out route groups whose dependency is absent', async () => {
    const app = await buildApi(baseDeps());
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/',
      '/assets/{file}',
      '/docs/openapi.json',
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/whoami',
    ]);
    expect((await app.inject({ url: '/v1/anomalies', headers: auth(ADMIN_KEY) })).statusCode).toBe(404);
    await app.close();
  });

  it.each(['/docs', '/docs/'])(
    'serves Swagger UI at %s with no key, every asset from the service itself',
    async (url) => {
      const app = await buildApi(baseDeps({ anomalies: emptyAnomalies() }));
      const page = await app.inject({ url });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('<div id="swagger-ui">');
      // Offline: nothing is fetched from another host.
      expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
      const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(
        (m) => new URL(m[1], `http://tracehound${url}`).pathname,
      );
      expect(assets).toEqual(
        expect.arrayContaining([
          '/docs/static/swagger-ui.css',
          '/docs/static/swagger-ui-bundle.js',
          '/docs/static/swagger-ui-standalone-preset.js',
          '/docs/static/swagger-initializer.js',
        ]),
      );
      for (const a of assets) {
        const res = await app.inject({ url: a });
        expect(res.statusCode, a).toBe(200);
        expect(res.body.length, a).toBeGreaterThan(100);
      }
      // The initializer points the UI at the document beside it (./json), and the validator is off.
      const init = (await app.inject({ url: '/docs/static/swagger-initializer.js' })).body;
      expect(init).toContain("resolveUrl('./json')");
      expect(init).toContain('validatorUrl: null');
      // The API itself still wants a key, and the docs routes are not rate limited.
      expect((await app.inject({ url: '/v1/anomalies' })).statusCode).toBe(401);
      await app.close();
    },
  );
});
