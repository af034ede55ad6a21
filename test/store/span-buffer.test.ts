import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { SpanBuffer } from '../../src/store/span-buffer.js';
import { raw } from '../helpers/spans.js';

/** The settled traces with their spans, as a flush and its score job see them together. */
const settled = async (buf: SpanBuffer, nowMs: number, settleMs: number) =>
  (await buf.read(await buf.settledIds(nowMs, settleMs))).traces;

describe('span buffer for pushed spans', () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });

  it('keeps the configured session attributes beside the ones the core reads', async () => {
    const t = '3'.repeat(32);
    const span = raw({ spanId: 'a', traceId: t, attributes: { 'app.session': 's-9', other: 'x' } });
    await new SpanBuffer(client, 60, ['app.session']).add([span], 1000);
    const [got] = await settled(new SpanBuffer(client), 9000, 0);
    expect(got.spans[0].attributes).toEqual({ 'app.session': 's-9' });
    await new SpanBuffer(client).remove([t]);
  });

  it('hands a trace over only after it has been quiet for the settle time, and only once removed', async () => {
    const buf = new SpanBuffer(client);
    const t1 = '1'.repeat(32);
    const t2 = '2'.repeat(32);
    await buf.add([raw({ spanId: 'a', traceId: t1 }), raw({ spanId: 'b', traceId: t2 })], 1000);
    await buf.add(
      [
        raw({
          spanId: 'c',
          traceId: t1,
          parentId: 'a',
          attributes: { big: 'x'.repeat(100), 'peer.service': 'cache' },
          resource: { 'k8s.pod.name': 'web-1' },
        }),
      ],
      5000,
    );
    expect(await settled(buf, 6000, 2000)).toEqual([
      expect.objectContaining({
        traceId: t2,
        spans: [expect.objectContaining({ spanId: '000000000000000b' })],
      }),
    ]);
    const later = await settled(buf, 8000, 2000);
    expect(later.map((t) => [t.traceId, t.spans.length])).toEqual([
      [t2, 1],
      [t1, 2],
    ]);
    // What the core reads travels with the span; the rest does not wait in Redis.
    expect(later[1].spans[1]).toMatchObject({
      parentId: '000000000000000a',
      attributes: { 'peer.service': 'cache' },
      resource: { 'k8s.pod.name': 'web-1' },
    });
    expect(later[1].spans[1].attributes.big).toBeUndefined();
    await buf.remove([t2]);
    expect(await buf.pending()).toBe(1);
    expect(await buf.settledIds(8000, 2000)).toEqual([t1]);
    // Claimed (a score job names it): off the settled list, its spans kept for that job until it removes them.
    await buf.claim([t1]);
    expect(await buf.settledIds(8000, 2000)).toEqual([]);
    expect((await buf.read([t1])).traces[0].spans).toHaveLength(2);
    await buf.remove([t1]);
    expect(await buf.read([t1])).toEqual({ traces: [{ traceId: t1, spans: [] }], unreadable: 0 });
  });
});
