/**
 * A seeded generator of random topologies: layered services (a gateway on top, databases and caches at the
 * bottom), operations calling only deeper layers (so the graph is acyclic), with optional, conditional,
 * repeated, parallel and asynchronous calls, several instances and versions per service.
 */
import { Rng } from '../seeded-random.js';
import type { CallDef, OperationDef, ServiceDef, StepDef, Topology } from '../system-topology.js';

export interface RandomTopologyOptions {
  seed: number;
  /** App services, not counting the gateway and the data stores (default 8..16). */
  services?: number;
  /** Layers of app services below the gateway (default 3..6). */
  depth?: number;
  /** Entry endpoints (default 2..5). */
  endpoints?: number;
}

const VERBS = ['Get', 'List', 'Create', 'Update', 'Validate', 'Compute', 'Resolve', 'Fetch'];
const NOUNS = ['User', 'Order', 'Item', 'Quote', 'Session', 'Price', 'Stock', 'Profile', 'Route', 'Token'];
const WORDS = [
  'alpha',
  'bravo',
  'delta',
  'echo',
  'kilo',
  'lima',
  'nova',
  'orbit',
  'pixel',
  'quartz',
  'sierra',
  'tango',
  'vega',
  'zulu',
];

export function randomTopology(opts: RandomTopologyOptions): Topology {
  const rng = new Rng(opts.seed ^ 0x70b0);
  const nApp = opts.services ?? rng.intBetween(8, 16);
  const depth = Math.max(1, Math.min(opts.depth ?? rng.intBetween(3, 6), nApp));
  const services: ServiceDef[] = [
    { name: 'gateway', kind: 'gateway', instances: rng.intBetween(2, 4), versions: ['1.0.0'] },
  ];
  const operations: OperationDef[] = [];
  const layers: string[][] = [];
  for (let l = 0; l < depth; l++) layers.push([]);
  for (let i = 0; i < nApp; i++) {
    // Every layer gets at least one service, the rest fall anywhere.
    const layer = i < depth ? i : rng.intBetween(0, depth - 1);
    const name = `${WORDS[i % WORDS.length]}${i >= WORDS.length ? i : ''}-service`;
    const versions = rng.chance(0.3) ? ['1.4.0', '1.5.0'] : ['1.4.0'];
    services.push({ name, instances: rng.intBetween(1, 4), versions, utilization: 0.2 + rng.next() * 0.35 });
    layers[layer].push(name);
  }
  const stores: { name: string; via: 'db' | 'cache' }[] = [];
  const nStores = rng.intBetween(2, 4);
  for (let i = 0; i < nStores; i++) {
    const cache = i % 2 === 1;
    const name = cache ? `cache-${i}` : `db-${i}`;
    services.push({
      name,
      kind: cache ? 'cache' : 'db',
      system: cache ? 'redis' : 'postgresql',
      instances: rng.intBetween(1, 2),
    });
    stores.push({ name, via: cache ? 'cache' : 'db' });
    operations.push({
      service: name,
      name: cache ? 'GET' : 'SELECT',
      latency: { medianMs: cache ? 0.3 : 1 + rng.next() * 3, sigma: 0.4, tailP: 0.02 },
    });
    if (cache) operations.push({ service: name, name: 'SET', latency: { medianMs: 0.35, sigma: 0.3 } });
  }
  const opsOf = new Map<string, string[]>();
  for (let l = depth - 1; l >= 0; l--) {
    for (const svc of layers[l]) {
      const names: string[] = [];
      const nOps = rng.intBetween(1, 3);
      for (let k = 0; k < nOps; k++) names.push(`${rng.pick(VERBS)}${rng.pick(NOUNS)}${k > 0 ? k : ''}`);
      opsOf.set(svc, [...new Set(names)]);
      for (const name of opsOf.get(svc)!) {
        const deeper = layers.slice(l + 1).flat();
        operations.push({
          service: svc,
          name,
          latency: { medianMs: 0.5 + rng.next() * 4, sigma: 0.3 + rng.next() * 0.4, tailP: 0.01 },
          steps: randomSteps(rng, deeper, opsOf, stores),
          errorRate: rng.chance(0.2) ? 0.001 : 0,
        });
      }
    }
  }
  const nEndpoints = opts.endpoints ?? rng.intBetween(2, 5);
  const endpoints = [];
  const top = layers.flat();
  for (let e = 0; e < nEndpoints; e++) {
    const name = `${rng.chance(0.5) ? 'GET' : 'POST'} /api/${rng.pick(NOUNS).toLowerCase()}s${e > 0 ? `/${e}` : ''}`;
    const steps: StepDef[] = [];
    const callees = [layers[0][e % layers[0].length], ...(rng.chance(0.5) ? [rng.pick(top)] : [])];
    for (const svc of callees) steps.push({ to: `${svc}/${rng.pick(opsOf.get(svc)!)}`, timeoutMs: 5000 });
    operations.push({ service: 'gateway', name, latency: { medianMs: 0.6, sigma: 0.3 }, steps });
    endpoints.push({ op: `gateway/${name}`, weight: 1 + rng.intBetween(0, 4), flags: { flagA: 0.5 } });
  }
  return {
    name: `random-${opts.seed}`,
    description: `random topology (seed ${opts.seed}): ${nApp} services in ${depth} layers`,
    services,
    operations,
    endpoints,
  };
}

function randomSteps(
  rng: Rng,
  deeper: string[],
  opsOf: Map<string, string[]>,
  stores: { name: string; via: 'db' | 'cache' }[],
): StepDef[] {
  const steps: StepDef[] = [];
  const call = (): CallDef => {
    const svc = rng.pick(deeper);
    const c: CallDef = { to: `${svc}/${rng.pick(opsOf.get(svc)!)}` };
    const r = rng.next();
    if (r < 0.15) c.p = 0.5 + rng.next() * 0.4;
    else if (r < 0.25) c.when = 'flagA';
    else if (r < 0.3) c.unless = 'flagA';
    if (rng.chance(0.15)) c.repeat = [1, rng.intBetween(2, 5)];
    if (rng.chance(0.2)) c.retries = 1;
    if (rng.chance(0.1)) c.via = 'async';
    if (rng.chance(0.15)) c.optional = true;
    return c;
  };
  const n = deeper.length > 0 ? rng.intBetween(0, 3) : 0;
  for (let i = 0; i < n; i++) {
    if (rng.chance(0.3)) steps.push({ parallel: [call(), call()] });
    else steps.push(call());
  }
  if (rng.chance(0.6)) {
    const s = rng.pick(stores);
    if (s.via === 'cache') {
      const db = stores.find((x) => x.via === 'db')!;
      steps.push({
        to: `${s.name}/GET`,
        missRate: 0.1,
        fallback: `${db.name}/SELECT`,
        fill: `${s.name}/SET`,
      });
    } else steps.push({ to: `${s.name}/SELECT` });
  }
  if (rng.chance(0.2)) steps.push({ local: 'compute', latency: { medianMs: 0.5, sigma: 0.3 } });
  return steps;
}
