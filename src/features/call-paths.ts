import type { Trace } from '../trace/trace.js';
import { Fnv64 } from './fnv.js';
import type { Interned } from './intern.js';
import { endpointKey } from '../trace/endpoint-key.js';

/**
 * Paths deeper than this many hops get an abbreviated key: a readable key is O(depth) characters, and a
 * 10k-level chain would otherwise build ~10k keys of ~10k hops each (gigabytes). The abbreviation keeps
 * the key stable across traces because it embeds the hash of the full parent path.
 */
export const MAX_READABLE_PATH_DEPTH = 32;

/** Marks a path that starts at an orphan: its real parent was not collected, so its prefix is unknown. */
export const ORPHAN_PREFIX = '?';

/**
 * Distinct call paths of one trace. A call path is the chain of `service:operation` from a top-level
 * span down to a span; every span belongs to exactly one path. Paths are numbered in the order a
 * pre-order walk first meets them, so a path's parent always has a smaller number.
 */
export interface CallPathTable {
  /** Path id of each span. */
  spanPath: Int32Array;
  /** Parent path id of each path, -1 for a top-level path. */
  parent: number[];
  /** Operation id (see Interned) of each path's last hop. */
  op: number[];
  /** Hops below the top of each path (0 for a top-level path). */
  depth: number[];
  /**
   * Readable key: `svc:op>svc:op>...`, prefixed `?>` when it starts at an orphan. Beyond
   * MAX_READABLE_PATH_DEPTH hops: `#<hash of the parent path>>svc:op`.
   */
  key: string[];
  /** FNV-1a 64 of the full, never abbreviated, path string: high and low 32 bits. */
  hashHi: number[];
  hashLo: number[];
}

/**
 * One pre-order pass. Paths are interned by (parent path id, operation id): no per-span string building;
 * a path's key and hash are built once, from its parent's, when the path is first met.
 */
export function buildCallPaths(trace: Trace, ids: Interned): CallPathTable {
  const { spans, order, parent: spanParent } = trace;
  const n = spans.length;
  const spanPath = new Int32Array(n);
  const parent: number[] = [];
  const op: number[] = [];
  const depth: number[] = [];
  const key: string[] = [];
  const hashHi: number[] = [];
  const hashLo: number[] = [];
  const h = new Fnv64(); // one reused state: no allocation per path
  // One map for the whole trace, keyed by (parent path, operation) packed into one number: small traces
  // get small-integer keys, the fastest Map case, and no Map is allocated per parent.
  const index = new Map<number, number>();
  const nOps = ids.opName.length;
  // The endpoint key of each operation id, built on first use; a root path's key is thus its endpoint's key.
  const hopLabel: string[] = [];
  const orphanState = new Fnv64().string(ORPHAN_PREFIX + '>');
  const rootState = new Fnv64();

  for (let k = 0; k < n; k++) {
    const i = order[k];
    const o = ids.spanOp[i];
    const p = spanParent[i];
    const parentPath = p < 0 ? -1 : spanPath[p];
    const orphan = p < 0 && spans[i].parentId !== undefined;
    // slot 0: top-level orphan paths, 1: true-root paths, 2 + id: children of path `id`
    const slot = parentPath >= 0 ? parentPath + 2 : orphan ? 0 : 1;
    const packed = slot * nOps + o;
    let id = index.get(packed);
    if (id === undefined) {
      id = parent.length;
      index.set(packed, id);
      let label = hopLabel[o];
      if (label === undefined)
        hopLabel[o] = label = endpointKey(ids.services[ids.opService[o]], ids.opName[o]);
      let d: number;
      let name: string;
      if (parentPath >= 0) {
        d = depth[parentPath] + 1;
        h.hi = hashHi[parentPath];
        h.lo = hashLo[parentPath];
        h.byte(0x3e /* > */);
        name =
          d < MAX_READABLE_PATH_DEPTH
            ? key[parentPath] + '>' + label
            : '#' + new Fnv64(hashHi[parentPath], hashLo[parentPath]).hex() + '>' + label;
      } else {
        d = 0;
        const start = orphan ? orphanState : rootState;
        h.hi = start.hi;
        h.lo = start.lo;
        name = orphan ? ORPHAN_PREFIX + '>' + label : label;
      }
      h.string(label);
      parent.push(parentPath);
      op.push(o);
      depth.push(d);
      key.push(name);
      hashHi.push(h.hi);
      hashLo.push(h.lo);
    }
    spanPath[i] = id;
  }
  return { spanPath, parent, op, depth, key, hashHi, hashLo };
}
