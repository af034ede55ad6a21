import type { Trace } from '../trace/trace.js';

/**
 * Services and operations of one trace as small integers, so later passes index typed arrays
 * instead of hashing `service:operation` strings per span. Two-level maps avoid building that
 * string at all: span fields are usually already-hashed (internalized) strings.
 */
export interface Interned {
  /** Service id of each span (index into `services`). */
  spanService: Int32Array;
  /** Operation id of each span (index into `opService` / `opName`); unique per (service, operation). */
  spanOp: Int32Array;
  /** Service names in first-seen order. */
  services: string[];
  /** Service id of each operation id. */
  opService: number[];
  /** Operation name of each operation id. */
  opName: string[];
}

export function internOperations(trace: Trace): Interned {
  const spans = trace.spans;
  const n = spans.length;
  const spanService = new Int32Array(n);
  const spanOp = new Int32Array(n);
  const serviceIds = new Map<string, number>();
  const services: string[] = [];
  const opsOfService: Map<string, number>[] = [];
  const opService: number[] = [];
  const opName: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    let sid = serviceIds.get(s.service);
    if (sid === undefined) {
      sid = services.length;
      serviceIds.set(s.service, sid);
      services.push(s.service);
      opsOfService.push(new Map());
    }
    const ops = opsOfService[sid];
    let oid = ops.get(s.operation);
    if (oid === undefined) {
      oid = opName.length;
      ops.set(s.operation, oid);
      opService.push(sid);
      opName.push(s.operation);
    }
    spanService[i] = sid;
    spanOp[i] = oid;
  }
  return { spanService, spanOp, services, opService, opName };
}
