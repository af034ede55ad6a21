import { peerServiceOf } from '../trace/semconv.js';
import type { ScoredTrace } from '../scoring/scored-trace.js';
import type { Trace } from '../trace/trace.js';
import { QualityStat, addTraceQuality } from './quality.js';
import { minuteOf, MINUTE_US } from './minute.js';
import { TargetStat } from './target-stat.js';
import { edgeKey, endpointKey } from '../trace/endpoint-key.js';

/** What the aggregates need of a scored trace; absent for traces nobody scored (counted as normal). */
export type Verdict = Pick<ScoredTrace, 'anomalous' | 'rootCauses'>;

export type TargetType = 'endpoint' | 'edge' | 'service';

/** Field name prefixes of a minute's encoding (the Redis hash fields; see src/store/aggregates.ts). */
export const FIELD_PREFIX = { endpoint: 'ep:', edge: 'ed:', service: 'sv:', quality: 'q:' } as const;

/** Whether client span `i` has a child in another service (the server side that answered it). */
function answered(trace: Trace, i: number): boolean {
  const own = trace.spans[i].service;
  for (const c of trace.children[i]) if (trace.spans[c].service !== own) return true;
  return false;
}

const statAt = (map: Map<string, TargetStat>, key: string): TargetStat => {
  let s = map.get(key);
  if (s === undefined) map.set(key, (s = new TargetStat()));
  return s;
};

/**
 * One minute of traffic: per endpoint (root `service:operation`), per edge
 * (`callerService:callerOp->calleeService:calleeOp`) and per service. A trace belongs to the minute its
 * earliest span starts in, whole, so a trace is never split across minutes.
 */
export class MinuteBucket {
  readonly endpoints = new Map<string, TargetStat>();
  readonly edges = new Map<string, TargetStat>();
  readonly services = new Map<string, TargetStat>();
  readonly quality = new Map<string, QualityStat>();

  constructor(readonly minute: number) {}

  targets(type: TargetType): Map<string, TargetStat> {
    return type === 'endpoint' ? this.endpoints : type === 'edge' ? this.edges : this.services;
  }

  merge(o: MinuteBucket): void {
    for (const type of ['endpoint', 'edge', 'service'] as const) {
      const mine = this.targets(type);
      for (const [k, s] of o.targets(type)) statAt(mine, k).merge(s);
    }
    for (const [k, q] of o.quality) {
      let mine = this.quality.get(k);
      if (mine === undefined) this.quality.set(k, (mine = new QualityStat()));
      mine.merge(q);
    }
  }

  /** Field name -> positional numbers: the unit Redis stores and merges. */
  fields(): Array<[string, number[]]> {
    const out: Array<[string, number[]]> = [];
    for (const type of ['endpoint', 'edge', 'service'] as const)
      for (const [k, s] of this.targets(type)) out.push([FIELD_PREFIX[type] + k, s.encode()]);
    for (const [k, q] of this.quality) out.push([FIELD_PREFIX.quality + k, q.encode()]);
    return out;
  }

  /** The inverse of fields(); values may be the JSON text Redis returns. Unknown prefixes are refused. */
  static fromFields(
    minute: number,
    fields: Iterable<[string, string | unknown]>,
    where: string,
  ): MinuteBucket {
    const b = new MinuteBucket(minute);
    for (const [name, raw] of fields) {
      let value: unknown = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          throw new Error(`${where}, field "${name}": not JSON`);
        }
      }
      const at = `${where}, field "${name}"`;
      if (name.startsWith(FIELD_PREFIX.quality)) {
        b.quality.set(name.slice(FIELD_PREFIX.quality.length), QualityStat.decode(value, at));
        continue;
      }
      const type = (['endpoint', 'edge', 'service'] as const).find((t) => name.startsWith(FIELD_PREFIX[t]));
      if (type === undefined) throw new Error(`${at}: unknown field prefix`);
      b.targets(type).set(name.slice(FIELD_PREFIX[type].length), TargetStat.decode(value, at));
    }
    return b;
  }
}

