/** Small pieces of the trace engine: latency draws, queue waits, fault matching, protocol attributes. */
import type { Attributes } from '../trace/span.js';
import type { InstanceRt, LatencyRt, OpRt } from './compile.js';
import type { FaultRt, Rec } from './engine-state.js';
import type { Rng } from './random.js';

const HTTP_METHOD = /^(GET|POST|PUT|DELETE|PATCH) /;

export function sampleLatency(rng: Rng, l: LatencyRt): number {
  let v = l.medianUs * Math.exp(l.sigma * rng.normal());
  if (l.tailP > 0 && rng.next() < l.tailP) v *= rng.pareto(1.5);
  return v;
}

/** Queue wait of an M/M/1-like server at utilization rho, from two uniforms (shared by the with/without draw). */
export function waitOf(rho: number, meanUs: number, u: number, v: number): number {
  if (u >= rho) return 0;
  return (-meanUs / (1 - rho)) * Math.log(1 - v) * 0.5;
}

export function matchesNode(f: FaultRt, op: OpRt, inst: InstanceRt): boolean {
  return (
    (!f.service || f.service === op.service) && (!f.op || f.op === op) && (!f.instance || f.instance === inst)
  );
}

export function protocolAttrs(via: string | undefined, op: OpRt, client: boolean): Attributes {
  const svc = op.service;
  if (via === 'db' || via === 'cache') {
    const a: Attributes = { 'db.system': svc.def.system ?? (via === 'cache' ? 'redis' : 'postgresql') };
    a['db.statement'] = op.name;
    if (client) a['peer.service'] = svc.name;
    return a;
  }
  const m = HTTP_METHOD.exec(op.name);
  if (m || via === 'http') {
    const a: Attributes = {
      'http.method': m ? m[1] : 'GET',
      'http.route': m ? op.name.slice(m[0].length) : op.name,
    };
    if (client) a['peer.service'] = svc.name;
    return a;
  }
  const a: Attributes = { 'rpc.system': 'grpc', 'rpc.method': op.name };
  if (client) a['peer.service'] = svc.name;
  return a;
}

export function markStatus(rec: Rec, error: boolean, msg?: string): void {
  rec.error = error;
  const a = rec.attrs;
  if (a['http.method'] !== undefined)
    a['http.status_code'] = error ? (msg === 'DEADLINE_EXCEEDED' ? 504 : 500) : 200;
  else if (a['rpc.system'] !== undefined)
    a['rpc.grpc.status_code'] = error ? (msg === 'DEADLINE_EXCEEDED' ? 4 : 2) : 0;
  if (error) rec.msg = msg ?? 'internal error';
}
