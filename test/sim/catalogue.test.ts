import { describe, expect, it } from 'vitest';
import { FAULT_TYPES } from '../../src/sim/faults.js';
import { generate } from '../../src/sim/generate.js';
import { getScenario, listScenarios } from '../../src/sim/scenarios.js';
import { randomTopology } from '../../src/sim/systems/random.js';
import { compileTopology } from '../../src/sim/compile.js';
import { validateTopology, type Topology } from '../../src/sim/system-topology.js';
import { shortened } from './helpers.js';

describe('scenario catalogue', () => {
  it('has a normal scenario and one per fault type for each named system, plus demo', () => {
    const names = listScenarios().map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const sys of ['shop', 'chain', 'search']) {
      expect(names).toContain(`${sys}-normal`);
      for (const f of FAULT_TYPES) expect(names).toContain(`${sys}-${f}`);
    }
    expect(names).toContain('demo');
    for (const s of listScenarios()) expect(s.description.length).toBeGreaterThan(10);
    expect(() => getScenario('no-such-thing')).toThrow(/unknown scenario "no-such-thing"/);
  });

  it('every fault scenario changes traces inside its window only, with truth naming the fault root', () => {
    for (const s of listScenarios().filter((x) => x.faults.length === 1 && x.system !== 'random')) {
      const g = generate(shortened(s.name, 20, 50, 60), { seed: 3 });
      const f = g.truth.faults[0];
      expect(f.start).toBe(g.truth.start + 20e6);
      expect(f.end).toBe(g.truth.start + 50e6);
      const anomalous = g.truth.traces.filter((t) => t.anomalous);
      expect(anomalous.length, s.name).toBeGreaterThan(5);
      for (const t of anomalous) {
        expect(t.start, s.name).toBeGreaterThanOrEqual(f.start);
        expect(t.start, s.name).toBeLessThan(f.end);
        expect(t.faults, s.name).toEqual([f.id]);
        expect(t.faultType).toBe(f.type);
        // A spike shows itself where its queueing grew most; the truth keeps the endpoint it came from.
        if (f.type === 'spike') expect(t.rootCause?.load, s.name).toEqual(f.rootCause.load);
        else expect(t.rootCause?.service, s.name).toBe(f.rootCause.service);
      }
    }
  });

  it('normal scenarios have no anomalous traces', () => {
    for (const name of ['shop-normal', 'chain-normal', 'search-normal', 'random-normal']) {
      const g = generate(name, { seed: 2, durationS: 20 });
      expect(g.traces.length).toBeGreaterThan(50);
      expect(g.truth.traces.some((t) => t.anomalous)).toBe(false);
      expect(g.truth.faults).toEqual([]);
    }
  });

  it('the chain is 6 to 10 hops deep and the search fans out to 8 shards', () => {
    const depthOf = (spans: { spanId: string; parentId?: string; kind: string }[]) => {
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      let max = 0;
      for (const s of spans) {
        let hops = 0;
        for (let p = s; p.parentId && byId.has(p.parentId); p = byId.get(p.parentId)!)
          if (p.kind === 'server') hops++;
        max = Math.max(max, hops);
      }
      return max;
    };
    const chain = generate('chain-normal', { seed: 1, traces: 300 });
    const depths = chain.traces.map(depthOf);
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(6);
    expect(Math.max(...depths)).toBeLessThanOrEqual(10);
    const search = generate('search-normal', { seed: 1, traces: 300 });
    const fanouts = search.traces.flatMap((t) =>
      t
        .filter((s) => s.operation === 'Search' && s.kind === 'server')
        .map((p) => t.filter((c) => c.parentId === p.spanId && c.operation === 'ShardSearch').length),
    );
    expect(fanouts.length).toBeGreaterThan(10);
    for (const n of fanouts) expect(n).toBeGreaterThanOrEqual(8);
  });
});

describe('determinism', () => {
  it('the same seed gives the same traces and truth; another seed does not', () => {
    const a = generate('shop-errors', { seed: 42, traces: 400, startUs: 1_700_000_000_000_000 });
    const b = generate('shop-errors', { seed: 42, traces: 400, startUs: 1_700_000_000_000_000 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = generate('shop-errors', { seed: 43, traces: 400, startUs: 1_700_000_000_000_000 });
    expect(c.traces[0][0].traceId).not.toBe(a.traces[0][0].traceId);
  });

  it('ids are well formed and unique; times are integers; children start within their parents', () => {
    const g = generate('chain-retry-storm', { seed: 9, durationS: 300 });
    const traceIds = new Set<string>();
    const bad: string[] = [];
    let spans = 0;
    for (const t of g.traces) {
      traceIds.add(t[0].traceId);
      const byId = new Map(t.map((s) => [s.spanId, s]));
      if (byId.size !== t.length) bad.push(`duplicate span id in ${t[0].traceId}`);
      for (const s of t) {
        spans++;
        if (!/^[0-9a-f]{32}$/.test(s.traceId) || !/^[0-9a-f]{16}$/.test(s.spanId))
          bad.push(`bad id ${s.traceId}/${s.spanId}`);
        if (!Number.isInteger(s.start) || !Number.isInteger(s.duration) || s.duration <= 0)
          bad.push(`bad timing ${s.spanId}`);
        const p = s.parentId ? byId.get(s.parentId) : undefined;
        if (p && s.start < p.start) bad.push(`${s.spanId} starts before its parent`);
      }
    }
    expect(spans).toBeGreaterThan(10_000);
    expect(bad.slice(0, 5)).toEqual([]);
    expect(traceIds.size).toBe(g.traces.length);
  });

  it('random topologies are valid, seeded, and varied', () => {
    const shapes = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const t = randomTopology({ seed });
      expect(() => validateTopology(t)).not.toThrow();
      expect(JSON.stringify(randomTopology({ seed }))).toBe(JSON.stringify(t));
      shapes.add(`${t.services.length}/${t.operations.length}`);
      const c = compileTopology(t);
      expect(c.endpoints.length).toBeGreaterThanOrEqual(2);
      expect(t.services.some((s) => s.kind === 'db')).toBe(true);
    }
    expect(shapes.size).toBeGreaterThan(10);
  });

  it('rejects a cyclic call graph and unknown targets, naming them', () => {
    const base: Topology = {
      name: 't',
      description: '',
      services: [
        { name: 'a', instances: 1 },
        { name: 'b', instances: 1 },
      ],
      operations: [
        { service: 'a', name: 'x', latency: { medianMs: 1 }, steps: [{ to: 'b/y' }] },
        { service: 'b', name: 'y', latency: { medianMs: 1 }, steps: [{ to: 'a/x' }] },
      ],
      endpoints: [{ op: 'a/x', weight: 1 }],
    };
    expect(() => validateTopology(base)).toThrow(/cycle/);
    base.operations[1].steps = [{ to: 'c/z' }];
    expect(() => validateTopology(base)).toThrow(/b\/y calls unknown c\/z/);
  });
});