export interface AggregatesJson {
  /** Minute buckets in time order; `minute` in µs since the epoch. */
  minutes: Array<{ minute: number; fields: Record<string, number[]> }>;
}

/**
 * Per-minute buckets built from (trace, verdict) pairs. Pure and mergeable: the service records each scored
 * batch and Redis merges the minutes; files are aggregated the same way offline.
 *
 * Edges: a span whose parent runs in another service is one call. The caller is named by its service's
 * entry span (the server or consumer span that received the request, or the top of that service's part of
 * the trace when spans carry no kinds), not by the client span, whose name usually repeats the callee's;
 * so a client->server hop collapses into `caller service:operation -> server service:operation`. The call's
 * latency is the client span's when there is one (it includes the wire), else the callee's span's. A client
 * span no server span answered counts on the edge to its `peer.service`, under the client span's name.
 */
export class Aggregates {
  private readonly byMinute = new Map<number, MinuteBucket>();
  private traceSeq = 0;
  private callerSeq = 0;
  private entry = new Int32Array(64);

  get size(): number {
    return this.byMinute.size;
  }

  bucket(minute: number): MinuteBucket | undefined {
    return this.byMinute.get(minute);
  }

  private bucketAt(minute: number): MinuteBucket {
    let b = this.byMinute.get(minute);
    if (b === undefined) this.byMinute.set(minute, (b = new MinuteBucket(minute)));
    return b;
  }

  /** Minutes held, ascending. */
  minutes(): number[] {
    return [...this.byMinute.keys()].sort((a, b) => a - b);
  }

  /** Buckets whose minute lies in [from, to] (µs; both optional), ascending. */
  buckets(from = -Infinity, to = Infinity): MinuteBucket[] {
    return this.minutes()
      .filter((m) => m >= from && m <= to)
      .map((m) => this.byMinute.get(m)!);
  }

  addBatch(traces: readonly Trace[], verdicts?: readonly (Verdict | undefined)[]): void {
    for (let i = 0; i < traces.length; i++) this.add(traces[i], verdicts?.[i]);
  }

  add(trace: Trace, verdict?: Verdict): void {
    const { spans, parent, order } = trace;
    const n = spans.length;
    if (n === 0 || trace.root < 0) return;
    const b = this.bucketAt(minuteOf(trace.start));
    const mark = this.traceSeq++;
    const callerBase = this.callerSeq;
    this.callerSeq += n;
    const anomalous = verdict?.anomalous === true;

    const r = spans[trace.root];
    const ep = statAt(b.endpoints, endpointKey(r.service, r.operation));
    ep.calls++;
    ep.traces++;
    if (r.error) ep.errors++;
    if (anomalous) ep.anomalous++;
    ep.latency.add(r.duration);

    if (this.entry.length < n) this.entry = new Int32Array(Math.max(n, this.entry.length * 2));
    const entry = this.entry;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      const s = spans[i];
      const p = parent[i];
      const ps = p >= 0 ? spans[p] : undefined;
      const crosses = ps !== undefined && ps.service !== s.service;
      if (ps === undefined || crosses || s.kind === 'server' || s.kind === 'consumer') {
        entry[i] = i;
        const sv = statAt(b.services, s.service);
        sv.calls++;
        if (s.error) sv.errors++;
        sv.latency.add(s.duration);
        if (sv.traceMark !== mark) {
          sv.traceMark = mark;
          sv.traces++;
          if (anomalous) sv.anomalous++;
        }
      } else entry[i] = entry[p];
      if (crosses) {
        const caller = spans[entry[p]];
        const viaClient = ps.kind === 'client';
        this.call(
          b,
          edgeKey(endpointKey(caller.service, caller.operation), endpointKey(s.service, s.operation)),
          s.error || (viaClient && ps.error),
          viaClient ? ps.duration : s.duration,
          mark,
          callerBase + entry[p],
          anomalous,
        );
      }
      // A call nobody answered in the trace (the callee down, or not instrumented) is still a call on the
      // edge to the service the client names; its errors are often the only trace of the outage.
      if ((s.kind === 'client' || s.kind === 'producer') && !answered(trace, i)) {
        const peer = peerServiceOf(s.attributes);
        if (peer !== undefined && peer !== s.service)
          this.call(
            b,
            edgeKey(
              endpointKey(spans[entry[i]].service, spans[entry[i]].operation),
              endpointKey(peer, s.operation),
            ),
            s.error,
            s.duration,
            mark,
            callerBase + entry[i],
            anomalous,
          );
      }
    }

