import { describe, expect, it } from 'vitest';
import { tailDecision, unitDraw, type ReplayTrace } from '../../src/eval/sampling-replay.js';
import { samplingOptions } from '../../src/sampling/options.js';
import { tailSamplingConfig } from '../../src/sampling/tail.js';
import type { ScoredTrace } from '../../src/scoring/scored-trace.js';
import { normalizeTrace } from '../../src/trace/normalize.js';
import { raw } from '../helpers/spans.js';
import { parseEndpointKey } from '../../src/trace/endpoint-key.js';

/** A two-span trace of `endpoint` taking `ms`, failing in its child when asked. */
function trace(id: number, endpoint: string, ms: number, error = false): ReplayTrace {
  const { service, operation } = parseEndpointKey(endpoint)!;
  const traceId = id.toString(16).padStart(32, '0');
  const t = normalizeTrace(traceId, [
    raw({ traceId, spanId: '1', service, operation, kind: 'server', start: 1e15, duration: ms * 1000 }),
    raw({
      traceId,
      spanId: '2',
      parentId: '1',
      service: 'db',
      operation: 'q',
      start: 1e15,
      duration: 1000,
      error,
    }),
  ]);
  return { trace: t, scored: { anomalous: false } as ScoredTrace, endpoint };
}

describe('tailDecision: the Collector policies applied to one trace', () => {
  const config = (restPercent: number) => {
    const c = tailSamplingConfig(
      {
        buckets: [],
        incidentEndpoints: new Set(['a:GET /a']),
        thresholds: new Map([['b:GET /b', 30_000]]),
        nowMs: 0,
      },
      samplingOptions(),
    );
    const rest = c.processors.tail_sampling.policies.at(-1)!;
    if (rest.type === 'probabilistic') rest.probabilistic.sampling_percentage = restPercent;
    return c;
  };
  const endpoints = ['a:GET /a', 'b:GET /b', 'c:GET /c'];

  it('keeps errors, the incident endpoint, traces over their threshold, and nothing else at 0%', () => {
    const keep = tailDecision(config(0), endpoints);
    expect(keep(trace(1, 'a:GET /a', 5))).toBe(true);
    expect(keep(trace(2, 'b:GET /b', 20))).toBe(false);
    expect(keep(trace(3, 'b:GET /b', 31))).toBe(true);
    expect(keep(trace(4, 'c:GET /c', 500))).toBe(false);
    expect(keep(trace(5, 'c:GET /c', 5, true))).toBe(true);
  });

  it('keeps the rest by a draw fixed by the trace id', () => {
    const keep = tailDecision(config(25), endpoints);
    const traces = Array.from({ length: 4000 }, (_, i) => trace(100 + i, 'c:GET /c', 5));
    const share = traces.filter(keep).length / traces.length;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(traces.filter(keep).every((t) => unitDraw('tail', t.trace.traceId) < 0.25)).toBe(true);
  });
});
