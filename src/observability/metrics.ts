/**
 * The service's Prometheus metrics, on prom-client. One registry per MetricsRegistry (never prom-client's
 * global one), so tests that build several apps in one process do not collide on metric names.
 *
 * The wrapper is kept only for two things prom-client does not do by itself: label keys are sorted before they
 * reach prom-client (it prints them in the caller's object order, and scrapers and tests match
 * `{reason=…,route=…}` as before), and `onCollect` hooks refresh gauges from Redis right before a scrape.
 */
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry,
  collectDefaultMetrics,
  prometheusContentType,
} from 'prom-client';

export type Labels = Record<string, string>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}
export interface Gauge {
  set(labels: Labels, v: number): void;
  inc(labels?: Labels, by?: number): void;
}
export interface Histogram {
  observe(labels: Labels, v: number): void;
}

function sorted(labels: Labels): Labels {
  const out: Labels = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k];
  return out;
}

export interface MetricsRegistryOptions {
  /**
   * prom-client's default process metrics (CPU, memory, heap, GC, event-loop lag, handles) under their standard
   * names; on unless a test wants only its own metrics in the output.
   */
  processMetrics?: boolean;
}

/** Metrics by name; `render()` is the /metrics body. */
export class MetricsRegistry {
  /** The prom-client registry, for code that wants prom-client's own metric types. */
  readonly prom = new Registry();
  private readonly collectors: (() => Promise<void> | void)[] = [];

  constructor(opts: MetricsRegistryOptions = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.prom });
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const m = new PromCounter({ name, help, labelNames, registers: [this.prom] });
    return { inc: (labels = {}, by = 1) => m.inc(sorted(labels), by) };
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    const m = new PromGauge({ name, help, labelNames, registers: [this.prom] });
    return {
      set: (labels, v) => m.set(sorted(labels), v),
      inc: (labels = {}, by = 1) => m.inc(sorted(labels), by),
    };
  }

  /** Buckets default to prom-client's (5 ms to 10 s), the ones our histograms always used. */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: number[]): Histogram {
    const m = new PromHistogram({
      name,
      help,
      labelNames,
      registers: [this.prom],
      ...(buckets && { buckets }),
    });
    return { observe: (labels, v) => m.observe(sorted(labels), v) };
  }

  /** Runs before every render, e.g. to read queue depths from Redis into a gauge. */
  onCollect(fn: () => Promise<void> | void): void {
    this.collectors.push(fn);
  }

  async render(): Promise<string> {
    for (const c of this.collectors) await c();
    return this.prom.metrics();
  }
}

export const PROMETHEUS_CONTENT_TYPE = prometheusContentType;
