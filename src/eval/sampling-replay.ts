/**
 * Replays a stream of scored traces through sampling advice as the service would give it, step by step in
 * simulated time: what Tracehound has seen by then (its aggregates, the incidents the same tracker opened),
 * the advice computed from that, and which traces the tracers (head) or the Collector (tail) then keep.
 */
import { createHash } from 'node:crypto';
import { Aggregates } from '../traffic/minute-buckets.js';
import type { Incident } from '../incidents/incident.js';
import { MINUTE_US, minuteOf } from '../traffic/minute.js';
import { detectSignals } from '../incidents/history-signals.js';
import { IncidentTracker, type MinuteAnomaly } from '../incidents/tracker.js';
import { adviseService } from '../sampling/advise.js';
import type { JaegerStrategy } from '../sampling/jaeger.js';
import type { SamplingOptions } from '../sampling/options.js';
import type { SamplingState } from '../sampling/smoothing.js';
import { endpointCondition, tailSamplingConfig, type TailSamplingConfig } from '../sampling/tail.js';
import { adviceWindows } from '../sampling/traffic.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';

export interface ReplayTrace {
  trace: Trace;
  scored: ScoredTrace;
  /** Root `service:operation`. */
  endpoint: string;
}

export interface ReplayOptions {
  sampling: SamplingOptions;
  /** Services whose tracers ask for advice (those that start traces). */
  services: readonly string[];
  /** How often advice is asked for (head) or the Collector reloads its policies (tail), ms. */
  stepMs: number;
  /** How long after it starts a trace is in Tracehound's aggregates (poll interval and settle delay), ms. */
  visibleAfterMs: number;
  /** How long after its end a minute is judged by the incident tracker, ms (TRACEHOUND_INCIDENT_DELAY). */
  judgeAfterMs: number;
}

/** A uniform draw in [0, 1) fixed by the trace id: what a ratio sampler decides on. */
export function unitDraw(salt: string, traceId: string): number {
  return createHash('sha1').update(salt).update(traceId).digest().readUInt32BE(0) / 2 ** 32;
}

/** What Tracehound knows at a moment: the traces it has seen, the minutes it has judged, the open incidents. */
class TracehoundView {
  readonly aggregates = new Aggregates();
  /** Every incident in its latest state. */
  readonly incidents = new Map<string, Incident>();
  private readonly anomalies = new Map<number, MinuteAnomaly[]>();
  private readonly tracker = new IncidentTracker();
  private readonly open = new Set<string>();
  private nextMinute: number | undefined;

  add(t: ReplayTrace): void {
    const minute = minuteOf(t.trace.start);
    this.nextMinute ??= minute;
    this.aggregates.add(t.trace, t.scored);
    if (!t.scored.anomalous) return;
    let list = this.anomalies.get(minute);
    if (list === undefined) this.anomalies.set(minute, (list = []));
    list.push({
      traceId: t.scored.traceId,
      score: t.scored.score,
      endpoint: t.endpoint,
      suspect: t.scored.rootCauses[0]?.service,
    });
  }

  /**
   * Judges every minute whose wait is over at `nowMs`, in order, like the incident job. Root causes are not
   * ranked: advice reads an incident's endpoints only.
   */
  judgeUntil(nowMs: number, judgeAfterMs: number): void {
    while (this.nextMinute !== undefined && (this.nextMinute + MINUTE_US) / 1000 + judgeAfterMs <= nowMs) {
      const m = this.nextMinute;
      const signals = detectSignals(this.aggregates.buckets(m - 60 * MINUTE_US, m), {}, m);
      for (const e of this.tracker.observe(m, signals, this.anomalies.get(m) ?? [], () => [])) {
        this.incidents.set(e.incident.id, e.incident);
        if (e.incident.status === 'open') this.open.add(e.incident.id);
        else this.open.delete(e.incident.id);
      }
      this.nextMinute = m + MINUTE_US;
    }
  }

  openEndpoints(): Set<string> {
    return new Set([...this.open].flatMap((id) => this.incidents.get(id)!.endpoints));
  }
}

const startMs = (t: ReplayTrace) => t.trace.start / 1000;

/**
 * Walks the stream in steps of `stepMs`: before each step, Tracehound takes in what became visible (all of it,
 * or only what was kept: `seesAll`) and judges the minutes due; `decide` is then built once for the step and
 * applied to every trace starting in it. Returns what was kept, and the view at the end.
 */
