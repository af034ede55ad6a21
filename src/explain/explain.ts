import type { BaselineModel } from '../detectors/baseline/model.js';
import type { BaselineScore, Evidence } from '../detectors/baseline/evidence.js';
import { extractProfile, type TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import { formatCount, formatMs, formatShareOf, opName } from './format.js';
import { criticalPathAndAncestors, healthyCallee, unansweredPeer } from './calls.js';
import { blameLatency } from './latency.js';
import { diffuseSlowdown } from './load.js';
import { GapAttribution } from './network.js';
import { repeatedCalls, unansweredCalls } from './repeats.js';

export type RootCauseKind = 'latency' | 'error' | 'structure' | 'network' | 'instrumentation';

export interface RootCause {
  service: string;
  operation?: string;
  instance?: string;
  kind: RootCauseKind;
  /** Share of the trace's anomaly this explains, 0..1; shares of one trace sum to at most 1. */
  contribution: number;
  /** One sentence a person can check against the trace. */
  evidence: string;
}

export interface ExplainOptions {
  /** A score already computed for this trace by the same model (saves scoring twice). */
  score?: BaselineScore;
  /** Every candidate cause, however small its share (the options below are then ignored). */
  all?: boolean;
  /** Causes with a smaller share are left out (default 0.02). */
  minContribution?: number;
  /** At most this many causes (default 10). */
  maxCauses?: number;
}

/**
 * The causes shown by default: the leading ones, each with a share of at least `minContribution`, at most
 * `maxCauses` of them. `all` is ranked, so they are a prefix of it.
 */
export function topCauses(
  all: readonly RootCause[],
  opts: Pick<ExplainOptions, 'minContribution' | 'maxCauses'> = {},
): RootCause[] {
  const min = opts.minContribution ?? 0.02;
  const max = opts.maxCauses ?? 10;
  const out: RootCause[] = [];
  for (const c of all) {
    if (out.length >= max || c.contribution < min) break;
    out.push(c);
  }
  return out;
}

interface Candidate {
  kind: RootCauseKind;
  service: string;
  operation: string;
  span: number;
  weight: number;
  evidence: string;
  /**
   * Structure findings a failure below can cause: a usual call missing, fewer calls than usual, or a call
   * never seen (an error path); with the span of the caller that made (or skipped) them.
   */
  afterError?: { caller: number };
}

/**
 * Ranked root-cause suggestions for one trace, from the baseline's evidence. Weights are in the
 * baseline's surprise units; latency surprise (how abnormal the end-to-end slowdown is) is shared among
 * the operations whose own time caused it, in proportion to their excess time on the critical path.
 */
export function explainTrace(
  trace: Trace,
  profile: TraceProfile = extractProfile(trace),
  model: BaselineModel,
  opts: ExplainOptions = {},
): RootCause[] {
  const score = opts.score ?? model.score(trace, profile);
  const spans = trace.spans;
  const cps = profile.callPaths;
  const cands: Candidate[] = [];
  /** The caller of path p: its parent path's service and operation. */
  const callerOf = (p: number): { service: string; operation: string } | undefined =>
    p >= 0 && cps[p].parent >= 0 ? cps[cps[p].parent] : undefined;

  // Latency and uncovered time, blamed on the spans whose own time grew. Only slowness on the critical
  // path (or of a span holding it) delayed the trace; a slow span beside it is judged on its own below.
  const onPath = criticalPathAndAncestors(trace, profile);
  let latencySurprise = 0;
  for (const e of score.evidence) {
    if ((e.kind === 'self-time' || e.kind === 'duration') && e.surprise > latencySurprise)
      if (e.span < 0 || onPath[e.span]) latencySurprise = e.surprise;
  }
  const blames = blameLatency(trace, profile, model, score);
  let totalExcess = 0;
  for (const b of blames) totalExcess += b.excessUs;
  // Share latency surprise by how much of the end-to-end slowdown each op's excess explains: when slow
  // spans explain little of it (an N+1 adds many normal calls), they get little of the blame.
  const rootSlowdown = endToEndSlowdown(profile, model);
  const latencyBase = Math.max(totalExcess, rootSlowdown);
  const absorbedMissing = new Set<string>();
  for (const b of blames) {
    const share = latencyBase > 0 ? b.excessUs / latencyBase : 0;
    const many = b.spans > 1 ? ` over ${b.spans} calls` : '';
    const onCp = `${formatMs(b.criticalUs)} of it on the critical path`;
    if (b.kind === 'instrumentation') {
      absorbedMissing.add(b.missingPathKey!);
      const missingOp = b.missingPathKey!.slice(b.missingPathKey!.lastIndexOf('>') + 1);
      // The service whose span went missing is the one that lost it (dropped, failed before reporting,
      // or unreachable); the parent only shows the hole. Within one service, the parent is the place.
      const lost = b.missingService !== undefined && b.missingService !== b.service;
      cands.push({
        kind: 'instrumentation',
        service: lost ? b.missingService! : b.service,
        operation: lost ? b.missingOperation! : b.operation,
        span: b.worstSpan,
        weight: latencySurprise * share + (b.missingSurprise ?? 0),
        evidence: `${opName(b.service, b.operation)} has ${formatMs(b.selfUs)} no child span explains${many} (normal self time p50 ${formatMs(b.normalP50Us)}, p99 ${formatMs(b.normalP99Us)}) while its usual call to ${missingOp} is missing: likely an uninstrumented or dropped span.`,
      });
    } else if (latencySurprise > 0) {
      cands.push({
        kind: 'latency',
        service: b.service,
        operation: b.operation,
        span: b.worstSpan,
        weight: latencySurprise * share,
        evidence: `${opName(b.service, b.operation)} self time ${formatMs(b.selfUs)}${many}, normal p50 ${formatMs(b.normalP50Us)} and p99 ${formatMs(b.normalP99Us)}, ${onCp}.`,
      });
    }
  }

  // A slow span beside the critical path is the whole story when the trace's duration is normal (work
  // in a parallel branch); beside a large slowdown on the path it is a detail. Its weight is its own
  // surprise times its share of all the excess time in the trace.
  for (const e of score.evidence) {
    if (e.kind !== 'self-time' || e.span < 0 || onPath[e.span]) continue;
    const excess = Math.max(0, e.observed - (e.normalP50 ?? 0));
    cands.push({
      kind: 'latency',
      service: e.service,
      operation: e.operation,
      span: e.span,
      weight: excess > 0 ? (e.surprise * excess) / (excess + latencyBase) : 0,
      evidence: `${opName(e.service, e.operation)} self time ${formatMs(e.observed)}, normal p50 ${formatMs(e.normalP50 ?? 0)} and p99 ${formatMs(e.normalP99 ?? 0)}, off the critical path (work beside it took longer), so it slowed this call without delaying the response.`,
    });
  }

  const diffuse = latencySurprise > 0 ? diffuseSlowdown(blames) : undefined;
  if (diffuse !== undefined && profile.rootSpan >= 0)
    cands.push({
      kind: 'latency',
      service: profile.endpoint.service,
      operation: profile.endpoint.operation,
      span: profile.rootSpan,
      weight: latencySurprise * diffuse.share,
      evidence: `${opName(profile.endpoint.service, profile.endpoint.operation)}: ${diffuse.evidence}`,
    });

  const ctx: EvidenceContext = {
    trace,
    profile,
    evidence: score.evidence,
    callerOf,
    absorbedMissing,
    gaps: new GapAttribution(trace, profile, score.evidence),
    orphans: new Set(trace.orphans),
  };
  for (const e of score.evidence) {
    const c = evidenceCause(e, ctx);
    if (c !== undefined) cands.push(c);
  }
  foldConsequencesOfErrors(trace, cands);

  // One suggestion per kind and service:operation; its weight is the sum, its sentence the strongest.
  const merged = new Map<string, Candidate>();
  for (const c of cands) {
    if (!(c.weight > 0)) continue;
    const key = c.kind + '\u0000' + c.service + '\u0000' + c.operation;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { ...c });
    else {
      if (c.weight > m.weight) {
        m.evidence = c.evidence;
        m.span = c.span;
      }
      m.weight += c.weight;
    }
  }
  const list = [...merged.values()].sort(
    (a, b) => b.weight - a.weight || (a.service + a.operation < b.service + b.operation ? -1 : 1),
  );
  let total = 0;
  for (const c of list) total += c.weight;
  const out: RootCause[] = list.map((c) => {
    const instance = c.span >= 0 ? spans[c.span].instance : undefined;
    return {
      service: c.service,
      operation: c.operation,
      ...(instance !== undefined ? { instance } : {}),
      kind: c.kind,
      contribution: Math.round((c.weight / total) * 1000) / 1000,
      evidence: c.evidence,
    };
  });
  // Rounding must not push the sum above 1.
  let sum = out.reduce((s, c) => s + c.contribution, 0);
  for (let k = out.length - 1; k >= 0 && sum > 1; k--) {
    const cut = Math.min(out[k].contribution, Math.round((sum - 1) * 1000) / 1000);
    out[k].contribution = Math.round((out[k].contribution - cut) * 1000) / 1000;
    sum -= cut;
  }
  // Cut after the rounding: the default list is then exactly the head of the full one.
  return opts.all ? out : topCauses(out, opts);
}

