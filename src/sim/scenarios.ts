/**
 * The scenario catalogue: for each named system one scenario per fault type plus a normal one, a few on random
 * topologies, and `demo`, whose faults come and go on a timer for the live server.
 */
import type { FaultSpec, FaultTarget, FaultType } from './faults.js';
import type { Scenario } from './scenario.js';
import { chainTopology } from './systems/chain.js';
import { randomTopology } from './systems/random.js';
import { searchTopology } from './systems/search.js';
import { shopTopology } from './systems/shop.js';
import type { Topology } from './system-topology.js';
import type { WorkloadDef } from './workload.js';

interface SystemDef {
  name: string;
  topology: () => Topology;
  workload: WorkloadDef;
  /** Where each fault type is injected, and how hard. */
  faults: Record<FaultType, { target: FaultTarget; intensity: number }>;
}

const DURATION_S = 600;
const WINDOW: [number, number] = [200, 450];
const LONG_WINDOW: [number, number] = [120, 560];

const PC = 'hipstershop.ProductCatalogService';

const SYSTEMS: SystemDef[] = [
  {
    name: 'shop',
    topology: shopTopology,
    workload: { rate: 20 },
    faults: {
      latency: { target: { service: 'productcatalogservice', operation: `${PC}/GetProduct` }, intensity: 40 },
      cpu: { target: { service: 'currencyservice', instance: 1 }, intensity: 0.85 },
      errors: {
        target: { service: 'cartservice', operation: 'hipstershop.CartService/GetCart' },
        intensity: 0.3,
      },
      network: { target: { from: 'frontend', to: 'cartservice' }, intensity: 25 },
      'retry-storm': { target: { service: 'currencyservice' }, intensity: 0.4 },
      'n-plus-one': {
        target: {
          service: 'productcatalogservice',
          operation: `${PC}/ListProducts`,
          call: 'catalog-db/SELECT products',
        },
        intensity: 20,
      },
      'cache-failure': { target: { service: 'catalog-cache' }, intensity: 1 },
      leak: { target: { service: 'recommendationservice' }, intensity: 20 },
      spike: { target: { endpoint: 'frontend/GET /' }, intensity: 3 },
      'lost-spans': { target: { service: 'cartservice' }, intensity: 0.8 },
      structure: {
        target: {
          service: 'frontend',
          operation: 'GET /product/{id}',
          call: 'recommendationservice/hipstershop.RecommendationService/ListRecommendations',
          add: `productcatalogservice/${PC}/SearchProducts`,
        },
        intensity: 1,
      },
    },
  },
  {
    name: 'chain',
    topology: chainTopology,
    workload: { rate: 10 },
    faults: {
      latency: {
        target: { service: 'ts-basic-service', operation: 'POST /api/v1/basicservice/basic/travel' },
        intensity: 30,
      },
      cpu: { target: { service: 'ts-travel-service', instance: 0 }, intensity: 0.85 },
      errors: { target: { service: 'ts-route-service' }, intensity: 0.3 },
      network: { target: { from: 'ts-ticketinfo-service', to: 'ts-basic-service' }, intensity: 20 },
      'retry-storm': { target: { service: 'ts-basic-service' }, intensity: 0.3 },
      'n-plus-one': {
        target: {
          service: 'ts-order-service',
          operation: 'POST /api/v1/orderservice/order/tickets',
          call: 'ts-order-mongo/find orders',
        },
        intensity: 30,
      },
      'cache-failure': { target: { service: 'ts-station-cache' }, intensity: 1 },
      leak: { target: { service: 'ts-order-service' }, intensity: 15 },
      spike: { target: { endpoint: 'ts-ui-dashboard/POST /api/v1/travelservice/trips/left' }, intensity: 3 },
      'lost-spans': { target: { service: 'ts-ticketinfo-service' }, intensity: 0.9 },
      structure: {
        target: {
          service: 'ts-price-service',
          operation: 'GET /api/v1/priceservice/prices',
          call: 'ts-config-service/GET /api/v1/configservice/configs',
          add: 'ts-train-service/GET /api/v1/trainservice/trains/byName',
        },
        intensity: 1,
      },
    },
  },
  {
    name: 'search',
    topology: searchTopology,
    workload: { rate: 10 },
    faults: {
      latency: { target: { service: 'ranker', operation: 'Rank' }, intensity: 40 },
      cpu: { target: { service: 'index-shard', instance: 3 }, intensity: 0.9 },
      errors: { target: { service: 'doc-store' }, intensity: 0.05 },
      network: { target: { from: 'aggregator', to: 'index-shard' }, intensity: 30 },
      'retry-storm': { target: { service: 'index-shard' }, intensity: 0.4 },
      'n-plus-one': {
        target: { service: 'ranker', operation: 'Rank', call: 'feature-store/GetFeatures' },
        intensity: 40,
      },
      'cache-failure': { target: { service: 'results-cache' }, intensity: 1 },
      leak: { target: { service: 'ranker' }, intensity: 12 },
      spike: { target: { endpoint: 'search-api/GET /search' }, intensity: 3 },
      'lost-spans': { target: { service: 'doc-store' }, intensity: 0.7 },
      structure: {
        target: {
          service: 'aggregator',
          operation: 'Search',
          call: 'personalization/GetProfile',
          add: 'feature-store/GetFeatures',
        },
        intensity: 1,
      },
    },
  },
];

