import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawSpan, Span } from '../../src/trace/span.js';
import type { JsonFormat, SpanSink } from '../../src/formats/types.js';
import { jaegerV1 } from '../../src/formats/jaeger-v1.js';
import { zipkinV2 } from '../../src/formats/zipkin-v2.js';
import { otlpJson } from '../../src/formats/otlp-json.js';
import { readTraceFiles } from '../../src/formats/read.js';
import {
  toJaegerDocument,
  toOtlpDocument,
  toZipkinSpans,
  TraceFileWriter,
  WRITE_FORMATS,
} from '../../src/formats/write/index.js';
import { generate } from '../../src/sim/generate.js';
import { shortened } from './helpers.js';

// Errors, retries, async consumers, internal spans and cache fallbacks all show up in this run.
const g = generate(shortened('shop-errors', 5, 25, 30), { seed: 4 });
const all = g.traces.flat();

function readBack(format: JsonFormat, doc: unknown): { spans: RawSpan[]; problems: string[] } {
  const spans: RawSpan[] = [];
  const problems: string[] = [];
  const sink: SpanSink = {
    span: (s) => spans.push(s),
    skip: (w, m) => problems.push(`${w}: ${m}`),
    warn: (m) => problems.push(m),
  };
  const parsed = JSON.parse(JSON.stringify(doc));
  expect(format.matches(parsed)).toBe(true);
  format.read(parsed, sink, '$');
  return { spans, problems };
}

const key = (s: RawSpan | Span) => ({
  traceId: s.traceId,
  spanId: s.spanId,
  parentId: s.parentId,
  service: s.service,
  operation: s.operation,
  kind: s.kind,
  start: s.start,
  duration: s.duration,
  error: s.error,
  statusMessage: s.statusMessage,
  events: s.events,
});

function expectSame(back: RawSpan[], withInstance: boolean) {
  expect(back).toHaveLength(all.length);
  const byId = new Map(back.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const diffs: string[] = [];
  for (const s of all) {
    const b = byId.get(`${s.traceId}/${s.spanId}`);
    if (!b) {
      diffs.push(`missing ${s.spanId}`);
      continue;
    }
    const x = JSON.stringify(key(s));
    const y = JSON.stringify(key(b));
    if (x !== y) diffs.push(`${x} != ${y}`);
    if (withInstance && b.instance !== s.instance) diffs.push(`instance ${b.instance} != ${s.instance}`);
  }
  expect(diffs.slice(0, 3)).toEqual([]);
}

describe('round trip through our readers', () => {
  it('has the span variety worth checking', () => {
    const kinds = new Set(all.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['client', 'consumer', 'internal', 'producer', 'server']);
    expect(all.some((s) => s.error && s.statusMessage)).toBe(true);
  });

  it('jaeger v1', () => {
    const { spans, problems } = readBack(jaegerV1, toJaegerDocument(g.traces));
    expect(problems).toEqual([]);
    expectSame(spans, true);
  });

  it('zipkin v2', () => {
    const { spans, problems } = readBack(zipkinV2, g.traces.flatMap(toZipkinSpans));
    expect(problems).toEqual([]);
    expectSame(spans, false);
  });

  it('otlp json', () => {
    const { spans, problems } = readBack(otlpJson, toOtlpDocument(all));
    expect(problems).toEqual([]);
    expectSame(spans, true);
  });

  describe('streamed files read back by readTraceFiles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'th-sim-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    for (const format of WRITE_FORMATS) {
      it(format, async () => {
        const file = join(dir, `out.${format}.json`);
        const w = await TraceFileWriter.open(file, format);
        for (const t of g.traces) await w.write(t);
        await w.close();
        const got: Span[] = [];
        const report = await readTraceFiles([file], { clockSkew: false }, (t) => got.push(...t.spans));
        expect(report.formats.get(file)).toBe(format);
        expect(report.skipped).toBe(0);
        expect(report.traces).toBe(g.traces.length);
        expectSame(got, format !== 'zipkin-v2');
      });
    }
  });
});
