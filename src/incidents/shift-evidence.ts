import type { BaselineModel } from '../detectors/baseline/model.js';
import type { PathStats } from '../detectors/baseline/population.js';
import { toT } from '../detectors/baseline/log-sketch.js';
import type { TraceProfile } from '../features/profile.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';
import { unansweredPeer } from '../explain/span-roles.js';
import { errorOrigins } from '../trace/error-origins.js';
import { endpointKey } from '../trace/endpoint-key.js';
import type {
  AttributeShift,
  Example,
  HopShift,
  OperationShift,
  ServiceShift,
  ShiftEvidenceJson,
} from './shift-records.js';
import { structureSurprise } from './structure-surprise.js';

/**
 * What a window of traffic did to each service and operation, against the trained baseline: the evidence an
 * incident's root-cause ranking stands on. One trace at a time, mergeable (minutes merge into windows), so
 * the service can keep it per minute and the CLI can build it from files with the same code.
 *
 * Per-trace root causes only exist for traces the model flagged, and a fault often changes each trace a
 * little (a 20% CPU slowdown, an exception that ends a call early). Summed over a window those small changes
 * are plain: the mean robust z of an operation's self time moves, usual calls go missing. So besides the
 * per-trace causes we keep, per operation, sums of z scores against the baseline, and per service a
 * structure surprise, both with their expected values under normal traffic so that the ranking can compare
 * what is with what should be.
 */

/** z scores are clipped: one pathological span must not outweigh a window of moderately slow ones. */
const Z_CLIP = 6;
/** Attribute values longer than this are identifiers, not dimensions. */
const MAX_ATTRIBUTE_LENGTH = 80;
/** Distinct service|attribute=value pairs kept per evidence: a bound on memory, whatever the data. */
const MAX_ATTRIBUTES = 5000;
/** Paths whose model holds fewer spans do not judge tail exceedance (their 5th and 95th percentiles are noise). */
const MIN_TAIL_SAMPLES = 20;
/** Example traces kept per service: the ones whose spans there deviated most (an incident's members). */
const MAX_EXAMPLES = 10;

const newService = (): ServiceShift => ({
  traces: 0,
  scoreSum: 0,
  anomalous: 0,
  cause: 0,
  structureObserved: 0,
  structureExpected: 0,
  errorOrigins: 0,
  spans: 0,
});

/**
 * A span that stands for a call into another service: a client or producer span with a child in another
 * service, or, in traces without span kinds, any span with such a child. Its own time is the wire to its
 * server, which the hop's gap judges.
 */
function isHopClient(trace: Trace, i: number): boolean {
  const sp = trace.spans[i];
  if (sp.kind !== 'client' && sp.kind !== 'producer' && sp.kind !== 'internal') return false;
  for (const c of trace.children[i]) if (trace.spans[c].service !== sp.service) return true;
  return false;
}

/** Keeps the `max` heaviest examples, heaviest first. */
function keepTop(list: Example[], max = MAX_EXAMPLES): Example[] {
  list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (list.length > max) list.length = max;
  return list;
}

function clipZ(t: number, med: number, scale: number): number {
  const z = (t - med) / scale;
  return z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
}

export class ShiftEvidence {
  traces = 0;
  anomalous = 0;
  scoreSum = 0;
  readonly services = new Map<string, ServiceShift>();
  readonly operations = new Map<string, OperationShift>();
  readonly calls = new Map<string, Set<string>>();
  readonly hops = new Map<string, HopShift>();
  readonly attributes = new Map<string, AttributeShift>();
  readonly examples = new Map<string, Example[]>();

  private hop(client: string, server: string): HopShift {
    const key = client + '>' + server;
    let h = this.hops.get(key);
    if (h === undefined) this.hops.set(key, (h = { client, server, judged: 0, gapZ: 0 }));
    return h;
  }

  private service(name: string): ServiceShift {
    let s = this.services.get(name);
    if (s === undefined) this.services.set(name, (s = newService()));
    return s;
  }

  /**
   * Caches of `operations` and `attributes` by their parts: every span and every resource attribute of every
   * trace looks its counts up, and building the joined key for each lookup was about 40% of the evidence's
   * cost (measured on the simulated shop). A miss falls back to the joined key, so entries that merge or
   * fromJSON put there are found too.
   */
  private readonly operationIndex = new Map<string, Map<string, OperationShift>>();
  private readonly attributeIndex = new Map<string, Map<string, Map<string, AttributeShift>>>();

