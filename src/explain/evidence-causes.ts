import type { Evidence, EvidenceKind } from '../detectors/baseline/evidence.js';
import type { TraceProfile } from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import type { Candidate } from './candidate.js';
import { healthyCallee, unansweredPeer } from './span-roles.js';
import { formatCount, formatMs, formatShareOf, opName } from './format.js';
import type { GapAttribution } from './network.js';
import { repeatedCalls, unansweredCalls } from './repeats.js';

/** What the rules need beside the one piece of evidence they turn into a cause. */
export interface EvidenceContext {
  trace: Trace;
  profile: TraceProfile;
  evidence: readonly Evidence[];
  callerOf: (path: number) => { service: string; operation: string } | undefined;
  /** Missing paths already told as part of an instrumentation gap (a latency blame). */
  absorbedMissing: Set<string>;
  gaps: GapAttribution;
  orphans: ReadonlySet<number>;
}

/** Turns one piece of evidence into a cause; undefined when it adds none (another finding tells it). */
type EvidenceRule = (ctx: EvidenceContext, e: Evidence) => Candidate | undefined;

/** The cause one piece of evidence suggests. Self time and duration have no rule: blameLatency handles them. */
export function evidenceCause(ctx: EvidenceContext, e: Evidence): Candidate | undefined {
  return RULES[e.kind]?.(ctx, e);
}

const named = (x: { service: string; operation: string } | undefined) =>
  x ? opName(x.service, x.operation) : 'the trace';

const baseOf = (e: Evidence) => ({
  service: e.service,
  operation: e.operation,
  span: e.span,
  weight: e.surprise,
});

const quoted = (msg: string | undefined) => (msg ? ` ("${msg.slice(0, 120)}")` : '');

const errorCause: EvidenceRule = (ctx, e) => {
  const { trace } = ctx;
  const name = opName(e.service, e.operation);
  const msg = e.span >= 0 ? trace.spans[e.span].statusMessage : undefined;
  const times = e.observed > 1 ? ` in ${e.observed} calls` : '';
  const waited = e.span >= 0 ? healthyCallee(trace, e.span) : -1;
  if (waited >= 0) {
    // The server answered and did not fail, yet the call did: the client gave up waiting (a timeout).
    const callee = trace.spans[waited];
    return {
      ...baseOf(e),
      service: callee.service,
      operation: callee.operation,
      kind: 'latency',
      evidence: `${name} failed${times}${quoted(msg)} after ${formatMs(trace.spans[e.span].duration)} while ${opName(callee.service, callee.operation)} took ${formatMs(callee.duration)} and did not fail: the call timed out waiting for ${callee.service}.`,
    };
  }
  // A failed call that no server answered (connection refused, timeout, a cache or database that is
  // down) failed at the service it was calling.
  const peer = e.span >= 0 ? unansweredPeer(trace, e.span) : undefined;
  if (peer !== undefined)
    return {
      ...baseOf(e),
      service: peer,
      kind: 'error',
      evidence: `${name}, a call to ${peer}, failed${times}${quoted(msg)} with no server span answering it, so the error starts at ${peer}; in normal traffic ${formatShareOf(e.frequency ?? 0, e.sample, 'such calls')} failed.`,
    };
  return {
    ...baseOf(e),
    kind: 'error',
    evidence: `${name} failed${times}${quoted(msg)} with no failing call below it, so the error starts here; in normal traffic ${formatShareOf(e.frequency ?? 0, e.sample, 'calls')} failed.`,
  };
};

const unseenPathCause: EvidenceRule = (ctx, e) => {
  const { trace } = ctx;
  // A top-level path that is not the root is an orphan: its caller's span was lost, which the orphans
  // finding reports; it is not a new call.
  if (e.span >= 0 && e.span !== trace.root && trace.parent[e.span] < 0 && ctx.orphans.has(e.span))
    return undefined;
  const name = opName(e.service, e.operation);
  // A new client call is easier to recognise by the server it reaches.
  let callee = '';
  if (e.span >= 0 && trace.spans[e.span].kind === 'client') {
    for (const c of trace.children[e.span]) {
      const s = trace.spans[c];
      if (s.kind === 'server' && s.service !== e.service) callee = ` to ${opName(s.service, s.operation)}`;
    }
  }
  const caller = named(ctx.callerOf(e.path));
  return {
    ...baseOf(e),
    kind: 'structure',
    afterError: e.span >= 0 ? { caller: trace.parent[e.span] } : undefined,
    evidence:
      e.source === 'endpoint'
        ? `${caller} called ${name}${callee} (${formatCount(e.observed)}x), a call ${formatShareOf(0, e.sample, 'normal traces of this endpoint')} made.`
        : `${caller} called ${name}${callee}, which it does in ${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')}.`,
  };
};

const missingPathCause: EvidenceRule = (ctx, e) => {
  if (ctx.absorbedMissing.has(e.pathKey)) return undefined;
  // A missing path's evidence points at the caller's own path.
  const caller = named(e.path >= 0 ? ctx.profile.callPaths[e.path] : undefined);
  return {
    ...baseOf(e),
    kind: 'structure',
    afterError: { caller: e.span },
    evidence: `${caller} did not call ${opName(e.service, e.operation)}, which ${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces of this endpoint')} did.`,
  };
};

