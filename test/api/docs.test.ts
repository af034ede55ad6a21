import { describe, expect, it } from 'vitest';
import { buildApi, type ModelsApi, type WebhooksApi } from '../../src/api/index.js';
import { ADMIN_KEY, auth, baseDeps, emptyAnomalies } from './stubs.js';

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
      'GET /docs',
      'GET /docs/openapi.json',
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
        'rootCauseService',
        'limit',
        'cursor',
      ]),
    );
    const item = list.responses['200'].content['application/json'].schema.properties.items.items;
    expect(item.required).toEqual(
      expect.arrayContaining(['traceId', 'score', 'rootCauses', 'id', 'detectedAt']),
    );
    expect(
      doc.paths['/v1/anomalies/{id}/feedback'].post.requestBody.content['application/json'].schema.properties
        .verdict.enum,
    ).toEqual(['true-positive', 'false-positive']);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/v1/score'].post.responses['403']).toBeDefined();

    const html = await app.inject({ url: '/docs' });
    expect(html.headers['content-type']).toMatch(/text\/html/);
    for (const e of expected) expect(html.body).toContain(e.split(' ')[1].replace(/\{(\w+)\}/g, ':$1'));
    await app.close();
  });

  it('leaves out route groups whose dependency is absent', async () => {
    const app = await buildApi(baseDeps());
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/docs',
      '/docs/openapi.json',
      '/healthz',
      '/metrics',
      '/readyz',
    ]);
    expect((await app.inject({ url: '/v1/anomalies', headers: auth(ADMIN_KEY) })).statusCode).toBe(404);
    await app.close();
  });
});