  private operation(service: string, operation: string): OperationShift {
    let byName = this.operationIndex.get(service);
    if (byName === undefined) this.operationIndex.set(service, (byName = new Map()));
    let o = byName.get(operation);
    if (o !== undefined) return o;
    const key = endpointKey(service, operation);
    o = this.operations.get(key);
    if (o === undefined)
      this.operations.set(
        key,
        (o = {
          service,
          operation,
          spans: 0,
          selfZ: 0,
          durZ: 0,
          judged: 0,
          tailJudged: 0,
          slow: 0,
          entryJudged: 0,
          early: 0,
          errorJudged: 0,
          errorOrigins: 0,
          errorCalls: 0,
          errorExpected: 0,
          instances: {},
        }),
      );
    byName.set(operation, o);
    return o;
  }

  /** The counts of `service|name=value`, undefined once MAX_ATTRIBUTES are kept and it is not among them. */
  private attribute(service: string, name: string, value: string): AttributeShift | undefined {
    let byName = this.attributeIndex.get(service);
    if (byName === undefined) this.attributeIndex.set(service, (byName = new Map()));
    let byValue = byName.get(name);
    if (byValue === undefined) byName.set(name, (byValue = new Map()));
    let a = byValue.get(value);
    if (a !== undefined) return a;
    const attribute = name + '=' + value;
    const key = service + '|' + attribute;
    a = this.attributes.get(key);
    if (a === undefined) {
      if (this.attributes.size >= MAX_ATTRIBUTES) return undefined;
      this.attributes.set(key, (a = { service, attribute, traces: 0, anomalous: 0 }));
    }
    byValue.set(value, a);
    return a;
  }

  /** Adds one scored trace, judged against the baseline it was scored with. */
  add(trace: Trace, profile: TraceProfile, scored: ScoredTrace, model: BaselineModel): void {
    this.traces++;
    this.scoreSum += scored.score;
    if (scored.anomalous) this.anomalous++;
    const touched = new Set<string>();
    const { spans } = trace;
    const cps = profile.callPaths;
    const endpointKey = profile.endpoint.key;
    const pathStats: (PathStats | undefined)[] = cps.map((cp) =>
      model.pathStats(endpointKey, cp.key, cp.service, cp.operation),
    );
    const origin = errorOrigins(trace);
    const deviation = new Map<string, number>();
    const deviate = (service: string, w: number) => deviation.set(service, (deviation.get(service) ?? 0) + w);
    for (let i = 0; i < spans.length; i++) {
      const sp = spans[i];
      touched.add(sp.service);
      const svc = this.service(sp.service);
      svc.spans++;
      const op = this.operation(sp.service, sp.operation);
      op.spans++;
      const st = pathStats[profile.spanCallPath[i]];
      const hopClient = isHopClient(trace, i);
      let zSelf = 0;
      let slow = false;
      let judgedTail = false;
      if (st?.selfSummary !== undefined && st.durSummary !== undefined) {
        const selfT = toT(profile.selfTimeUs[i]);
        const durT = toT(sp.duration);
        // A client span's own time is the wire to its server: the hop's gap below judges it, once.
        if (!hopClient) zSelf = clipZ(selfT, st.selfSummary.med, st.selfSummary.scale);
        op.selfZ += zSelf;
        op.durZ += clipZ(durT, st.durSummary.med, st.durSummary.scale);
        op.judged++;
        if (st.spans >= MIN_TAIL_SAMPLES) {
          judgedTail = !hopClient;
          if (judgedTail) {
            op.tailJudged++;
            slow = selfT > st.selfSummary.p95T;
            if (slow) op.slow++;
          }
          // Early ends are judged where the service answers a call: a caller's span ends early too when its
          // callee did, and that is the callee's doing.
          const parent = trace.parent[i];
          if (parent < 0 || spans[parent].service !== sp.service) {
            op.entryJudged++;
            if (durT < st.durSummary.p05T) {
              op.early++;
              deviate(sp.service, 0.5);
            }
          }
        }
      }
      if (slow) deviate(sp.service, 1);
      if (sp.instance !== undefined) {
        const inst = (op.instances[sp.instance] ??= { spans: 0, selfZ: 0 });
        inst.spans++;
        inst.selfZ += zSelf;
        if (judgedTail) {
          inst.tailJudged = (inst.tailJudged ?? 0) + 1;
          if (slow) inst.slow = (inst.slow ?? 0) + 1;
        }
      }
      const p = trace.parent[i];
      if (p >= 0 && spans[p].service !== sp.service) {
        let callees = this.calls.get(spans[p].service);
        if (callees === undefined) this.calls.set(spans[p].service, (callees = new Set()));
        callees.add(sp.service);
      }
      // A call no server answered (a cache or database without spans of its own; a service refusing
      // connections or timing out) is judged as the service it was calling: its errors start there.
      const peer = unansweredPeer(trace, i);
      if (peer !== undefined && peer !== sp.service) {
        let callees = this.calls.get(sp.service);
        if (callees === undefined) this.calls.set(sp.service, (callees = new Set()));
        callees.add(peer);
      }
      const errorsAt = peer === undefined ? op : this.operation(peer, sp.operation);
      if (st !== undefined) {
        const p = trace.parent[i];
        if (peer !== undefined || p < 0 || spans[p].service !== sp.service) errorsAt.errorCalls++;
        errorsAt.errorJudged++;
        errorsAt.errorExpected += st.errorOrigins / Math.max(1, st.spans);
      }
      if (origin[i]) {
        this.service(peer ?? sp.service).errorOrigins++;
        errorsAt.errorOrigins++;
        deviate(peer ?? sp.service, 2);
      }
    }
    this.addAttributes(trace, scored.anomalous);
    for (const name of touched) {
      const svc = this.service(name);
      svc.traces++;
      svc.scoreSum += scored.score;
      if (scored.anomalous) svc.anomalous++;
    }
    if (scored.anomalous)
      for (const c of scored.rootCauses) this.service(c.service).cause += scored.score * c.contribution;
    this.addStructure(profile, model);
    for (const h of profile.networkHops) {
      const g = model.gapStats(endpointKey, h.key, h.clientService, h.serverService, cps[h.path].operation);
      if (g?.summary === undefined) continue;
      const hop = this.hop(h.clientService, h.serverService);
      hop.judged++;
      const gapT = toT(h.maxGapUs);
      hop.gapZ += clipZ(gapT, g.summary.med, g.summary.scale);
      if (g.traces >= MIN_TAIL_SAMPLES) {
        hop.tailJudged = (hop.tailJudged ?? 0) + 1;
        if (gapT > g.summary.p95T) {
          hop.slow = (hop.slow ?? 0) + 1;
          deviate(h.serverService, 1);
        }
      }
    }
    for (const [service, w] of deviation) this.addExamples(service, [[scored.traceId, w, endpointKey]]);
  }

