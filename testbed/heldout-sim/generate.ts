/**
 * Drives the held-out system: arrivals over time (Poisson at a rate that follows the traffic shape, plus the
 * cron), one trace per arrival, and the truth of each trace by the rule below.
 */
import { Rand, subSeed } from './rand.js';
import type { FaultWindow, SimTrace, TraceTruth } from './model.js';
import { ENDPOINTS, publicRequest, reconcileJob } from './endpoints.js';
import { TraceBuilder } from './trace-builder.js';
import { World } from './world.js';

export interface Period {
  seed: number;
  /** µs since the epoch. */
  start: number;
  minutes: number;
  /** Mean public requests per second (the traffic shape moves around it). */
  ratePerS: number;
  faults: readonly FaultWindow[];
}

export interface Generated {
  trace: SimTrace;
  truth: TraceTruth;
}

/** When a trace counts as faulty. The code that applies a fault records each change as it makes it. */
export const TRUTH_RULE =
  'A trace is faulty when a fault changed it: the request passed the faulty component while the fault was on ' +
  'and that component behaved differently for this request than it would have without the fault (a latency ' +
  'fault multiplied the work of one of its spans; an error fault made that very call fail; a blocked event loop ' +
  'held the request or its work; the connection was refused; the N+1 release ran; the delayed link carried one ' +
  'of its calls; the slow database served one of its queries). A trace that passed the component during the ' +
  'fault without being changed (a call that did not draw the failure, a request that arrived between two ' +
  'blocks, a connection that got through) is not faulty; its truth lists the fault under passedUnchanged. ' +
  'Load depends on the traffic only, so no trace is changed indirectly. The root cause of a faulty trace is ' +
  "any service of its faults' root-cause lists (both ends of a delayed link; a slow database's address or " +
  'the service whose queries it slowed).';

const CRON_ENDPOINT = 'ledger:LedgerReconciler.reconcile';

/** Arrival times of one second, sorted, each with what arrives. */
function arrivalsOf(
  world: World,
  rng: Rand,
  second: number,
  ratePerS: number,
): { at: number; endpoint: number }[] {
  const t = second * 1e6;
  const out: { at: number; endpoint: number }[] = [];
  const n = rng.poissonCount(ratePerS * world.traffic.at(t));
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let e = 0;
    while (e < ENDPOINTS.length - 1 && u >= ENDPOINTS[e].weight) u -= ENDPOINTS[e++].weight;
    out.push({ at: t + rng.uniform() * 1e6, endpoint: e });
  }
  // the reconciliation cron fires at the top of every minute, a little late
  if (second % 60 === 0) out.push({ at: t + rng.between(2000, 400_000), endpoint: -1 });
  return out.sort((a, b) => a.at - b.at);
}

function truthOf(
  tb: TraceBuilder,
  start: number,
  endpoint: string,
  causes: ReadonlyMap<string, readonly string[]>,
): TraceTruth {
  const effects = tb.effects;
  const rootCause = new Set<string>();
  for (const e of effects) {
    for (const s of causes.get(e.faultId) ?? []) rootCause.add(s);
    // a slow database seen from a second client service: that client is a fair answer too
    if (!e.component.includes('->')) rootCause.add(e.component);
  }
  const changed = new Set(effects.map((e) => e.faultId));
  return {
    traceId: tb.traceId,
    start,
    endpoint,
    faulty: effects.length > 0,
    effects,
    rootCause: [...rootCause].sort(),
    passedUnchanged: [...tb.passed].filter((f) => !changed.has(f)).sort(),
  };
}

/** Every trace of the period, in order of arrival. */
export function* generate(p: Period): Generator<Generated> {
  const end = p.start + p.minutes * 60e6;
  const world = new World(p.seed, p.start, end, p.faults);
  const rng = new Rand(subSeed(p.seed, `arrivals:${p.start}`));
  const causes = new Map(p.faults.map((f) => [f.id, f.rootCause]));
  let n = 0;
  for (let sec = Math.ceil(p.start / 1e6); sec < end / 1e6; sec++) {
    for (const a of arrivalsOf(world, rng, sec, p.ratePerS)) {
      const trng = new Rand(subSeed(p.seed, `trace:${p.start}:${n++}`));
      const tb = new TraceBuilder(world, trng, trng.hexId(16));
      let endpoint: string;
      if (a.endpoint < 0) {
        reconcileJob(tb, a.at);
        endpoint = CRON_ENDPOINT;
      } else {
        publicRequest(tb, ENDPOINTS[a.endpoint], a.at);
        endpoint = `edge-gateway:${ENDPOINTS[a.endpoint].name}`;
      }
      yield {
        trace: { traceId: tb.traceId, spans: tb.spans },
        truth: truthOf(tb, tb.spans[0].start, endpoint, causes),
      };
    }
  }
}