/**
 * Calls a caller skipped, cut short or made differently because a call below it failed are consequences of
 * that failure, not causes: a request that errors at cart skips the checkout it would have made next, and
 * the trace shows both. Structure findings whose caller lies on the way from an error's origin up to the
 * root hand their weight to the error, so the service where the error started carries the blame and the
 * skipped calls still count toward how surprising the trace is.
 */
function foldConsequencesOfErrors(trace: Trace, cands: Candidate[]): void {
  const errors = cands.filter((c) => c.kind === 'error' && c.span >= 0);
  if (errors.length === 0) return;
  const chain = new Set<number>();
  for (const e of errors) for (let i = e.span; i >= 0; i = trace.parent[i]) chain.add(i);
  const strongest = errors.reduce((a, b) => (b.weight > a.weight ? b : a));
  for (const c of cands) {
    if (c.afterError === undefined || !chain.has(c.afterError.caller)) continue;
    strongest.weight += c.weight;
    c.weight = 0;
  }
}

/**
 * A drop in a path's call count that a drop above it explains: when an ancestor's spans went missing,
 * everything below them is missing (or orphaned) too, and only the topmost drop is news.
 */
function belowAnotherDrop(ctx: EvidenceContext, e: Evidence): boolean {
  const cps = ctx.profile.callPaths;
  if (e.path < 0) return false;
  const drops = new Set<number>();
  for (const m of ctx.evidence)
    if (m.kind === 'call-count' && m.path >= 0 && m.observed < (m.normalP50 ?? 0)) drops.add(m.path);
  for (let p = cps[e.path].parent; p >= 0; p = cps[p].parent) if (drops.has(p)) return true;
  return false;
}

