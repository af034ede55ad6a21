/**
 * The services of the held-out system, a ride-hailing backend, and their pods. Each service says how its
 * runtime behaves under load (where queueing shows, how often it pauses for garbage collection) and which
 * generation of the semantic conventions its instrumentation writes.
 */
import { Rand, subSeed } from './rand.js';
import type { AttrValue, Instance } from './model.js';

export type Runtime = 'go' | 'node' | 'jvm' | 'python';

export interface ServiceSpec {
  name: string;
  runtime: Runtime;
  pods: number;
  /** `legacy`: an older agent that writes http.method, http.status_code, db.system, db.statement, net.peer.name. */
  semconv: 'current' | 'legacy';
  port: number;
  /** Utilization at the mean traffic rate: drives queueing and the slowdown of busy pods. */
  rho: number;
}

const S = (
  name: string,
  runtime: Runtime,
  pods: number,
  rho: number,
  port = 8080,
  semconv: 'current' | 'legacy' = 'current',
): ServiceSpec => ({ name, runtime, pods, rho, port, semconv });

/** 16 services. */
export const SERVICES: readonly ServiceSpec[] = [
  S('edge-gateway', 'go', 3, 0.25, 8443),
  S('rider-bff', 'node', 3, 0.35),
  S('driver-bff', 'node', 3, 0.4),
  S('auth', 'go', 2, 0.3, 9000),
  S('pricing', 'jvm', 2, 0.35, 9000),
  S('promotions', 'node', 2, 0.2),
  S('geo', 'node', 3, 0.4, 9000),
  S('eta', 'go', 3, 0.45, 9000),
  S('matching', 'jvm', 2, 0.3, 9000),
  S('trips', 'go', 3, 0.3, 9000),
  S('payments', 'jvm', 2, 0.25, 9000, 'legacy'),
  S('fraud', 'python', 2, 0.35, 9000),
  S('notifications', 'node', 2, 0.2),
  S('ledger', 'jvm', 2, 0.2, 8080, 'legacy'),
  S('location-ingest', 'go', 2, 0.35, 9000),
  S('surge', 'python', 2, 0.3),
];

export function serviceSpec(name: string): ServiceSpec {
  const s = SERVICES.find((x) => x.name === name);
  if (!s) throw new Error(`heldout-sim: unknown service "${name}"`);
  return s;
}

const NODES = 6;
const SDK: Record<Runtime, Record<string, AttrValue>> = {
  go: { 'telemetry.sdk.language': 'go', 'telemetry.sdk.version': '1.35.0' },
  node: {
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': '2.0.1',
    'process.runtime.name': 'nodejs',
    'process.runtime.version': '20.18.1',
  },
  jvm: {
    'telemetry.sdk.language': 'java',
    'telemetry.sdk.version': '1.49.0',
    'process.runtime.name': 'OpenJDK Runtime Environment',
    'process.runtime.version': '21.0.6+7-LTS',
    'telemetry.distro.name': 'opentelemetry-java-instrumentation',
  },
  python: {
    'telemetry.sdk.language': 'python',
    'telemetry.sdk.version': '1.31.1',
    'process.runtime.name': 'cpython',
    'process.runtime.version': '3.12.9',
  },
};

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

function podSuffix(rng: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rng.uniform() * ALNUM.length)];
  return s;
}

function uuid(rng: Rand): string {
  const h = rng.hexId(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
}

/** Every pod of every service, named like a Kubernetes Deployment's pods, spread over six nodes. */
export function buildInstances(seed: number): Map<string, Instance[]> {
  const rng = new Rand(subSeed(seed, 'instances'));
  const nodes = Array.from({ length: NODES }, () => ({
    name: `ip-10-42-${rng.int(0, 3)}-${rng.int(10, 250)}.eu-west-1.compute.internal`,
    // chrony keeps cluster clocks within about a hundred microseconds
    skewUs: Math.round(rng.between(-90, 90)),
  }));
  const out = new Map<string, Instance[]>();
  let next = 0;
  for (const s of SERVICES) {
    const replicaSet = podSuffix(rng, 10);
    const version = `${rng.int(1, 4)}.${rng.int(0, 30)}.${rng.int(0, 9)}`;
    const pods: Instance[] = [];
    for (let i = 0; i < s.pods; i++) {
      const node = nodes[next++ % NODES];
      const pod = `${s.name}-${replicaSet}-${podSuffix(rng, 5)}`;
      pods.push({
        service: s.name,
        pod,
        node: node.name,
        skewUs: node.skewUs,
        resource: {
          'service.name': s.name,
          'service.namespace': 'ridehail',
          'service.version': version,
          'service.instance.id': uuid(rng),
          'k8s.namespace.name': 'ridehail',
          'k8s.deployment.name': s.name,
          'k8s.pod.name': pod,
          'k8s.node.name': node.name,
          'host.name': pod,
          'deployment.environment.name': 'production',
          'telemetry.sdk.name': 'opentelemetry',
          ...SDK[s.runtime],
        },
      });
    }
    out.set(s.name, pods);
  }
  return out;
}
