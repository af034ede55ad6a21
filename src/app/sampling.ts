import type { SamplingApi } from '../api/routes/sampling.js';
import type { AggregateHistory, MinuteBucket } from '../traffic/minute-buckets.js';
import type { ModelRegistry } from '../registry/redis-registry.js';
import { adviseService } from '../sampling/advise.js';
import { jaegerStrategy, type JaegerStrategy } from '../sampling/jaeger.js';
import { current } from '../sampling/smoothing.js';
import type { SamplingOptions } from '../sampling/options.js';
import { learnedP99Us } from '../sampling/thresholds.js';
import { tailSamplingConfig, type TailSamplingConfig } from '../sampling/tail.js';
import { adviceWindows } from '../sampling/traffic.js';
import type { IncidentStore } from '../store/incidents.js';
import type { SamplingStateStore } from '../store/sampling-state.js';

export interface SamplingAdvisorDeps {
  aggregates: AggregateHistory;
  incidents: Pick<IncidentStore, 'list'>;
  registry: Pick<ModelRegistry, 'endpoints' | 'activeVersion' | 'baseline'>;
  states: Pick<SamplingStateStore, 'get' | 'swap'>;
  options: SamplingOptions;
  /** How long an answer is reused, ms: tracers poll often, and the inputs change by the minute (default 5000). */
  cacheMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

/** What every answer of one moment reads: the stored minutes and the open incidents' endpoints. */
interface Inputs {
  buckets: MinuteBucket[];
  incidentEndpoints: Set<string>;
}

/** Services whose answers are held at once; more are asked for only by mistake or malice. */
const MAX_CACHED_SERVICES = 10_000;

/** A value made at most once per `ms` and shared by whoever asks meanwhile; a failure is not kept. */
class Fresh<T> {
  private held?: { at: number; value: Promise<T> };

  constructor(private readonly ms: number) {}

  get(now: number, make: () => Promise<T>): Promise<T> {
    if (this.held && now - this.held.at < this.ms) return this.held.value;
    const value = make();
    const held = { at: now, value };
    this.held = held;
    value.catch(() => {
      if (this.held === held) this.held = undefined;
    });
    return value;
  }
}

type TailAnswer = { config: TailSamplingConfig; generatedAt: Date };

/**
 * Serves sampling advice from the stores: the core (src/sampling) computes, this reads its inputs, keeps each
 * service's state in Redis and caches answers for `cacheMs`, so a fleet of tracers polling every few seconds
 * costs a few Redis reads per service per period. A service Tracehound has never seen gets the cold start and
 * leaves nothing in Redis (anyone may ask about any name).
 */
export class SamplingAdvisor implements SamplingApi {
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly inputs: Fresh<Inputs>;
  private history?: { to: number; buckets: MinuteBucket[] };
  private readonly answers = new Map<string, Fresh<JaegerStrategy>>();
  private readonly tail: Fresh<TailAnswer>;
  /** p99 per `endpoint@version`: a version's baseline never changes. */
  private readonly p99 = new Map<string, number | undefined>();

  constructor(private readonly d: SamplingAdvisorDeps) {
    this.cacheMs = d.cacheMs ?? 5000;
    this.now = d.now ?? Date.now;
    this.inputs = new Fresh(this.cacheMs);
    this.tail = new Fresh(this.cacheMs);
  }

  jaeger(service: string): Promise<JaegerStrategy> {
    const now = this.now();
    let fresh = this.answers.get(service);
    if (fresh === undefined) {
      // Map order is first-asked first: the service asked about first makes room.
      if (this.answers.size >= MAX_CACHED_SERVICES) this.answers.delete(this.answers.keys().next().value!);
      this.answers.set(service, (fresh = new Fresh(this.cacheMs)));
    }
    return fresh.get(now, () => this.advise(service, now));
  }

  tailSampling(): Promise<TailAnswer> {
    const now = this.now();
    return this.tail.get(now, () => this.tailConfig(now));
  }

  private async advise(service: string, now: number): Promise<JaegerStrategy> {
    const inputs = await this.read(now);
    const stored = await this.d.states.get(service, this.d.log);
    const advice = adviseService({ service, ...inputs, state: stored.state, nowMs: now }, this.d.options);
    const known =
      stored.state !== undefined ||
      advice.operations.length > 0 ||
      advice.strategy.operationSampling.perOperationStrategies.length > 0;
    if (!known || (await this.d.states.swap(service, stored.token, advice.state))) return advice.strategy;
    // Another replica stepped this service meanwhile: its state is as fresh as ours would be; serve that.
    const theirs = (await this.d.states.get(service, this.d.log)).state;
    return theirs ? jaegerStrategy(current(theirs), this.d.options.floorTps) : advice.strategy;
  }

  private async tailConfig(now: number): Promise<TailAnswer> {
    const inputs = await this.read(now);
    const thresholds = new Map<string, number>();
    for (const endpoint of await this.d.registry.endpoints()) {
      const version = await this.d.registry.activeVersion(endpoint);
      if (version === undefined) continue;
      const key = `${endpoint}@${version}`;
      if (!this.p99.has(key)) {
        try {
          this.p99.set(key, learnedP99Us(await this.d.registry.baseline(endpoint, version), endpoint));
        } catch (err) {
          // One unreadable model costs its endpoint its latency policy, not everybody their configuration.
          this.d.log?.(`sampling advice: ${(err as Error).message}; no latency policy for ${endpoint}`);
          this.p99.set(key, undefined);
        }
      }
      const p99 = this.p99.get(key);
      if (p99 !== undefined) thresholds.set(endpoint, p99);
    }
    return {
      config: tailSamplingConfig({ ...inputs, thresholds, nowMs: now }, this.d.options),
      generatedAt: new Date(now),
    };
  }

  /** The inputs of this moment, read once per cache period whoever asks. */
  private read(now: number): Promise<Inputs> {
    return this.inputs.get(now, () => this.load(now));
  }

  private async load(now: number): Promise<Inputs> {
    const w = adviceWindows(now, this.d.options);
    // The history before the window moves by a minute at a time: read again only then.
    if (this.history?.to !== w.rateFrom)
      this.history = {
        to: w.rateFrom,
        buckets: await this.d.aggregates.buckets(w.historyFrom, w.rateFrom - 1),
      };
    const recent = await this.d.aggregates.buckets(w.rateFrom, w.now);
    const incidentEndpoints = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.d.incidents.list({ status: 'open', limit: 500, cursor });
      for (const i of page.items) for (const e of i.endpoints) incidentEndpoints.add(e);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return { buckets: [...this.history.buckets, ...recent], incidentEndpoints };
  }
}