const WHAT: Record<FaultType, string> = {
  latency: 'added latency in',
  cpu: 'CPU saturation of one instance of',
  errors: 'errors in',
  network: 'network delay on',
  'retry-storm': 'retry storm around',
  'n-plus-one': 'N+1 query pattern in',
  'cache-failure': 'cache failure (database fallback) of',
  leak: 'exponentially growing latency (a leak) in',
  spike: 'traffic spike on',
  'lost-spans': 'lost instrumentation (missing spans) in',
  structure: 'code defect changing the call structure of',
};

function targetText(t: FaultTarget): string {
  if (t.from) return `${t.from} -> ${t.to}`;
  if (t.endpoint) return t.endpoint;
  return [t.service, t.operation, t.instance !== undefined ? `instance ${t.instance}` : undefined]
    .filter(Boolean)
    .join(' ');
}

/**
 * Two faults in two services: one overlapping the other, and one following the other within a minute. Each
 * is a fault of its own, so each must be an incident of its own (issue 13: folding separate faults into one
 * incident was the most visible failure seen from outside).
 */
function twoFaults(sys: SystemDef): Scenario[] {
  const lat = sys.faults.latency;
  const err = sys.faults.errors;
  const fault = (type: 'latency' | 'errors', startS: number, endS: number): FaultSpec => ({
    id: `${sys.name}-${type}-${startS}`,
    type,
    startS,
    endS,
    target: sys.faults[type].target,
    intensity: sys.faults[type].intensity,
  });
  const base = { system: sys.name, topology: sys.topology, workload: sys.workload, durationS: DURATION_S };
  return [
    {
      ...base,
      name: `${sys.name}-overlap`,
      description: `${sys.name}: ${WHAT.latency} ${targetText(lat.target)} from 180s to 390s, and ${WHAT.errors} ${targetText(err.target)} from 300s to 480s`,
      faults: [fault('latency', 180, 390), fault('errors', 300, 480)],
    },
    {
      ...base,
      name: `${sys.name}-sequence`,
      description: `${sys.name}: ${WHAT.errors} ${targetText(err.target)} from 150s to 300s, then ${WHAT.latency} ${targetText(lat.target)} from 330s to 480s`,
      faults: [fault('errors', 150, 300), fault('latency', 330, 480)],
    },
  ];
}

function build(): Scenario[] {
  const out: Scenario[] = [];
  for (const sys of SYSTEMS) {
    out.push({
      name: `${sys.name}-normal`,
      description: `${sys.topology().description}; no faults`,
      system: sys.name,
      topology: sys.topology,
      workload: sys.workload,
      faults: [],
      durationS: DURATION_S,
    });
    for (const [type, f] of Object.entries(sys.faults) as [FaultType, SystemDef['faults'][FaultType]][]) {
      const [startS, endS] = type === 'leak' ? LONG_WINDOW : WINDOW;
      const spec: FaultSpec = {
        id: `${sys.name}-${type}`,
        type,
        startS,
        endS,
        target: f.target,
        intensity: f.intensity,
      };
      out.push({
        name: `${sys.name}-${type}`,
        description: `${sys.name}: ${WHAT[type]} ${targetText(f.target)} (intensity ${f.intensity}) from ${startS}s to ${endS}s`,
        system: sys.name,
        topology: sys.topology,
        workload: sys.workload,
        faults: [spec],
        durationS: DURATION_S,
      });
    }
    out.push(...twoFaults(sys));
  }
  const rnd = () => randomTopology({ seed: 7 });
  const rndTopo = rnd();
  // The first app service of the random system and one of its operations that makes calls.
  const victim =
    rndTopo.operations.find((o) => o.service !== 'gateway' && (o.steps?.length ?? 0) > 0) ??
    rndTopo.operations[0];
  out.push({
    name: 'random-normal',
    description: `${rndTopo.description}; no faults`,
    system: 'random',
    topology: rnd,
    workload: { rate: 15 },
    faults: [],
    durationS: DURATION_S,
  });
  out.push({
    name: 'random-mixed',
    description: `${rndTopo.description}; latency in ${victim.service} then errors in it`,
    system: 'random',
    topology: rnd,
    workload: { rate: 15 },
    faults: [
      {
        id: 'random-latency',
        type: 'latency',
        startS: 150,
        endS: 300,
        target: { service: victim.service },
        intensity: 30,
      },
      {
        id: 'random-errors',
        type: 'errors',
        startS: 350,
        endS: 500,
        target: { service: victim.service },
        intensity: 0.3,
      },
    ],
    durationS: DURATION_S,
  });
  const shop = SYSTEMS[0];
  const demoFault = (type: FaultType, startS: number, endS: number): FaultSpec => ({
    id: `demo-${type}`,
    type,
    startS,
    endS,
    target: shop.faults[type].target,
    intensity: shop.faults[type].intensity,
  });
  out.push({
    name: 'demo',
    description:
      'shop with faults on a 10-minute timer: latency, errors, CPU, code defect, spike, network (repeats)',
    system: 'shop',
    topology: shopTopology,
    workload: { rate: 10 },
    faults: [
      demoFault('latency', 60, 120),
      demoFault('errors', 160, 220),
      demoFault('cpu', 260, 320),
      demoFault('structure', 360, 420),
      demoFault('spike', 450, 490),
      demoFault('network', 520, 580),
    ],
    durationS: DURATION_S,
    repeatEveryS: DURATION_S,
  });
  return out;
}

let catalogue: Scenario[] | undefined;

export function listScenarios(): Scenario[] {
  return (catalogue ??= build());
}

export function getScenario(name: string): Scenario {
  const s = listScenarios().find((x) => x.name === name);
  if (!s) {
    const names = listScenarios().map((x) => x.name);
    throw new Error(`unknown scenario "${name}"; known: ${names.join(', ')}`);
  }
  return s;
}