/** The root's duration beyond its normal median, µs (0 without a model of the root's path). */
function endToEndSlowdown(profile: TraceProfile, model: BaselineModel): number {
  const r = profile.rootSpan;
  if (r < 0) return 0;
  const cp = profile.callPaths[profile.spanCallPath[r]];
  const st = model.pathStats(profile.endpoint.key, cp.key, cp.service, cp.operation);
  return st === undefined ? 0 : Math.max(0, profile.rootDurationUs - st.durSummary!.p50Us);
}

interface EvidenceContext {
  trace: Trace;
  profile: TraceProfile;
  evidence: readonly Evidence[];
  callerOf: (path: number) => { service: string; operation: string } | undefined;
  absorbedMissing: Set<string>;
  gaps: GapAttribution;
  orphans: ReadonlySet<number>;
}

/** A call-count drop on a server path whose callers' client spans went unanswered at least that often. */
function lostSpans(ctx: EvidenceContext, e: Evidence): boolean {
  if (e.path < 0 || e.span < 0 || ctx.trace.spans[e.span].kind !== 'server') return false;
  const parent = ctx.profile.callPaths[e.path].parent;
  if (parent < 0) return false;
  const drop = (e.normalP50 ?? 0) - e.observed;
  const unanswered = unansweredCalls(ctx.trace, ctx.profile, parent);
  return drop > 0 && unanswered > 0 && 2 * unanswered >= drop;
}

