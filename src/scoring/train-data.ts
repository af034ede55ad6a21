import type { BaselineProfile, BaselineTrace } from '../detectors/baseline/index.js';
import { scalarFeatures, SCALAR_FEATURE_NAMES } from '../features/catalogue.js';
import {
  extractProfile,
  type CallPathStats,
  type Endpoint,
  type NetworkHopStats,
  type TraceProfile,
} from '../features/profile.js';
import type { Trace } from '../trace/trace.js';
import type { ScreenSource } from './screen.js';

/** What training reads of one trace's profile: the baseline's part, its start and its scalar features. */
export type TrainingProfile = BaselineProfile &
  Pick<TraceProfile, 'startUs'> & { scalarFeatures: Float64Array };

type Typed = Float64Array | Int32Array | Uint8Array;

/** A typed array that grows by doubling: one allocation per column, not one object per value. */
class Column<T extends Typed> {
  length = 0;
  data: T;

  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  view(from: number, to: number): T {
    return this.data.subarray(from, to) as T;
  }
}

const f64 = () => new Column((n) => new Float64Array(n));
const i32 = () => new Column((n) => new Int32Array(n));
const u8 = () => new Column((n) => new Uint8Array(n));

/**
 * A training window kept as columns: per trace, per call path, per network hop and per span, the numbers
 * training reads, with every string interned once. A trace is added as it is read, and the trace and its
 * full profile can go at once: measured on Nezha Online Boutique 08-22 (935k spans), traces held as objects
 * take 620 MB of heap and their profiles 385 MB more; 08-23 (1.25M spans) as columns takes 175 MB of typed
 * arrays, room to grow included. `view(i)` builds, for one
 * pass, the objects the baseline reads, with the same values the full trace and profile would give.
 */
export class TrainingData implements ScreenSource {
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly endpoints: Endpoint[] = [];
  private readonly endpointIds = new Map<string, number>();

  // Per trace; the *At columns hold where its paths, hops and spans begin (one extra entry at the end).
  private readonly endpoint = i32();
  private readonly start = f64();
  private readonly orphans = i32();
  private readonly rootMissing = u8();
  private readonly rootSpan = i32();
  private readonly scalars = f64();
  private readonly pathAt = i32();
  private readonly hopAt = i32();
  private readonly spanAt = i32();

  private readonly path = {
    key: i32(),
    parent: i32(),
    depth: i32(),
    service: i32(),
    operation: i32(),
    count: i32(),
    total: f64(),
    max: f64(),
    self: f64(),
    errors: i32(),
    critical: f64(),
    maxRepeat: i32(),
  };
  private readonly hop = {
    path: i32(),
    key: i32(),
    client: i32(),
    server: i32(),
    count: i32(),
    totalGap: f64(),
    maxGap: f64(),
  };
  private readonly span = {
    path: i32(),
    self: f64(),
    duration: f64(),
    error: u8(),
    parent: i32(),
    order: i32(),
  };

  constructor() {
    this.pathAt.push(0);
    this.hopAt.push(0);
    this.spanAt.push(0);
  }

  static from(traces: readonly Trace[], onProgress?: (done: number, total: number) => void): TrainingData {
    const data = new TrainingData();
    for (let i = 0; i < traces.length; i++) {
      data.add(traces[i]);
      if (i % 2000 === 0) onProgress?.(i, traces.length);
    }
    onProgress?.(traces.length, traces.length);
    return data;
  }

  get length(): number {
    return this.endpoint.length;
  }

  /** Spans over all traces. */
  get spans(): number {
    return this.span.path.length;
  }

  /** Distinct endpoints. */
  get endpointCount(): number {
    return this.endpoints.length;
  }

