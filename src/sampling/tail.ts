import { Document } from 'yaml';
import { z } from 'zod';
import type { LogSketch } from '../detectors/baseline/log-sketch.js';
import { sumTargets, type MinuteBucket } from '../traffic/minute-buckets.js';
import type { SamplingOptions } from './options.js';
import { adviceWindows } from './traffic.js';
import { parseEndpointKey } from '../trace/endpoint-key.js';

const OttlCondition = z.object({
  error_mode: z.literal('ignore'),
  /** Conditions on spans, any of which samples the trace. */
  span: z.array(z.string()).min(1),
});
const OttlPolicy = z.object({
  name: z.string(),
  type: z.literal('ottl_condition'),
  ottl_condition: OttlCondition,
});
const LatencyPolicy = z.object({
  name: z.string(),
  type: z.literal('latency'),
  /** The trace's duration, first span start to last span end. */
  latency: z.object({ threshold_ms: z.number().int().positive() }),
});

/** The policies Tracehound writes, as the Collector's tail_sampling processor spells them. */
export const TailPolicySchema = z.discriminatedUnion('type', [
  z.object({
    name: z.string(),
    type: z.literal('status_code'),
    status_code: z.object({ status_codes: z.array(z.literal('ERROR')) }),
  }),
  OttlPolicy,
  z.object({
    name: z.string(),
    type: z.literal('and'),
    and: z.object({ and_sub_policy: z.tuple([OttlPolicy, LatencyPolicy]) }),
  }),
  z.object({
    name: z.string(),
    type: z.literal('probabilistic'),
    probabilistic: z.object({ sampling_percentage: z.number().min(0).max(100) }),
  }),
]);
export type TailPolicy = z.infer<typeof TailPolicySchema>;

/**
 * A partial Collector configuration holding the processor's policies only: given as a second `--config`, it
 * merges into the main one, which keeps its own `decision_wait`, `num_traces` and pipelines.
 */
export const TailSamplingConfigSchema = z.object({
  processors: z.object({ tail_sampling: z.object({ policies: z.array(TailPolicySchema).min(1) }) }),
});
export type TailSamplingConfig = z.infer<typeof TailSamplingConfigSchema>;

export interface TailSamplingInput {
  buckets: readonly MinuteBucket[];
  /** Endpoints (`service:operation`) of the open incidents. */
  incidentEndpoints: ReadonlySet<string>;
  /** Per endpoint with an active model: its learned latency threshold, µs (the p99 of its root span). */
  thresholds: ReadonlyMap<string, number>;
  nowMs: number;
}

/** An OTTL string literal. */
const ottlString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** OTTL condition matching a span of the endpoint: its service's name and the operation as span name. */
export function endpointCondition(endpoint: string): string {
  const { service, operation } = parseEndpointKey(endpoint) ?? { service: endpoint, operation: '' };
  return `resource.attributes["service.name"] == ${ottlString(service)} and name == ${ottlString(operation)}`;
}

/** Share of a latency sketch above `us` (its quantiles are monotone: bisection on the rank). */
function shareAbove(sketch: LogSketch, us: number): number {
  if (sketch.total <= 0) return 0;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (sketch.quantile(mid) > us) hi = mid;
    else lo = mid;
  }
  return 1 - lo;
}

/**
 * The probability for traces no other policy keeps: the budget of every service that starts traces, less what
 * the error, incident and latency policies are expected to keep (their share of the window's traffic), over
 * the traffic left. Tracehound here sees the traffic the Collector sees (it is fed before tail sampling).
 */
function restProbability(input: TailSamplingInput, o: SamplingOptions): number {
  const w = adviceWindows(input.nowMs, o);
  const window = input.buckets.filter((b) => b.minute >= w.rateFrom && b.minute < w.rateTo);
  if (window.length === 0) return 1;
  const seconds = window.length * 60;
  let total = 0;
  let targeted = 0;
  const services = new Set<string>();
  for (const [endpoint, s] of sumTargets(window, 'endpoint')) {
    if (s.traces === 0) continue;
    services.add(parseEndpointKey(endpoint)?.service ?? '');
    total += s.traces;
    if (input.incidentEndpoints.has(endpoint)) targeted += s.traces;
    else {
      const limit = input.thresholds.get(endpoint);
      const slow = limit === undefined ? 0 : shareAbove(s.latency, limit);
      targeted += Math.min(s.traces, s.errors + slow * s.traces);
    }
  }
  const left = total - targeted;
  if (left <= 0) return 1;
  const budget = services.size * o.budgetTps * seconds - targeted;
  return Math.min(1, Math.max(o.minProbability, budget / left));
}

/**
 * The tail_sampling policies: errors; the endpoints of open incidents; per endpoint with a model, its traces
 * slower than its learned p99; a share of the rest that fits the budget. The Collector keeps a trace when any
 * policy samples it.
 */
export function tailSamplingConfig(input: TailSamplingInput, o: SamplingOptions): TailSamplingConfig {
  const policies: TailPolicy[] = [
    { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
  ];
  const incident = [...input.incidentEndpoints].sort();
  if (incident.length > 0)
    policies.push({
      name: 'open-incidents',
      type: 'ottl_condition',
      ottl_condition: { error_mode: 'ignore', span: incident.map(endpointCondition) },
    });
  for (const endpoint of [...input.thresholds.keys()].sort()) {
    if (input.incidentEndpoints.has(endpoint)) continue;
    policies.push({
      name: `slow ${endpoint}`,
      type: 'and',
      and: {
        and_sub_policy: [
          {
            name: 'endpoint',
            type: 'ottl_condition',
            ottl_condition: { error_mode: 'ignore', span: [endpointCondition(endpoint)] },
          },
          {
            name: 'over-p99',
            type: 'latency',
            latency: { threshold_ms: Math.max(1, Math.ceil(input.thresholds.get(endpoint)! / 1000)) },
          },
        ],
      },
    });
  }
  // Percent with four decimals: the Collector's hash resolves no finer.
  const percentage = Math.round(restProbability(input, o) * 1e6) / 1e4;
  policies.push({ name: 'rest', type: 'probabilistic', probabilistic: { sampling_percentage: percentage } });
  return { processors: { tail_sampling: { policies } } };
}

/** `$` starts a variable in Collector configurations; `$$` is a literal one. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\$/g, '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

/** The configuration as YAML, with a comment saying where and when it came from. */
export function tailSamplingYaml(config: TailSamplingConfig, generatedAt: Date): string {
  const doc = new Document(escapeDollars(TailSamplingConfigSchema.parse(config)));
  doc.commentBefore =
    ` Tracehound tail-sampling advice, ${generatedAt.toISOString()}.\n` +
    ' Merge it into a Collector configuration: otelcol --config=file:main.yaml --config=http://tracehound:8080/v1/sampling/otel-tail-sampling';
  return doc.toString({ lineWidth: 0 });
}