    if (anomalous) {
      const first = verdict?.rootCauses[0]?.service;
      if (first !== undefined) statAt(b.services, first).heat++;
    }
    addTraceQuality(b.quality, trace, mark);
  }

  private call(
    b: MinuteBucket,
    key: string,
    error: boolean,
    latencyUs: number,
    mark: number,
    callerMark: number,
    anomalous: boolean,
  ): void {
    const ed = statAt(b.edges, key);
    ed.calls++;
    if (error) ed.errors++;
    ed.latency.add(latencyUs);
    if (ed.traceMark !== mark) {
      ed.traceMark = mark;
      ed.traces++;
      if (anomalous) ed.anomalous++;
    }
    // Calls of one caller span sit together in a pre-order walk, so "a new caller" is "not the last one".
    if (ed.callerMark !== callerMark) {
      ed.callerMark = callerMark;
      ed.callers++;
    }
  }

  merge(other: Aggregates): this {
    for (const [m, ob] of other.byMinute) this.bucketAt(m).merge(ob);
    return this;
  }

  /** Adds a bucket (read back from storage) into this set, merging with what the minute already holds. */
  mergeBucket(bucket: MinuteBucket): this {
    this.bucketAt(bucket.minute).merge(bucket);
    return this;
  }

  toJSON(): AggregatesJson {
    return {
      minutes: this.minutes().map((m) => ({
        minute: m,
        fields: Object.fromEntries(this.byMinute.get(m)!.fields()),
      })),
    };
  }

  static fromJSON(j: unknown, where = 'aggregates'): Aggregates {
    const list = (j as AggregatesJson | null)?.minutes;
    if (!Array.isArray(list)) throw new Error(`${where}: expected {"minutes": [...]}`);
    const agg = new Aggregates();
    list.forEach((x, i) => {
      const at = `${where}, minute ${i}`;
      if (!Number.isInteger(x?.minute) || x.minute % MINUTE_US !== 0)
        throw new Error(`${at}: "minute" must be a whole minute in µs since the epoch`);
      if (typeof x.fields !== 'object' || x.fields === null)
        throw new Error(`${at}: "fields" must be an object`);
      agg.mergeBucket(MinuteBucket.fromFields(x.minute, Object.entries(x.fields), at));
    });
    return agg;
  }
}

/** Sums the targets of one type over buckets: the window view topology and signals read. */
export function sumTargets(buckets: readonly MinuteBucket[], type: TargetType): Map<string, TargetStat> {
  const out = new Map<string, TargetStat>();
  for (const b of buckets) for (const [k, s] of b.targets(type)) statAt(out, k).merge(s);
  return out;
}

export function sumQuality(buckets: readonly MinuteBucket[]): Map<string, QualityStat> {
  const out = new Map<string, QualityStat>();
  for (const b of buckets)
    for (const [k, q] of b.quality) {
      let mine = out.get(k);
      if (mine === undefined) out.set(k, (mine = new QualityStat()));
      mine.merge(q);
    }
  return out;
}

/**
 * Stored per-minute buckets, read by a window: the buckets of the minutes in [from, to] (µs, minute-aligned,
 * both ends included) that hold traffic. The incident signals, the topology and quality routes and the
 * sampling advice all read through it.
 */
export interface AggregateHistory {
  buckets(from: number, to: number): Promise<MinuteBucket[]>;
}