  private id(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Adds a trace, its profile given when the caller has it already. Neither is kept. */
  add(trace: Trace, profile: TraceProfile = extractProfile(trace)): void {
    const ep = profile.endpoint;
    let e = this.endpointIds.get(ep.key);
    if (e === undefined) {
      e = this.endpoints.length;
      this.endpoints.push({ service: ep.service, operation: ep.operation, key: ep.key });
      this.endpointIds.set(ep.key, e);
    }
    this.endpoint.push(e);
    this.start.push(profile.startUs);
    this.orphans.push(profile.orphans);
    this.rootMissing.push(profile.rootMissing ? 1 : 0);
    this.rootSpan.push(profile.rootSpan);
    for (const v of scalarFeatures(profile)) this.scalars.push(v);

    const p = this.path;
    for (const cp of profile.callPaths) {
      p.key.push(this.id(cp.key));
      p.parent.push(cp.parent);
      p.depth.push(cp.depth);
      p.service.push(this.id(cp.service));
      p.operation.push(this.id(cp.operation));
      p.count.push(cp.count);
      p.total.push(cp.totalDurationUs);
      p.max.push(cp.maxDurationUs);
      p.self.push(cp.selfTimeUs);
      p.errors.push(cp.errors);
      p.critical.push(cp.criticalPathUs);
      p.maxRepeat.push(cp.maxRepeat);
    }
    this.pathAt.push(p.key.length);

    const h = this.hop;
    for (const hop of profile.networkHops) {
      h.path.push(hop.path);
      h.key.push(this.id(hop.key));
      h.client.push(this.id(hop.clientService));
      h.server.push(this.id(hop.serverService));
      h.count.push(hop.count);
      h.totalGap.push(hop.totalGapUs);
      h.maxGap.push(hop.maxGapUs);
    }
    this.hopAt.push(h.path.length);

    const s = this.span;
    const { spans, parent, order } = trace;
    for (let k = 0; k < spans.length; k++) {
      s.path.push(profile.spanCallPath[k]);
      s.self.push(profile.selfTimeUs[k]);
      s.duration.push(spans[k].duration);
      s.error.push(spans[k].error ? 1 : 0);
      s.parent.push(parent[k]);
      s.order.push(order[k]);
    }
    this.spanAt.push(s.path.length);
  }

  endpointKey(i: number): string {
    return this.endpoints[this.endpoint.data[i]].key;
  }

  startUs(i: number): number {
    return this.start.data[i];
  }

  spanCount(i: number): number {
    return this.spanAt.data[i + 1] - this.spanAt.data[i];
  }

  forEachPath(i: number, fn: (key: string, selfTimeUs: number) => void): void {
    const { key, self } = this.path;
    for (let q = this.pathAt.data[i]; q < this.pathAt.data[i + 1]; q++)
      fn(this.strings[key.data[q]], self.data[q]);
  }

  /** Trace i's profile as training reads it; built afresh on each call. */
  profile(i: number): TrainingProfile {
    const str = this.strings;
    const p = this.path;
    const from = this.pathAt.data[i];
    const callPaths: CallPathStats[] = new Array(this.pathAt.data[i + 1] - from);
    for (let k = 0; k < callPaths.length; k++) {
      const q = from + k;
      callPaths[k] = {
        key: str[p.key.data[q]],
        parent: p.parent.data[q],
        depth: p.depth.data[q],
        service: str[p.service.data[q]],
        operation: str[p.operation.data[q]],
        count: p.count.data[q],
        totalDurationUs: p.total.data[q],
        maxDurationUs: p.max.data[q],
        selfTimeUs: p.self.data[q],
        errors: p.errors.data[q],
        criticalPathUs: p.critical.data[q],
        maxRepeat: p.maxRepeat.data[q],
      };
    }
    const h = this.hop;
    const networkHops: NetworkHopStats[] = [];
    for (let q = this.hopAt.data[i]; q < this.hopAt.data[i + 1]; q++)
      networkHops.push({
        path: h.path.data[q],
        key: str[h.key.data[q]],
        clientService: str[h.client.data[q]],
        serverService: str[h.server.data[q]],
        count: h.count.data[q],
        totalGapUs: h.totalGap.data[q],
        maxGapUs: h.maxGap.data[q],
      });
    const a = this.spanAt.data[i];
    const b = this.spanAt.data[i + 1];
    const width = SCALAR_FEATURE_NAMES.length;
    return {
      endpoint: this.endpoints[this.endpoint.data[i]],
      startUs: this.start.data[i],
      orphans: this.orphans.data[i],
      rootMissing: this.rootMissing.data[i] === 1,
      rootSpan: this.rootSpan.data[i],
      callPaths,
      networkHops,
      spanCallPath: this.span.path.view(a, b),
      selfTimeUs: this.span.self.view(a, b),
      scalarFeatures: this.scalars.view(i * width, (i + 1) * width),
    };
  }

  /** Trace i as the baseline reads it: span durations and errors, and the tree; built afresh on each call. */
  trace(i: number): BaselineTrace {
    const s = this.span;
    const a = this.spanAt.data[i];
    const b = this.spanAt.data[i + 1];
    const spans: { duration: number; error: boolean }[] = new Array(b - a);
    for (let k = a; k < b; k++) spans[k - a] = { duration: s.duration.data[k], error: s.error.data[k] === 1 };
    return { spans, parent: s.parent.view(a, b), order: s.order.view(a, b) };
  }

  view(i: number): { trace: BaselineTrace; profile: TrainingProfile } {
    return { trace: this.trace(i), profile: this.profile(i) };
  }
}