function evidenceCause(e: Evidence, ctx: EvidenceContext): Candidate | undefined {
  const { trace, profile, callerOf, absorbedMissing } = ctx;
  const name = opName(e.service, e.operation);
  const named = (x: { service: string; operation: string } | undefined) =>
    x ? opName(x.service, x.operation) : 'the trace';
  const base = { service: e.service, operation: e.operation, span: e.span, weight: e.surprise };
  switch (e.kind) {
    case 'error': {
      const msg = e.span >= 0 ? trace.spans[e.span].statusMessage : undefined;
      const times = e.observed > 1 ? ` in ${e.observed} calls` : '';
      // A failed call that no server answered (connection refused, timeout, a cache or database that is
      // down) failed at the service it was calling.
      const peer = e.span >= 0 ? unansweredPeer(trace, e.span) : undefined;
      const waited = e.span >= 0 ? healthyCallee(trace, e.span) : -1;
      if (waited >= 0) {
        // The server answered and did not fail, yet the call did: the client gave up waiting (a timeout).
        const callee = trace.spans[waited];
        return {
          ...base,
          service: callee.service,
          operation: callee.operation,
          kind: 'latency',
          evidence: `${name} failed${times}${msg ? ` ("${msg.slice(0, 120)}")` : ''} after ${formatMs(trace.spans[e.span].duration)} while ${opName(callee.service, callee.operation)} took ${formatMs(callee.duration)} and did not fail: the call timed out waiting for ${callee.service}.`,
        };
      }
      if (peer !== undefined)
        return {
          ...base,
          service: peer,
          kind: 'error',
          evidence: `${name}, a call to ${peer}, failed${times}${msg ? ` ("${msg.slice(0, 120)}")` : ''} with no server span answering it, so the error starts at ${peer}; in normal traffic ${formatShareOf(e.frequency ?? 0, e.sample, 'such calls')} failed.`,
        };
      return {
        ...base,
        kind: 'error',
        evidence: `${name} failed${times}${msg ? ` ("${msg.slice(0, 120)}")` : ''} with no failing call below it, so the error starts here; in normal traffic ${formatShareOf(e.frequency ?? 0, e.sample, 'calls')} failed.`,
      };
    }
    case 'unseen-path': {
      // A top-level path that is not the root is an orphan: its caller's span was lost, which the orphans
      // finding reports; it is not a new call.
      if (e.span >= 0 && e.span !== trace.root && trace.parent[e.span] < 0 && ctx.orphans.has(e.span))
        return undefined;
      // A new client call is easier to recognise by the server it reaches.
      let callee = '';
      if (e.span >= 0 && trace.spans[e.span].kind === 'client') {
        for (const c of trace.children[e.span]) {
          const s = trace.spans[c];
          if (s.kind === 'server' && s.service !== e.service)
            callee = ` to ${opName(s.service, s.operation)}`;
        }
      }
      return {
        ...base,
        kind: 'structure',
        afterError: e.span >= 0 ? { caller: trace.parent[e.span] } : undefined,
        evidence:
          e.source === 'endpoint'
            ? `${named(callerOf(e.path))} called ${name}${callee} (${formatCount(e.observed)}x), a call ${formatShareOf(0, e.sample, 'normal traces of this endpoint')} made.`
            : `${named(callerOf(e.path))} called ${name}${callee}, which it does in ${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')}.`,
      };
    }
    case 'missing-path': {
      if (absorbedMissing.has(e.pathKey)) return undefined;
      // A missing path's evidence points at the caller's own path.
      const caller = named(e.path >= 0 ? profile.callPaths[e.path] : undefined);
      return {
        ...base,
        kind: 'structure',
        afterError: { caller: e.span },
        evidence: `${caller} did not call ${name}, which ${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces of this endpoint')} did.`,
      };
    }
    case 'call-count': {
      const caller = callerOf(e.path);
      const counts = `${named(caller)} called ${name} ${formatCount(e.observed)} times, normally ${formatCount(e.normalP50 ?? 0)} (p99 ${formatCount(e.normalP99 ?? 0)})`;
      // Extra calls to a failing callee are retries: the callee is the cause. Each failed call buys at most
      // one retry, so failures must account for a good part of the extra calls; a few failures among
      // many extra calls to a healthy callee (an N+1 meeting its usual error rate) are not retries.
      const extra = e.observed - (e.normalP50 ?? 0);
      const r = extra > 0 ? repeatedCalls(trace, profile, e.path) : undefined;
      if (r !== undefined && r.failed > 0 && 2 * r.failed >= extra)
        return {
          ...base,
          service: r.callee.service,
          operation: r.callee.operation,
          kind: 'error',
          evidence: `${counts}; ${r.failed} of the ${r.calls} calls failed, so the extra calls look like retries of a failing ${opName(r.callee.service, r.callee.operation)}.`,
        };
      if (extra < 0 && belowAnotherDrop(ctx, e)) return undefined;
      // Fewer server spans than the calls made to them: the server's spans were lost.
      if (extra < 0 && lostSpans(ctx, e))
        return {
          ...base,
          kind: 'instrumentation',
          evidence: `${counts}, yet ${named(caller)} made its usual calls: ${formatCount(unansweredCalls(trace, profile, e.path >= 0 ? profile.callPaths[e.path].parent : -1))} of them have no server span, so ${e.service} lost its spans.`,
        };
      // N+1 queries are the caller's doing: blame the caller, name the callee. Fewer calls than usual may
      // be a failure's doing (the caller gave up after it).
      return {
        ...base,
        service: caller?.service ?? e.service,
        operation: caller?.operation ?? e.operation,
        kind: 'structure',
        afterError: extra < 0 && e.span >= 0 ? { caller: trace.parent[e.span] } : undefined,
        evidence: `${counts}.`,
      };
    }
    case 'network-gap': {
      const client = e.clientService ?? callerOf(e.path)?.service ?? e.service;
      const server = e.serverService ?? e.service;
      const { side, reason } = ctx.gaps.side(client, server);
      const clientOp = callerOf(e.path);
      const blamed =
        side === 'client'
          ? { service: client, operation: clientOp?.service === client ? clientOp.operation : e.operation }
          : { service: server, operation: e.operation };
      return {
        ...base,
        ...blamed,
        kind: 'network',
        evidence: `${client} -> ${name}: ${formatMs(e.observed)} between the client span and the server span, normal p50 ${formatMs(e.normalP50 ?? 0)} and p99 ${formatMs(e.normalP99 ?? 0)}; ${reason}, so the delay is likely on ${side === 'client' ? client : server}'s side.`,
      };
    }
    case 'orphans': {
      // The lost parents most likely belong to the service whose usual span is missing from this trace.
      const lostIn = ctx.evidence.find(
        (m) =>
          m.service !== e.service &&
          (m.kind === 'missing-path' ||
            (m.kind === 'call-count' && m.observed < (m.normalP50 ?? 0) && lostSpans(ctx, m))),
      );
      return {
        ...base,
        ...(lostIn !== undefined ? { service: lostIn.service, operation: lostIn.operation } : {}),
        kind: 'instrumentation',
        evidence: `${formatCount(e.observed)} span(s) name a parent that is not in the trace (${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')} had orphans): spans were dropped or not propagated${lostIn !== undefined ? `, likely in ${lostIn.service}, whose usual ${opName(lostIn.service, lostIn.operation)} span is missing` : ''}.`,
      };
    }
    case 'root-missing':
      return {
        ...base,
        kind: 'instrumentation',
        evidence: `The trace has no root span (${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')} lacked one): the entry service did not report its span.`,
      };
    default:
      return undefined; // self-time and duration are handled by blameLatency
  }
}
