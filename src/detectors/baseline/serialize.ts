import { LogSketch } from './log-sketch.js';
import { resolveOptions, type BaselineOptions } from './options.js';
import { GapStats, PathStats, Population } from './population.js';
import type { SpreadRule } from './summary.js';
import {
  BASELINE_FORMAT,
  BASELINE_VERSION,
  ShapeError,
  checkModelJson,
  type BaselineModelJson,
  type PopulationJson,
} from './model-json.js';

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function populationToJson(p: Population): PopulationJson {
  return {
    key: p.key,
    traces: p.traces,
    orphanTraces: p.orphanTraces,
    rootMissingTraces: p.rootMissingTraces,
    paths: [...p.paths.values()].sort(byKey).map((s) => ({
      key: s.key,
      parent: s.parentKey,
      service: s.service,
      operation: s.operation,
      traces: s.traces,
      spans: s.spans,
      errorSpans: s.errorSpans,
      errorOrigins: s.errorOrigins,
      self: s.self.toJSON(),
      dur: s.dur.toJSON(),
      counts: [...s.counts.hist.entries()].sort((a, b) => a[0] - b[0]),
    })),
    gaps: [...p.gaps.values()].sort(byKey).map((g) => ({
      key: g.key,
      client: g.clientService,
      server: g.serverService,
      traces: g.traces,
      sketch: g.sketch.toJSON(),
    })),
    edges: [...p.edges.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  };
}

export function modelToJson(
  options: BaselineOptions,
  pooled: Population,
  endpoints: Map<string, Population>,
): BaselineModelJson {
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    options: { ...options },
    pooled: populationToJson(pooled),
    endpoints: [...endpoints.values()].sort(byKey).map(populationToJson),
  };
}

function populationFromJson(j: PopulationJson, pooled: boolean, where: string, rule: SpreadRule): Population {
  const pop = new Population(j.key, pooled);
  pop.traces = j.traces;
  pop.orphanTraces = j.orphanTraces;
  pop.rootMissingTraces = j.rootMissingTraces;
  j.paths.forEach((pj, i) => {
    const at = `${where}.paths[${i}] (${pj.key})`;
    if (pop.paths.has(pj.key)) throw new Error(`${at}: duplicate path key`);
    if (pj.traces > j.traces)
      throw new Error(`${at}: seen in ${pj.traces} traces but the population has ${j.traces}`);
    const s = new PathStats(pj.key, pj.parent, pj.service, pj.operation);
    s.traces = pj.traces;
    s.spans = pj.spans;
    s.errorSpans = pj.errorSpans;
    s.errorOrigins = pj.errorOrigins;
    s.self.merge(LogSketch.fromJSON(pj.self, `${at}.self`));
    s.dur.merge(LogSketch.fromJSON(pj.dur, `${at}.dur`));
    for (const [c, n] of pj.counts) s.counts.add(c, n);
    pop.paths.set(pj.key, s);
  });
  j.gaps.forEach((gj, i) => {
    const at = `${where}.gaps[${i}] (${gj.key})`;
    if (pop.gaps.has(gj.key)) throw new Error(`${at}: duplicate gap key`);
    const g = new GapStats(gj.key, gj.client, gj.server);
    g.traces = gj.traces;
    g.sketch.merge(LogSketch.fromJSON(gj.sketch, `${at}.sketch`));
    pop.gaps.set(gj.key, g);
  });
  for (const [e, n] of j.edges) pop.edges.set(e, n);
  pop.freeze(rule);
  return pop;
}

/** Parses and validates a serialized model; errors name the offending field (e.g. `endpoints.2.paths.0.self.c.3`). */
export function modelFromJson(json: unknown): {
  options: BaselineOptions;
  pooled: Population;
  endpoints: Map<string, Population>;
} {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      throw new Error(`baseline model: not JSON (${(e as Error).message})`);
    }
  }
  let j: BaselineModelJson;
  try {
    j = checkModelJson(json);
  } catch (e) {
    if (e instanceof ShapeError) throw new Error(`baseline model: invalid (${e.message})`);
    throw e;
  }
  const options = resolveOptions(j.options);
  const pooled = populationFromJson(j.pooled, true, 'pooled', options);
  const endpoints = new Map<string, Population>();
  j.endpoints.forEach((ej, i) => {
    if (endpoints.has(ej.key))
      throw new Error(`baseline model: endpoints[${i}]: duplicate endpoint ${ej.key}`);
    endpoints.set(ej.key, populationFromJson(ej, false, `endpoints[${i}]`, options));
  });
  return { options, pooled, endpoints };
}
