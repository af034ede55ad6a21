/**
 * One testbed run: a private Redis and `tracehound serve`, the instrumented app pushing to it, steady load;
 * fault-free until every entry endpoint has a model, then the plan's faults switched on and off; then what
 * Tracehound's public API says (incidents, anomalies) against what the app recorded. Progress goes to `log`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Incident } from '../../src/incidents/incident.js';
import type { Anomaly } from '../../src/store/anomaly-record.js';
import { freePort } from '../../src/app/private-redis.js';
import { startApp, type OtelApp } from './app.js';
import {
  cleanAt,
  evaluate,
  MINUTE_MS,
  type FaultWindow,
  type RunFigures,
  type SeenIncident,
} from './evaluate.js';
import { ENTRY_PAGES, LoadGenerator } from './load.js';
import type { Plan } from './plans.js';
import { startTracehound } from './tracehound.js';

export interface RunResult {
  plan: string;
  startedAt: string;
  wallS: number;
  /** From traffic start: when every entry endpoint had an active model, and when the faults began. */
  modelsReadyAfterS: number;
  faultPhaseAfterS: number;
  figures: RunFigures;
  /** Traces Tracehound scored, against requests sent (a push that lost spans or traces shows here). */
  tracesScored: number;
  /** Per root endpoint: a root outside frontend is a trace whose frontend spans came too late or never. */
  endpoints: EndpointCount[];
  /** Warnings and errors in the processes' logs, one line each with a count. */
  logProblems: string[];
  /** Every incident: when it was listed first, its window and its causes in order. */
  incidents: {
    id: string;
    firstSeenS: number;
    start: string;
    end: string;
    causes: string[];
    /** Its strongest signals: kind, target, suspect, evidence (why it blamed whom). */
    signals: string[];
  }[];
  /** The fault-free anomalies (at most 200): what a false positive looks like, for whoever tunes against it. */
  cleanAnomalies: CleanAnomaly[];
  logDir: string;
}

interface CleanAnomaly {
  /** Seconds after traffic started. */
  atS: number;
  endpoint: string;
  durationMs: number;
  score: number;
  surprise?: number;
  /** Each detector's calibrated score: which of them flagged it. */
  detectors: Record<string, number>;
  cause?: string;
  evidence?: string;
}

interface EndpointCount {
  endpoint: string;
  scored: number;
  anomalous: number;
}

