import { describe, expect, it } from 'vitest';
import { Aggregates } from '../../src/traffic/minute-buckets.js';
import { buildTopology, TopologySchema } from '../../src/traffic/service-graph.js';
import { generate } from '../../src/sim/generate.js';
import { listScenarios } from '../../src/sim/scenarios.js';
import {
  callsOf,
  opKey,
  splitKey,
  targetsOf,
  type Topology as SimTopology,
} from '../../src/sim/system-topology.js';
import { normalizeTrace } from '../../src/trace/normalize.js';

/**
 * Services and caller -> callee service pairs a system definition produces: everything reachable from its
 * endpoints (every call target, cache fallbacks and fills too). A random system may define operations no
 * endpoint reaches; those never show in traces.
 */
function defined(t: SimTopology): { services: string[]; edges: string[] } {
  const ops = new Map(t.operations.map((o) => [opKey(o.service, o.name), o]));
  const seen = new Set<string>(t.endpoints.map((e) => e.op));
  const queue = [...seen];
  const services = new Set<string>();
  const edges = new Set<string>();
  while (queue.length > 0) {
    const op = ops.get(queue.pop()!)!;
    services.add(op.service);
    for (const c of callsOf(op))
      for (const target of targetsOf(c)) {
        const callee = splitKey(target).service;
        if (callee !== op.service) edges.add(`${op.service} -> ${callee}`);
        if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
  }
  return { services: [...services].sort(), edges: [...edges].sort() };
}

const systems = [
  ...new Map(
    listScenarios()
      .filter((s) => s.faults.length === 0)
      .map((s) => [s.system, s]),
  ).values(),
];

describe('topology rebuilt from simulated traces', () => {
  it('covers every simulated system', () => {
    expect(systems.map((s) => s.system).sort()).toEqual(['chain', 'random', 'search', 'shop']);
  });

  for (const scenario of systems) {
    it(`matches the ${scenario.system} system it was generated from`, () => {
      const g = generate(scenario, { seed: 3, durationS: 300 });
      const agg = new Aggregates();
      g.traces.forEach((spans) => agg.add(normalizeTrace(spans[0].traceId, spans)));
      expect(g.traces.length).toBeGreaterThan(500);
      const topo = TopologySchema.parse(buildTopology(agg.buckets()));
      const def = defined(scenario.topology());
      expect(def.services.length).toBeGreaterThan(5);
      expect(topo.nodes.map((n) => n.service).sort()).toEqual(def.services);
      expect(topo.edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual(def.edges);
      for (const n of topo.nodes) expect(n.calls, n.service).toBeGreaterThan(0);
    });
  }
});