function walk(
  traces: readonly ReplayTrace[],
  o: ReplayOptions,
  seesAll: boolean,
  decideFor: (view: TracehoundView, nowMs: number) => (t: ReplayTrace) => boolean,
): { kept: boolean[]; view: TracehoundView } {
  const view = new TracehoundView();
  const kept = new Array<boolean>(traces.length).fill(false);
  let visible = 0;
  let i = 0;
  for (let now = traces.length ? startMs(traces[0]) : 0; i < traces.length; now += o.stepMs) {
    while (visible < i && startMs(traces[visible]) <= now - o.visibleAfterMs) {
      if (seesAll || kept[visible]) view.add(traces[visible]);
      visible++;
    }
    view.judgeUntil(now, o.judgeAfterMs);
    const decide = decideFor(view, now);
    for (; i < traces.length && startMs(traces[i]) < now + o.stepMs; i++) kept[i] = decide(traces[i]);
  }
  return { kept, view };
}

/**
 * Head sampling on Tracehound's advice: each service's tracers apply the strategy served at the step, and
 * Tracehound sees only the traces they kept (its rates, anomaly rates and incidents come from those).
 */
export function replayHead(
  traces: readonly ReplayTrace[],
  o: ReplayOptions,
  /** What each service was served before the stream starts. */
  initial: ReadonlyMap<string, SamplingState> = new Map(),
): { kept: boolean[]; incidents: Incident[] } {
  const states = new Map<string, SamplingState | undefined>(initial);
  const { kept, view } = walk(traces, o, false, (v, now) => {
    const w = adviceWindows(now, o.sampling);
    const buckets = v.aggregates.buckets(w.historyFrom, w.now);
    const incidentEndpoints = v.openEndpoints();
    const strategies = new Map<string, JaegerStrategy>();
    for (const service of o.services) {
      const a = adviseService(
        { service, buckets, incidentEndpoints, state: states.get(service), nowMs: now },
        o.sampling,
      );
      states.set(service, a.state);
      strategies.set(service, a.strategy);
    }
    return (t) => {
      const s = strategies.get(t.trace.spans[t.trace.root].service);
      if (s === undefined) return false;
      const op = t.trace.spans[t.trace.root].operation;
      const p =
        s.operationSampling.perOperationStrategies.find((x) => x.operation === op)?.probabilisticSampling
          .samplingRate ?? s.operationSampling.defaultSamplingProbability;
      return unitDraw('head', t.trace.traceId) < p;
    };
  });
  return { kept, incidents: [...view.incidents.values()] };
}

/**
 * What the Collector decides for a trace under a configuration, policy by policy as the tail_sampling
 * processor reads them. An OTTL condition matches the trace's root endpoint (Tracehound writes one per
 * endpoint); the latency policy compares the trace's span of time.
 */
export function tailDecision(
  config: TailSamplingConfig,
  endpoints: Iterable<string>,
): (t: ReplayTrace) => boolean {
  const byCondition = new Map([...endpoints].map((e) => [endpointCondition(e), e]));
  const matches = (conditions: readonly string[], t: ReplayTrace) =>
    conditions.some((c) => byCondition.get(c) === t.endpoint);
  const tests = config.processors.tail_sampling.policies.map((p): ((t: ReplayTrace) => boolean) => {
    switch (p.type) {
      case 'status_code':
        return (t) => t.trace.spans.some((s) => s.error);
      case 'ottl_condition':
        return (t) => matches(p.ottl_condition.span, t);
      case 'and': {
        const [where, latency] = p.and.and_sub_policy;
        return (t) =>
          matches(where.ottl_condition.span, t) &&
          t.trace.end - t.trace.start > latency.latency.threshold_ms * 1000;
      }
      case 'probabilistic':
        return (t) => unitDraw('tail', t.trace.traceId) < p.probabilistic.sampling_percentage / 100;
    }
  });
  return (t) => tests.some((keep) => keep(t));
}

/**
 * Tail sampling on Tracehound's policies: Tracehound is fed every trace (before the Collector samples), and
 * the Collector applies the policies it loaded at the last step.
 */
export function replayTail(
  traces: readonly ReplayTrace[],
  o: ReplayOptions,
  thresholds: ReadonlyMap<string, number>,
): { kept: boolean[] } {
  const endpoints = new Set(traces.map((t) => t.endpoint));
  const { kept } = walk(traces, o, true, (v, now) => {
    const w = adviceWindows(now, o.sampling);
    const config = tailSamplingConfig(
      {
        buckets: v.aggregates.buckets(w.historyFrom, w.now),
        incidentEndpoints: v.openEndpoints(),
        thresholds,
        nowMs: now,
      },
      o.sampling,
    );
    return tailDecision(config, endpoints);
  });
  return { kept };
}