const callCountCause: EvidenceRule = (ctx, e) => {
  const { trace, profile } = ctx;
  const caller = ctx.callerOf(e.path);
  const counts = `${named(caller)} called ${opName(e.service, e.operation)} ${formatCount(e.observed)} times, normally ${formatCount(e.normalP50 ?? 0)} (p99 ${formatCount(e.normalP99 ?? 0)})`;
  // Extra calls to a failing callee are retries: the callee is the cause. Each failed call buys at most
  // one retry, so failures must account for a good part of the extra calls; a few failures among
  // many extra calls to a healthy callee (an N+1 meeting its usual error rate) are not retries.
  const extra = e.observed - (e.normalP50 ?? 0);
  const r = extra > 0 ? repeatedCalls(trace, profile, e.path) : undefined;
  if (r !== undefined && r.failed > 0 && 2 * r.failed >= extra)
    return {
      ...baseOf(e),
      service: r.callee.service,
      operation: r.callee.operation,
      kind: 'error',
      evidence: `${counts}; ${r.failed} of the ${r.calls} calls failed, so the extra calls look like retries of a failing ${opName(r.callee.service, r.callee.operation)}.`,
    };
  if (extra < 0 && belowAnotherDrop(ctx, e)) return undefined;
  // Fewer server spans than the calls made to them: the server's spans were lost.
  if (extra < 0 && lostSpans(ctx, e))
    return {
      ...baseOf(e),
      kind: 'instrumentation',
      evidence: `${counts}, yet ${named(caller)} made its usual calls: ${formatCount(unansweredCalls(trace, profile, e.path >= 0 ? profile.callPaths[e.path].parent : -1))} of them have no server span, so ${e.service} lost its spans.`,
    };
  // N+1 queries are the caller's doing: blame the caller, name the callee. Fewer calls than usual may
  // be a failure's doing (the caller gave up after it).
  return {
    ...baseOf(e),
    service: caller?.service ?? e.service,
    operation: caller?.operation ?? e.operation,
    kind: 'structure',
    afterError: extra < 0 && e.span >= 0 ? { caller: trace.parent[e.span] } : undefined,
    evidence: `${counts}.`,
  };
};

const networkGapCause: EvidenceRule = (ctx, e) => {
  const clientOp = ctx.callerOf(e.path);
  const client = e.clientService ?? clientOp?.service ?? e.service;
  const server = e.serverService ?? e.service;
  const { side, reason } = ctx.gaps.side(client, server, e.path);
  const blamed =
    side === 'client'
      ? { service: client, operation: clientOp?.service === client ? clientOp.operation : e.operation }
      : { service: server, operation: e.operation };
  return {
    ...baseOf(e),
    ...blamed,
    kind: 'network',
    evidence: `${client} -> ${opName(e.service, e.operation)}: ${formatMs(e.observed)} between the client span and the server span, normal p50 ${formatMs(e.normalP50 ?? 0)} and p99 ${formatMs(e.normalP99 ?? 0)}; ${reason}, so the delay is likely on ${side === 'client' ? client : server}'s side.`,
  };
};

const orphansCause: EvidenceRule = (ctx, e) => {
  // The lost parents most likely belong to the service whose usual span is missing from this trace.
  const lostIn = ctx.evidence.find(
    (m) =>
      m.service !== e.service &&
      (m.kind === 'missing-path' ||
        (m.kind === 'call-count' && m.observed < (m.normalP50 ?? 0) && lostSpans(ctx, m))),
  );
  return {
    ...baseOf(e),
    ...(lostIn !== undefined ? { service: lostIn.service, operation: lostIn.operation } : {}),
    kind: 'instrumentation',
    evidence: `${formatCount(e.observed)} span(s) name a parent that is not in the trace (${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')} had orphans): spans were dropped or not propagated${lostIn !== undefined ? `, likely in ${lostIn.service}, whose usual ${opName(lostIn.service, lostIn.operation)} span is missing` : ''}.`,
  };
};

const rootMissingCause: EvidenceRule = (_ctx, e) => ({
  ...baseOf(e),
  kind: 'instrumentation',
  evidence: `The trace has no root span (${formatShareOf(e.frequency ?? 0, e.sample, 'normal traces')} lacked one): the entry service did not report its span.`,
});

const RULES: Partial<Record<EvidenceKind, EvidenceRule>> = {
  error: errorCause,
  'unseen-path': unseenPathCause,
  'missing-path': missingPathCause,
  'call-count': callCountCause,
  'network-gap': networkGapCause,
  orphans: orphansCause,
  'root-missing': rootMissingCause,
};

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

/** A call-count drop on a server path whose callers' client spans went unanswered at least that often. */
function lostSpans(ctx: EvidenceContext, e: Evidence): boolean {
  if (e.path < 0 || e.span < 0 || ctx.trace.spans[e.span].kind !== 'server') return false;
  const parent = ctx.profile.callPaths[e.path].parent;
  if (parent < 0) return false;
  const drop = (e.normalP50 ?? 0) - e.observed;
  const unanswered = unansweredCalls(ctx.trace, ctx.profile, parent);
  return drop > 0 && unanswered > 0 && 2 * unanswered >= drop;
}
