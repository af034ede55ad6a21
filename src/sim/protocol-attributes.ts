/** The attributes a simulated span carries for the protocol its call went over, and the status code it ended with. */
import type { Attributes } from '../trace/span.js';
import type { OpRt } from './compile.js';
import type { Rec } from './engine-state.js';

const HTTP_METHOD = /^(GET|POST|PUT|DELETE|PATCH) /;

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
