import { describe, expect, it } from 'vitest';
import { jaegerV1 } from '../../src/formats/jaeger-v1.js';
import { fixture, readDoc } from './helpers/read-doc.js';

const TRACE = '00000000000000000000000000c0ffee';

describe('jaeger-v1 reader', () => {
  const doc = fixture('jaeger-v1/checkout.json');
  const r = readDoc(jaegerV1, doc);

  it('matches the envelope, one trace, a bare list, but not other {"data"} answers', () => {
    const trace = (doc as { data: unknown[] }).data[0];
    expect(jaegerV1.matches(doc)).toBe(true);
    expect(jaegerV1.matches(trace)).toBe(true);
    expect(jaegerV1.matches([trace])).toBe(true);
    expect(jaegerV1.matches({ data: [], total: 0, limit: 0, offset: 0, errors: null })).toBe(true);
    expect(jaegerV1.matches({ data: ['frontend', 'payments'], total: 2 })).toBe(false);
    expect(jaegerV1.matches({ data: [{ parent: 'a', child: 'b', callCount: 3 }] })).toBe(false);
    expect(jaegerV1.matches({ resourceSpans: [] })).toBe(false);
    expect(jaegerV1.matches([{ traceId: 'abc', id: 'def' }])).toBe(false);
  });

  it('reads the same spans from the envelope, a single trace and a bare list', () => {
    const trace = (doc as { data: unknown[] }).data[0];
    const single = readDoc(jaegerV1, trace);
    const list = readDoc(jaegerV1, [trace]);
    expect(single.spans).toHaveLength(5);
    expect(list.spans).toEqual(single.spans);
    expect(r.spans.slice(0, 5)).toEqual(single.spans);
  });

  it('takes the service and instance from the processes map and from an inline process', () => {
    expect(r.byId.get('a000000000000001')).toMatchObject({ service: 'frontend', instance: 'web-1' });
    expect(r.byId.get('a000000000000001')!.resource).toEqual({ hostname: 'web-1', ip: '10.0.0.5' });
    expect(r.byId.get('a000000000000003')).toMatchObject({ service: 'payments', instance: '10.0.0.9' });
    expect(r.byId.get('a000000000000004')).toMatchObject({ service: 'mailer', instance: 'mailer-7f9' });
  });

  it('keeps tag types: int64 as numbers unless unsafe, "true" strings as bools, binary as base64', () => {
    const a = r.byId.get('a000000000000002')!.attributes;
    expect(a.retries).toBe(3);
    expect(a['big.counter']).toBe('9223372036854775222');
    expect(a.ratio).toBe(0.25);
    expect(a.cached).toBe(true);
    expect(a.payload).toBe('AAAwOQ==');
    expect(a.error).toBe(false);
    expect(r.byId.get('a000000000000001')!.attributes['http.status_code']).toBe(500);
  });

  it('reads kind, error and status message from tags', () => {
    const root = r.byId.get('a000000000000001')!;
    expect(root).toMatchObject({ kind: 'server', error: true, statusMessage: 'payment declined', events: 1 });
    expect(r.byId.get('a000000000000002')).toMatchObject({ kind: 'client', error: false, events: 0 });
    // otel.status_code=ERROR without an error tag; the message comes from error.message.
    expect(r.byId.get('a000000000000003')).toMatchObject({ error: true, statusMessage: 'card expired' });
    expect(r.byId.get('a000000000000004')!.kind).toBe('producer');
  });

  it('parents on the same-trace CHILD_OF; other references become links', () => {
    const s3 = r.byId.get('a000000000000003')!;
    // The first CHILD_OF points into another trace; the second (with an unpadded trace id) is the parent.
    expect(s3.traceId).toBe(TRACE);
    expect(s3.parentId).toBe('a000000000000002');
    expect(s3.links).toEqual(['00000000000000ff']);
    expect(r.byId.get('a000000000000002')!.links).toBeUndefined();
  });

  it('makes a FOLLOWS_FROM-only span an async child, keeping the link', () => {
    const s4 = r.byId.get('a000000000000004')!;
    expect(s4.parentId).toBe('a000000000000003');
    expect(s4.links).toEqual(['a000000000000003']);
  });

  it('passes trace and span warnings on, and normalizeTrace drops the duplicated span', () => {
    expect(r.warnings.some((w) => w.includes('trace was truncated by the collector'))).toBe(true);
    expect(
      r.warnings.some((w) => w.includes('a000000000000003') && w.includes('clock skew adjustment disabled')),
    ).toBe(true);
    const t = r.traces.get(TRACE)!;
    expect(r.spans.filter((s) => s.traceId === TRACE)).toHaveLength(5);
    expect(t.spans).toHaveLength(4);
    expect(t.warnings.some((w) => /^1 duplicate/.test(w))).toBe(true);
    expect(t.spans[t.root].spanId).toBe('a000000000000001');
    expect(t.maxDepth).toBe(3);
  });

  it('pads short ids and lowercases uppercase ones', () => {
    const t = r.traces.get('04f1d2c3b4a5968778695a4b3c2d1e0f')!;
    expect(t).toBeDefined();
    expect(t.spans.map((s) => s.spanId).sort()).toEqual(['00b0000000000001', '0b00000000000002']);
    const child = t.spans.findIndex((s) => s.spanId === '0b00000000000002');
    expect(t.spans[t.parent[child]].spanId).toBe('00b0000000000001');
    expect(r.skips).toEqual([]);
  });

  it('skips bad spans and traces with a JSON path and keeps everything else', () => {
    const d = readDoc(jaegerV1, fixture('jaeger-v1/damaged.json'));
    expect(d.spans.map((s) => s.operation)).toEqual(['ok', 'no process', 'survivor']);
    expect(d.skips).toHaveLength(5);
    expect(d.skips[0]).toMatch(/^\$\.data\[0\]\.spans\[1\]: spanID "not-hex"/);
    expect(d.skips[1]).toMatch(/^\$\.data\[0\]\.spans\[2\]: traceID 42/);
    expect(d.skips[2]).toMatch(/^\$\.data\[0\]\.spans\[3\]: .*negative duration/);
    expect(d.skips[3]).toMatch(/^\$\.data\[0\]\.spans\[4\]: span is not an object/);
    expect(d.skips[4]).toMatch(/^\$\.data\[1\]: trace has no spans array/);
    expect(d.byId.get('00000000000000a6')).toMatchObject({
      service: 'unknown_service',
      events: 0,
      attributes: {},
    });
    expect(d.byId.get('00000000000000c1')!.resource).toEqual({});
    expect(d.warnings).toContain('Jaeger query error: storage timeout for some traces');
    expect(d.warnings.some((w) => /1 spans name no known process/.test(w))).toBe(true);
  });

  it('does not mistake tag values for object members', () => {
    const d = readDoc(jaegerV1, {
      traceID: '1',
      spans: [
        { spanID: '2', tags: [{ key: 'span.kind', type: 'string', value: 'constructor' }], processID: 'x' },
      ],
    });
    expect(d.spans[0].kind).toBe('internal');
  });
});