const minuteStart = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;
const sleepUntil = (t: number) => sleep(Math.max(0, t - Date.now()));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/** Every item of a paginated list of the API. */
async function listAll<T>(base: string, path: string, query: Record<string, string>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const q = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
    const page = await getJson<{ items: T[]; nextCursor?: string }>(`${base}${path}?${q}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Polls GET /v1/incidents to learn when each incident was first listed, and with which first cause. */
class IncidentWatcher {
  readonly seen = new Map<string, { at: number; firstCause?: string }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly base: string) {}

  start(everyMs = 3000): void {
    const poll = async () => {
      try {
        for (const i of await listAll<Incident>(this.base, '/v1/incidents', {}))
          if (!this.seen.has(i.id))
            this.seen.set(i.id, { at: Date.now(), firstCause: i.rootCauses[0]?.service });
      } catch {
        // A poll that failed is retried on the next tick; the final read does not depend on it.
      }
      this.timer = setTimeout(() => void poll(), everyMs);
    };
    void poll();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** Each distinct warning or error line of the logs (numbers masked), with how often it came. */
function logProblems(files: string[]): string[] {
  const counts = new Map<string, number>();
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const name = f.slice(f.lastIndexOf('/') + 1, -'.log'.length);
    for (const line of text.split('\n')) {
      if (!/warn|error|fail|exception|could not|timed out|missing/i.test(line) || /^\s+at /.test(line))
        continue;
      if (/TRACEHOUND_API_KEYS is not set/.test(line)) continue;
      const key = `${name}: ${line
        .replace(/^\S+Z /, '')
        .replace(/\d+/g, 'N')
        .slice(0, 200)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}x ${k}`);
}

/**
 * Waits until every entry endpoint has an active model (Tracehound names the endpoints from the frontend's
 * server spans, so they are counted, not named); returns when.
 */
async function waitForModels(
  url: string,
  loadStart: number,
  maxWarmupS: number,
  phase: (p: string) => void,
): Promise<number> {
  for (;;) {
    const models = await getJson<{ items: { endpoint: string; activeVersion?: number }[] }>(
      `${url}/v1/models`,
    );
    const active = models.items.filter(
      (m) => m.activeVersion !== undefined && m.endpoint.startsWith('frontend:'),
    );
    phase(`warm-up (${active.length} of ${ENTRY_PAGES.length} entry endpoints with a model)`);
    if (active.length >= ENTRY_PAGES.length) return Date.now();
    if (Date.now() - loadStart > maxWarmupS * 1000)
      throw new Error(
        `${active.length} of ${ENTRY_PAGES.length} entry endpoints had an active model after ${maxWarmupS} s of traffic (${active.map((m) => m.endpoint).join(', ')})`,
      );
    await sleep(2000);
  }
}

/** Switches the plan's faults on and off at their times; each window holds when its switch really turned. */
async function switchFaults(
  app: OtelApp,
  plan: Plan,
  faultPhase: number,
  phase: (p: string) => void,
  say: (msg: string) => void,
): Promise<FaultWindow[]> {
  const windows: FaultWindow[] = [];
  const events = plan.faults
    .flatMap((f) => [
      { at: faultPhase + f.startS * 1000, f, on: true },
      { at: faultPhase + (f.startS + f.durationS) * 1000, f, on: false },
    ])
    .sort((a, b) => a.at - b.at || Number(a.on) - Number(b.on));
  const open = new Map<string, FaultWindow>();
  for (const e of events) {
    await sleepUntil(e.at);
    await app.setFault(e.f.service, e.on ? e.f.fault : { kind: 'none' });
    if (e.on) {
      open.set(e.f.name, {
        name: e.f.name,
        service: e.f.service,
        kind: e.f.fault.kind,
        start: Date.now(),
        end: 0,
      });
      phase(`fault ${e.f.name}`);
    } else {
      const w = open.get(e.f.name)!;
      w.end = Date.now();
      windows.push(w);
      phase('after faults');
    }
    say(`${e.on ? 'on' : 'off'}: ${e.f.name}`);
  }
  return windows;
}

export async function runTestbed(
  plan: Plan,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<RunResult> {
  const t0 = Date.now();
  const logDir = mkdtempSync(join(tmpdir(), `otel-app-${plan.name}-`));
  const say = (msg: string) =>
    log(`[otel-app ${plan.name}] ${((Date.now() - t0) / 1000).toFixed(0)} s: ${msg}`);
  say(`starting Redis, tracehound serve and seven services (logs in ${logDir})`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [th, app] = await Promise.all([
    startTracehound({ env: plan.env, port, logDir }),
    startApp({ tracehound: url, logDir, batchDelayMs: plan.batchDelayMs }),
  ]);
  const load = new LoadGenerator(app.url, plan.rate);
  const watcher = new IncidentWatcher(url);
  let phase = 'warm-up';
  const progress = setInterval(
    () => say(`${phase}: ${load.records.length} requests answered, ${watcher.seen.size} incident(s) listed`),
    15_000,
  );
  try {
    load.start();
    watcher.start();
    const loadStart = Date.now();
    say(`traffic at ${plan.rate} requests/s; waiting for a model on each entry endpoint`);
    const modelsReadyAt = await waitForModels(url, loadStart, plan.maxWarmupS, (p) => (phase = p));
    // The first whole minute with three minutes of traffic before it and cleanBeforeS of scored traffic.
    const faultPhase =
      minuteStart(
        Math.max(minuteStart(loadStart) + 3 * MINUTE_MS, modelsReadyAt + plan.cleanBeforeS * 1000) - 1,
      ) + MINUTE_MS;
    phase = 'fault-free, models active';
    say(`models active; faults begin at ${new Date(faultPhase).toISOString()}`);

    const windows = await switchFaults(app, plan, faultPhase, (p) => (phase = p), say);
    const lastEnd = faultPhase + Math.max(...plan.faults.map((f) => f.startS + f.durationS)) * 1000;
    await sleepUntil(lastEnd + plan.tailS * 1000);
    await load.stop();
    const loadEnd = Date.now();
    // The minute holding the last planned fault second must be judged, and the last traces scored.
    const delayS = Number(plan.env.TRACEHOUND_INCIDENT_DELAY ?? 120);
    const intervalS = Number(plan.env.TRACEHOUND_INCIDENT_INTERVAL ?? 60);
    const settleS = Number(plan.env.TRACEHOUND_POLL_SETTLE ?? 30);
    const readAt = Math.max(
      minuteStart(lastEnd - 1) + MINUTE_MS + (delayS + intervalS + 10) * 1000,
      loadEnd + (settleS + plan.batchDelayMs / 1000 + 10) * 1000,
    );
    phase = 'waiting for the last minutes to be judged';
    await sleepUntil(readAt);
    watcher.stop();

    const incidents = await listAll<Incident>(url, '/v1/incidents', {});
    const anomalies = await listAll<Anomaly>(url, '/v1/anomalies', {
      order: 'time',
      from: new Date(loadStart - MINUTE_MS).toISOString(),
    });
    const endpoints = await getJson<{ items: EndpointCount[] }>(`${url}/v1/endpoints`);
    const seen: SeenIncident[] = incidents.map((incident) => {
      const s = watcher.seen.get(incident.id);
      return { incident, firstSeenAt: s?.at ?? Date.now(), firstCauseAtOpen: s?.firstCause };
    });
    const stalls = await app.stalls();
    const figures = evaluate({
      faults: windows,
      incidents: seen,
      anomalies: anomalies.map((a) => ({
        traceId: a.traceId,
        start: Date.parse(a.startTime),
        firstCause: a.rootCauses[0]?.service,
      })),
      requests: load.records,
      injected: await app.injected(),
      stalls,
      modelsReadyAt,
      loadEnd,
    });
    say(
      `done: ${figures.incidents} incident(s), fault-free anomalies ${figures.cleanAnomalies}/${figures.cleanRequests}`,
    );
    return {
      plan: plan.name,
      startedAt: new Date(t0).toISOString(),
      wallS: Math.round((Date.now() - t0) / 1000),
      modelsReadyAfterS: Math.round((modelsReadyAt - loadStart) / 1000),
      faultPhaseAfterS: Math.round((faultPhase - loadStart) / 1000),
      figures,
      tracesScored: endpoints.items.reduce((a, e) => a + e.scored, 0),
      incidents: seen.map((s) => ({
        id: s.incident.id,
        firstSeenS: Math.round((s.firstSeenAt - loadStart) / 1000),
        start: s.incident.start,
        end: s.incident.end,
        causes: s.incident.rootCauses.slice(0, 3).map((c) => c.service),
        signals: s.incident.signals
          .slice(0, 8)
          .map((g) => `${g.kind} ${g.target.key} -> ${g.suspect ?? '?'}: ${g.evidence}`),
      })),
      endpoints: endpoints.items.map(({ endpoint, scored, anomalous }) => ({ endpoint, scored, anomalous })),
      logProblems: logProblems([th.logFile, ...app.logs()]).slice(0, 30),
      cleanAnomalies: anomalies
        .filter((a) => cleanAt(Date.parse(a.startTime), windows, modelsReadyAt, loadEnd, stalls))
        .slice(0, 200)
        .map((a) => ({
          atS: Math.round((Date.parse(a.startTime) - loadStart) / 100) / 10,
          endpoint: `${a.service}:${a.operation}`,
          durationMs: a.durationMs,
          score: a.score,
          surprise: a.surprise,
          detectors: a.detectors,
          cause: a.rootCauses[0] && `${a.rootCauses[0].service} ${a.rootCauses[0].kind}`,
          evidence: a.rootCauses[0]?.evidence,
        })),
      logDir,
    };
  } finally {
    clearInterval(progress);
    watcher.stop();
    await load.stop();
    await Promise.all([app.close(), th.close()]);
  }
}