  private addExamples(service: string, list: readonly Example[]): void {
    const mine = this.examples.get(service) ?? [];
    for (const e of list) if (!mine.some((m) => m[0] === e[0])) mine.push([e[0], e[1], e[2]]);
    this.examples.set(service, keepTop(mine));
  }

  /** Structure surprise (see structureSurprise), blamed on the caller's service, at most 1 per trace. */
  private addStructure(profile: TraceProfile, model: BaselineModel): void {
    const surprise = structureSurprise(profile, model);
    if (surprise === undefined) return;
    for (const [s, e] of surprise.expected) this.service(s).structureExpected += Math.min(1, e);
    for (const [s, o] of surprise.observed) this.service(s).structureObserved += Math.min(1, o);
  }

  /**
   * Resource attributes (version, pod, host, zone...) and the instance, once per trace and service. Span
   * attributes are left out: they are mostly per-request values (ids, URLs) whose cardinality would swamp
   * the comparison, and the values that matter for a fault (where and which build) live on the resource.
   */
  private addAttributes(trace: Trace, anomalous: boolean): void {
    // Spans of one process share its resource object and instance: read each pair once per trace.
    const done = new Map<object, Set<string | undefined>>();
    const seen = new Set<AttributeShift>();
    const count = (a: AttributeShift | undefined) => {
      if (a === undefined || seen.has(a)) return;
      seen.add(a);
      a.traces++;
      if (anomalous) a.anomalous++;
    };
    for (const sp of trace.spans) {
      let instances = done.get(sp.resource);
      if (instances === undefined) done.set(sp.resource, (instances = new Set()));
      else if (instances.has(sp.instance)) continue;
      instances.add(sp.instance);
      if (sp.instance !== undefined) count(this.attribute(sp.service, 'instance', sp.instance));
      for (const k in sp.resource) {
        const v = sp.resource[k];
        if (
          k === 'service.name' ||
          (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        )
          continue;
        const text = String(v);
        if (text.length <= MAX_ATTRIBUTE_LENGTH) count(this.attribute(sp.service, k, text));
      }
    }
  }

  merge(other: ShiftEvidence): this {
    this.traces += other.traces;
    this.anomalous += other.anomalous;
    this.scoreSum += other.scoreSum;
    for (const [name, o] of other.services) {
      const s = this.service(name);
      for (const k of Object.keys(o) as (keyof ServiceShift)[]) s[k] += o[k];
    }
    for (const o of other.operations.values()) {
      const t = this.operation(o.service, o.operation);
      t.spans += o.spans;
      t.selfZ += o.selfZ;
      t.durZ += o.durZ;
      t.judged += o.judged;
      t.tailJudged += o.tailJudged;
      t.slow += o.slow;
      t.entryJudged += o.entryJudged;
      t.early += o.early;
      t.errorJudged += o.errorJudged;
      t.errorOrigins += o.errorOrigins;
      t.errorCalls += o.errorCalls;
      t.errorExpected += o.errorExpected;
      for (const [name, i] of Object.entries(o.instances)) {
        const ti = (t.instances[name] ??= { spans: 0, selfZ: 0 });
        ti.spans += i.spans;
        ti.selfZ += i.selfZ;
        if (i.tailJudged) ti.tailJudged = (ti.tailJudged ?? 0) + i.tailJudged;
        if (i.slow) ti.slow = (ti.slow ?? 0) + i.slow;
      }
    }
    for (const [k, a] of other.attributes) {
      const t = this.attributes.get(k);
      if (t !== undefined) {
        t.traces += a.traces;
        t.anomalous += a.anomalous;
      } else if (this.attributes.size < MAX_ATTRIBUTES) this.attributes.set(k, { ...a });
    }
    for (const h of other.hops.values()) {
      const t = this.hop(h.client, h.server);
      t.judged += h.judged;
      t.gapZ += h.gapZ;
      if (h.tailJudged) t.tailJudged = (t.tailJudged ?? 0) + h.tailJudged;
      if (h.slow) t.slow = (t.slow ?? 0) + h.slow;
    }
    for (const [service, list] of other.examples) this.addExamples(service, list);
    for (const [caller, callees] of other.calls) {
      let c = this.calls.get(caller);
      if (c === undefined) this.calls.set(caller, (c = new Set()));
      for (const x of callees) c.add(x);
    }
    return this;
  }

  toJSON(): ShiftEvidenceJson {
    return {
      traces: this.traces,
      anomalous: this.anomalous,
      scoreSum: this.scoreSum,
      services: Object.fromEntries(this.services),
      operations: Object.fromEntries(this.operations),
      hops: Object.fromEntries(this.hops),
      attributes: Object.fromEntries(this.attributes),
      calls: Object.fromEntries([...this.calls].map(([k, v]) => [k, [...v].sort()])),
      examples: Object.fromEntries(this.examples),
    };
  }

  static fromJSON(j: ShiftEvidenceJson): ShiftEvidence {
    const e = new ShiftEvidence();
    e.traces = j.traces;
    e.anomalous = j.anomalous;
    e.scoreSum = j.scoreSum;
    for (const [k, v] of Object.entries(j.services)) e.services.set(k, { ...v });
    // Fields added later default to 0, so evidence stored by an older version still reads.
    for (const [k, v] of Object.entries(j.operations))
      e.operations.set(k, {
        ...v,
        tailJudged: v.tailJudged ?? 0,
        slow: v.slow ?? 0,
        entryJudged: v.entryJudged ?? 0,
        early: v.early ?? 0,
        errorJudged: v.errorJudged ?? 0,
        errorOrigins: v.errorOrigins ?? 0,
        errorCalls: v.errorCalls ?? 0,
        errorExpected: v.errorExpected ?? 0,
        instances: structuredClone(v.instances),
      });
    for (const [k, v] of Object.entries(j.hops ?? {})) e.hops.set(k, { ...v });
    for (const [k, v] of Object.entries(j.attributes ?? {})) e.attributes.set(k, { ...v });
    for (const [k, v] of Object.entries(j.calls)) e.calls.set(k, new Set(v));
    for (const [k, v] of Object.entries(j.examples ?? {}))
      e.examples.set(
        k,
        v.map(([id, w, endpoint]) => [id, w, endpoint]),
      );
    return e;
  }
}
