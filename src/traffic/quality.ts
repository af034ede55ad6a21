import { z } from 'zod';
import { coveredByChildren } from '../features/self-time.js';
import type { Trace } from '../trace/trace.js';
import { isoFromMicros } from '../trace/iso-time.js';

/**
 * Trace quality per service: how much of what a service reports can be trusted. Broken instrumentation
 * looks like a fault to every detector downstream (a lost span is "time no span explains", a skewed clock a
 * negative network gap), so the report says where spans go missing, arrive orphaned or need fixing.
 */
export class QualityStat {
  /** Traces with at least one span of the service. */
  traces = 0;
  spans = 0;
  /**
   * Traces whose root span is the service's, and the sum of their completeness (profile definition) in
   * units of 1/10000: integers merge exactly in any order, floats would not.
   */
  rootTraces = 0;
  completenessSum = 0;
  /** Spans whose parent id names a span not in the trace. */
  orphanSpans = 0;
  /** Distinct parent ids the service's spans name that are not in the trace. */
  missingParents = 0;
  /** Spans the clock-skew adjuster moved. */
  skewAdjustedSpans = 0;
  /** Spans whose start or duration was inferred. */
  timingInferredSpans = 0;
  /** Spans that got a new id (duplicate ids, shared client/server ids). */
  idDedupedSpans = 0;
  /** Spans that lost their parent to break a reference cycle. */
  cycleBrokenSpans = 0;
  /** Traces whose real root was not collected, counted at the service of the span standing in for it. */
  tracesMissingRoot = 0;
  /** Transient: the last trace counted in `traces`. */
  traceMark = -1;

  merge(o: QualityStat): void {
    for (const k of QUALITY_FIELDS) this[k] += o[k];
  }

  /** Positional, in QUALITY_FIELDS order: every element adds up (the Redis merge sums them). */
  encode(): number[] {
    return QUALITY_FIELDS.map((k) => this[k]);
  }

  static decode(a: unknown, where: string): QualityStat {
    if (!Array.isArray(a) || a.length !== QUALITY_FIELDS.length)
      throw new Error(`${where}: expected an array of ${QUALITY_FIELDS.length} numbers`);
    const q = new QualityStat();
    QUALITY_FIELDS.forEach((k, i) => {
      const v = a[i];
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
        throw new Error(`${where}: ${k} is ${JSON.stringify(v)}, expected a number >= 0`);
      q[k] = v;
    });
    return q;
  }
}

const COMPLETENESS_UNIT = 10_000;

const QUALITY_FIELDS = [
  'traces',
  'spans',
  'rootTraces',
  'completenessSum',
  'orphanSpans',
  'missingParents',
  'skewAdjustedSpans',
  'timingInferredSpans',
  'idDedupedSpans',
  'cycleBrokenSpans',
  'tracesMissingRoot',
] as const;

function statOf(map: Map<string, QualityStat>, service: string): QualityStat {
  let q = map.get(service);
  if (q === undefined) map.set(service, (q = new QualityStat()));
  return q;
}

/** Adds one trace's quality figures to `map` (service -> stat); `mark` is unique per trace. */
export function addTraceQuality(map: Map<string, QualityStat>, trace: Trace, mark: number): void {
  const { spans, root } = trace;
  let missing: Set<string> | undefined;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const q = statOf(map, s.service);
    q.spans++;
    if (q.traceMark !== mark) {
      q.traceMark = mark;
      q.traces++;
    }
    const adj = s.adjusted;
    if (adj !== undefined && adj.length > 0) {
      if (adj.includes('clock-skew')) q.skewAdjustedSpans++;
      if (adj.includes('start-inferred') || adj.includes('duration-inferred')) q.timingInferredSpans++;
      if (adj.includes('id-deduped')) q.idDedupedSpans++;
      if (adj.includes('cycle-broken')) q.cycleBrokenSpans++;
    }
  }
  for (const i of trace.orphans) {
    const s = spans[i];
    const q = statOf(map, s.service);
    q.orphanSpans++;
    // Self-referencing spans are orphans too; their "missing parent" is themselves, not a lost span.
    if (s.parentId === undefined || s.parentId === s.spanId) continue;
    const key = s.service + '\u0000' + s.parentId;
    if (missing === undefined) missing = new Set();
    if (!missing.has(key)) {
      missing.add(key);
      q.missingParents++;
    }
  }
  if (root >= 0) {
    const r = spans[root];
    const q = statOf(map, r.service);
    q.rootTraces++;
    // The profile's completeness: share of the root covered by its direct children.
    const c = r.duration === 0 ? 1 : coveredByChildren(trace, root) / r.duration;
    q.completenessSum += Math.round(c * COMPLETENESS_UNIT);
    if (trace.rootMissing) q.tracesMissingRoot++;
  }
}

export const ServiceQualitySchema = z.object({
  service: z.string(),
  traces: z.number().int().nonnegative(),
  spans: z.number().int().nonnegative(),
  /** Traces whose root span is this service's. */
  rootTraces: z.number().int().nonnegative(),
  /** Mean completeness (0..1) of those traces; absent when the service roots none. */
  completeness: z.number().min(0).max(1).optional(),
  orphanSpans: z.number().int().nonnegative(),
  missingParents: z.number().int().nonnegative(),
  skewAdjustedSpans: z.number().int().nonnegative(),
  timingInferredSpans: z.number().int().nonnegative(),
  idDedupedSpans: z.number().int().nonnegative(),
  cycleBrokenSpans: z.number().int().nonnegative(),
  tracesMissingRoot: z.number().int().nonnegative(),
});
export type ServiceQuality = z.infer<typeof ServiceQualitySchema>;

export const QualityReportSchema = z.object({
  /** The window, ISO 8601 (minute buckets whose start lies in it). */
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  /** Services with the most quality problems per span first. */
  services: z.array(ServiceQualitySchema),
});
export type QualityReport = z.infer<typeof QualityReportSchema>;

function problems(q: ServiceQuality): number {
  return (
    q.orphanSpans +
    q.skewAdjustedSpans +
    q.timingInferredSpans +
    q.idDedupedSpans +
    q.cycleBrokenSpans +
    q.tracesMissingRoot
  );
}

export function qualityReport(
  stats: ReadonlyMap<string, QualityStat>,
  from: number,
  to: number,
): QualityReport {
  const services: ServiceQuality[] = [];
  for (const [service, q] of stats) {
    services.push({
      service,
      traces: q.traces,
      spans: q.spans,
      rootTraces: q.rootTraces,
      ...(q.rootTraces > 0
        ? { completeness: Math.min(1, q.completenessSum / COMPLETENESS_UNIT / q.rootTraces) }
        : {}),
      orphanSpans: q.orphanSpans,
      missingParents: q.missingParents,
      skewAdjustedSpans: q.skewAdjustedSpans,
      timingInferredSpans: q.timingInferredSpans,
      idDedupedSpans: q.idDedupedSpans,
      cycleBrokenSpans: q.cycleBrokenSpans,
      tracesMissingRoot: q.tracesMissingRoot,
    });
  }
  services.sort(
    (a, b) =>
      problems(b) / Math.max(1, b.spans) - problems(a) / Math.max(1, a.spans) ||
      (a.service < b.service ? -1 : a.service > b.service ? 1 : 0),
  );
  return { from: isoFromMicros(from), to: isoFromMicros(to), services };
}
