import { describe, expect, it } from 'vitest';
import { buildApi, MetricsRegistry } from '../../src/api/index.js';
import { READ_KEY, auth, baseDeps, emptyAnomalies } from '../helpers/api-stubs.js';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format, labels sorted', async () => {
    const reg = new MetricsRegistry({ processMetrics: false });
    const c = reg.counter('th_traces_total', 'Traces scored', ['endpoint', 'model']);
    const g = reg.gauge('th_queue_depth', 'Jobs waiting');
    const h = reg.histogram('th_score_seconds', 'Scoring time', ['endpoint'], [0.1, 1]);
    c.inc({ model: 'm', endpoint: 'a:"x"\n' }, 2);
    c.inc({ endpoint: 'a:"x"\n', model: 'm' });
    h.observe({ endpoint: 'e' }, 0.05);
    h.observe({ endpoint: 'e' }, 0.5);
    h.observe({ endpoint: 'e' }, 3);
    let collected = 0;
    reg.onCollect(() => g.set({}, ++collected));
    const text = await reg.render();
    const lines = text.split('\n');
    for (const line of [
      '# HELP th_traces_total Traces scored',
      '# TYPE th_traces_total counter',
      'th_traces_total{endpoint="a:\\"x\\"\\n",model="m"} 3',
      '# TYPE th_queue_depth gauge',
      'th_queue_depth 1',
      '# TYPE th_score_seconds histogram',
      'th_score_seconds_bucket{le="0.1",endpoint="e"} 1',
      'th_score_seconds_bucket{le="1",endpoint="e"} 2',
      'th_score_seconds_bucket{le="+Inf",endpoint="e"} 3',
      'th_score_seconds_sum{endpoint="e"} 3.55',
      'th_score_seconds_count{endpoint="e"} 3',
    ])
      expect(lines).toContain(line);
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(() => c.inc({ nope: 'x' })).toThrow(/nope/);
    expect(() => c.inc({}, -1)).toThrow(/decrease/);
    expect(() => reg.counter('th_traces_total', 'again')).toThrow(/already been registered/);
    expect(() => reg.gauge('bad-name', 'x')).toThrow(/Invalid metric name/);
    // A second registry is independent: the same name registers again without a clash.
    expect(() =>
      new MetricsRegistry({ processMetrics: false }).counter('th_traces_total', 'x'),
    ).not.toThrow();
  });
});

describe('health, readiness, metrics routes', () => {
  it('readyz is 503 when Redis is down, the workers stopped or the check throws; not for want of a model', async () => {
    for (const [health, code] of [
      [async () => ({ redis: true, workers: true, models: true }), 200],
      [async () => ({ redis: true, workers: true, models: false }), 200],
      [async () => ({ redis: false, workers: true, models: true }), 503],
      [async () => ({ redis: true, workers: false, models: true }), 503],
      [async () => Promise.reject(new Error('ECONNREFUSED')), 503],
    ] as const) {
      const app = await buildApi(baseDeps({ health }));
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(code);
      expect(res.json().status).toBe(code === 200 ? 'ok' : 'unavailable');
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      await app.close();
    }
  });

  it('serves deps.metrics as Prometheus text and records request durations', async () => {
    const registry = new MetricsRegistry();
    const app = await buildApi(baseDeps({ anomalies: emptyAnomalies(), metrics: () => registry.render() }), {
      registry,
    });
    await app.inject({ url: '/v1/anomalies', headers: auth(READ_KEY) });
    await app.inject({ url: '/v1/anomalies' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain(
      'tracehound_http_request_duration_seconds_count{method="GET",route="/v1/anomalies",status="200"} 1',
    );
    expect(res.body).toContain(
      'tracehound_http_request_duration_seconds_count{method="GET",route="/v1/anomalies",status="401"} 1',
    );
    await app.close();
  });

  it('scrapes prom-client process metrics beside ours, one registry per app', async () => {
    const apps = [];
    for (let i = 0; i < 2; i++) {
      const registry = new MetricsRegistry();
      apps.push(
        await buildApi(baseDeps({ anomalies: emptyAnomalies(), metrics: () => registry.render() }), {
          registry,
        }),
      );
    }
    await apps[0].inject({ url: '/v1/anomalies', headers: auth(READ_KEY) });
    const [first, second] = await Promise.all(apps.map((a) => a.inject({ url: '/metrics' })));
    for (const res of [first, second]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/^process_cpu_user_seconds_total [0-9.e+-]+$/m);
      expect(res.body).toMatch(/^nodejs_eventloop_lag_seconds [0-9.e+-]+$/m);
      expect(res.body).toMatch(/^nodejs_heap_size_used_bytes [0-9.e+-]+$/m);
    }
    // Our histogram with its labels, counted only in the app that served the request.
    expect(first.body).toMatch(
      /^tracehound_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/anomalies",status="200"\} \d+$/m,
    );
    expect(first.body).toContain(
      'tracehound_http_request_duration_seconds_count{method="GET",route="/v1/anomalies",status="200"} 1',
    );
    expect(second.body).not.toContain('route="/v1/anomalies"');
    for (const a of apps) await a.close();
  });

  it('answers unknown routes and bad JSON with the error shape', async () => {
    const app = await buildApi(baseDeps({ anomalies: emptyAnomalies(), apiKeys: new Map() }));
    const nf = await app.inject({ url: '/v2/nothing' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /v2/nothing' } });
    const bad = await app.inject({
      method: 'POST',
      url: `/v1/anomalies/${'a'.repeat(32)}/feedback`,
      headers: { 'content-type': 'application/json' },
      payload: '{"verdict":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const big = await app.inject({
      method: 'POST',
      url: `/v1/anomalies/${'a'.repeat(32)}/feedback`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ verdict: 'true-positive', note: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload_too_large');
    await app.close();
  });
});
