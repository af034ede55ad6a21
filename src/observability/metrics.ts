/**
 * A small Prometheus text-format (0.0.4) registry: counters, gauges and histograms with labels. Enough for
 * the service's own metrics without a dependency.
 */

export type Labels = Record<string, string>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function labelKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    if (!NAME.test(name)) throw new Error(`metric name "${name}" is not valid`);
    for (const l of labelNames)
      if (!LABEL.test(l) || l === 'le') throw new Error(`label "${l}" is not valid`);
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract init(): S;
  protected abstract lines(labels: Labels, state: S): string[];

  protected get(labels: Labels): S {
    for (const k of Object.keys(labels))
      if (!this.labelNames.includes(k)) throw new Error(`${this.name}: unknown label "${k}"`);
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: { ...labels }, state: this.init() }));
    return s.state;
  }

  reset(): void {
    this.series.clear();
  }

  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, state } of this.series.values()) out.push(...this.lines(labels, state));
    return out.join('\n');
  }
}

export class Counter extends Metric<{ v: number }> {
  readonly type = 'counter';
  protected init() {
    return { v: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`${this.name}: a counter only goes up (inc by ${by})`);
    this.get(labels).v += by;
  }
  protected lines(labels: Labels, s: { v: number }) {
    return [`${this.name}${labelText(labels)} ${fmt(s.v)}`];
  }
}

export class Gauge extends Metric<{ v: number }> {
  readonly type = 'gauge';
  protected init() {
    return { v: 0 };
  }
  set(labels: Labels, v: number): void {
    this.get(labels).v = v;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.get(labels).v += by;
  }
  protected lines(labels: Labels, s: { v: number }) {
    return [`${this.name}${labelText(labels)} ${fmt(s.v)}`];
  }
}

interface HistState {
  counts: number[];
  sum: number;
  count: number;
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram extends Metric<HistState> {
  readonly type = 'histogram';
  readonly buckets: number[];

  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected init(): HistState {
    return { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
  }
  observe(labels: Labels, v: number): void {
    const s = this.get(labels);
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) s.counts[i]++;
    s.sum += v;
    s.count++;
  }
  protected lines(labels: Labels, s: HistState) {
    const out = this.buckets.map(
      (b, i) => `${this.name}_bucket${labelText(labels, ['le', fmt(b)])} ${s.counts[i]}`,
    );
    out.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${s.count}`);
    out.push(`${this.name}_sum${labelText(labels)} ${fmt(s.sum)}`);
    out.push(`${this.name}_count${labelText(labels)} ${s.count}`);
    return out;
  }
}

/** Metrics by name; `render()` is the /metrics body. `collect` hooks refresh gauges just before rendering. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, { name: string; render(): string }>();
  private readonly collectors: (() => Promise<void> | void)[] = [];

  private add<M extends { name: string; render(): string }>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  onCollect(fn: () => Promise<void> | void): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const c of this.collectors) await c();
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
