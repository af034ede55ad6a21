import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTraceFiles } from '../../src/formats/read.js';
import type { Trace } from '../../src/trace/trace.js';

/**
 * Upstream's recorded Zipkin payloads (../shared/specs/zipkin, see its README notes 8 and 9), when present.
 * Every expected number below was counted in the JSON files themselves (records, distinct ids, records
 * with `shared`, without `localEndpoint.serviceName`, without timestamp/duration), not taken from our output.
 */
const ROOT = '/work/shared/specs/zipkin';
const present = existsSync(ROOT);

async function read(file: string) {
  const traces: Trace[] = [];
  const report = await readTraceFiles([`${ROOT}/${file}`], { clockSkew: false }, (t) => traces.push(t));
  return { traces, report };
}

describe.skipIf(!present)('recorded Zipkin payloads', () => {
  // [file, records, distinct span ids] - one trace each; records = spans when no id is repeated.
  const v2: Array<[string, number, number]> = [
    ['v2-json/ascend.json', 8, 6],
    ['v2-json/envoy.json', 1, 1],
    ['v2-json/messaging-kafka.json', 28, 28],
    ['v2-json/messaging.json', 4, 4],
    ['v2-json/messaging2.json', 11, 11],
    ['v2-json/simple-db-p6.json', 5, 5],
    ['v2-json/skew.json', 4, 3],
    ['v2-json/yelp.json', 16, 13],
    ['v2-json/smartthings-oauth-authorization.json', 175, 130],
    ['v2-json/smartthings-mobile-web-install.json', 1041, 663],
    ['v2-json/single-span/zipkin2-client.json', 1, 1],
    ['v2-json/single-span/zipkin2-chinese.json', 1, 1],
  ];
  for (const [file, records, ids] of v2) {
    it(`${file}: one zipkin-v2 trace, nothing skipped, between ${ids} and ${records} spans`, async () => {
      const { traces, report } = await read(file);
      expect(report.format).toBe('zipkin-v2');
      expect(report.skipped).toBe(0);
      expect(traces).toHaveLength(1);
      // Shared halves stay two spans; only records that are pieces of one span may merge.
      expect(traces[0].spans.length).toBeGreaterThanOrEqual(ids);
      expect(traces[0].spans.length).toBeLessThanOrEqual(records);
      expect(new Set(traces[0].spans.map((s) => s.spanId)).size).toBe(traces[0].spans.length);
    });
  }

  it('files without repeated ids keep every record as a span', async () => {
    for (const [file, records, ids] of v2) {
      if (records !== ids) continue;
      const { traces } = await read(file);
      expect(traces[0].spans.length, file).toBe(records);
    }
  });

  it('skew.json: the shared server span 74280ae0c10d8062 becomes the child of its client half', async () => {
    const { traces } = await read('v2-json/skew.json');
    const t = traces[0];
    // 4 records, one id used by a CLIENT (servicea) and a shared SERVER (serviceb) record.
    expect(t.spans).toHaveLength(4);
    const client = t.spans.findIndex((s) => s.spanId === '74280ae0c10d8062');
    expect(t.spans[client]).toMatchObject({ kind: 'client', service: 'servicea' });
    const server = t.spans.findIndex((s) => s.kind === 'server' && s.service === 'serviceb');
    expect(t.parent[server]).toBe(client);
    // The 'async' local span of serviceb (parent 74280ae0c10d8062) moves under serviceb's half.
    const local = t.spans.findIndex((s) => s.operation === 'async');
    expect(t.parent[local]).toBe(server);
    expect(t.spans[t.root]).toMatchObject({ service: 'servicea', operation: 'get' });
  });

  it('envoy.json: no localEndpoint.serviceName gives service unknown and a warning', async () => {
    const { traces, report } = await read('v2-json/envoy.json');
    expect(traces[0].spans[0].service).toBe('unknown');
    expect(traces[0].spans[0].instance).toBe('169.254.65.45');
    expect(report.warnings.join('\n')).toContain('localEndpoint.serviceName');
  });

  it('messaging.json: 32-character trace id, producer and consumer kinds', async () => {
    const { traces } = await read('v2-json/messaging.json');
    expect(traces[0].traceId).toBe('5aab74dbb904746bb33447baae403ed6');
    expect(traces[0].spans.map((s) => s.kind).sort()).toEqual(['consumer', 'internal', 'producer', 'server']);
  });

  it('smartthings-mobile-web-install.json: missing timestamps and durations are inferred', async () => {
    const { traces } = await read('v2-json/smartthings-mobile-web-install.json');
    // 16 services (counted over localEndpoint.serviceName); 84 records lack a timestamp, 175 a duration.
    expect(new Set(traces[0].spans.map((s) => s.service)).size).toBe(16);
    for (const s of traces[0].spans) {
      expect(Number.isInteger(s.start)).toBe(true);
      expect(s.duration).toBeGreaterThanOrEqual(0);
    }
    expect(traces[0].spans.some((s) => s.adjusted?.includes('duration-inferred'))).toBe(true);
  });

  it('zipkin2-chinese.json: the error tag is the status message', async () => {
    const { traces } = await read('v2-json/single-span/zipkin2-chinese.json');
    expect(traces[0].spans[0]).toMatchObject({
      error: true,
      statusMessage: '此用户没有操作权限',
      service: '订单维护服务',
    });
  });

  it('zipkin_v1_single_batch.json: 5 records give 5 spans in one tree', async () => {
    // Records: checkAvailability server (service1, sr/ss), checkStock client (service1, cs/cr),
    // checkAvailability client (front-proxy, cs/cr), checkStock server (service2, sr/ss), and a bare
    // checkStock record without annotations. The two ids shared by a client and a server record split.
    const { traces, report } = await read('v1-json/zipkin_v1_single_batch.json');
    expect(report.format).toBe('zipkin-v1');
    expect(traces).toHaveLength(1);
    const t = traces[0];
    expect(t.spans).toHaveLength(5);
    expect(t.orphans).toEqual([]);
    expect(t.spans[t.root]).toMatchObject({ service: 'front-proxy', kind: 'client' });
    const at = (kind: string, service: string) =>
      t.spans.findIndex((s) => s.kind === kind && s.service === service);
    expect(t.parent[at('server', 'service1')]).toBe(t.root);
    expect(t.parent[at('client', 'service1')]).toBe(at('server', 'service1'));
    expect(t.parent[at('server', 'service2')]).toBe(at('client', 'service1'));
    const server2 = t.spans[at('server', 'service2')];
    // Its record has no timestamp/duration: sr..ss give 1544805927454487 and 2833 µs.
    expect(server2.start).toBe(1544805927454487);
    expect(server2.duration).toBe(2833);
    expect(server2.attributes['http.status_code']).toBe('200');
    expect(t.spans[at('server', 'service1')].events).toBe(1);
  });
});
