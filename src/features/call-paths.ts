import type { Trace } from '../trace/trace.js';
import type { Interned } from './intern.js';
import { sharedPathInterner, type PathInterner } from './path-interner.js';

/**
 * Paths deeper than this many hops get an abbreviated key: a readable key is O(depth) characters, and a
 * 10k-level chain would otherwise build ~10k keys of ~10k hops each (gigabytes). The abbreviation keeps
 * the key stable across traces because it embeds the hash of the full parent path.
 */
export { MAX_READABLE_PATH_DEPTH } from './path-interner.js';

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
 * One pre-order pass. A path is (parent path, `service:operation`), looked up in the process's table of
 * paths (path-interner.ts), which builds each path's key and hash once: no per-span, and after the first
 * traces no per-path, string building. `table` for a test that wants a table of its own.
 */
export function buildCallPaths(
  trace: Trace,
  ids: Interned,
  table: PathInterner = sharedPathInterner(),
): CallPathTable {
  const { spans, order, parent: spanParent } = trace;
  const n = spans.length;
  table.nextTrace();
  const nOps = ids.opName.length;
  const labelOf = new Int32Array(nOps);
  for (let o = 0; o < nOps; o++) labelOf[o] = table.label(ids.services[ids.opService[o]], ids.opName[o]);
  const spanPath = new Int32Array(n);
  const parent: number[] = [];
  const op: number[] = [];
  const depth: number[] = [];
  const key: string[] = [];
  const hashHi: number[] = [];
  const hashLo: number[] = [];
  // The table's id of each of this trace's paths.
  const global: number[] = [];

  for (let k = 0; k < n; k++) {
    const i = order[k];
    const o = ids.spanOp[i];
    const p = spanParent[i];
    const parentPath = p < 0 ? -1 : spanPath[p];
    const from = parentPath >= 0 ? global[parentPath] : table.topLevel(spans[i].parentId !== undefined);
    const g = table.child(from, labelOf[o]);
    let id = table.localOf(g);
    if (id < 0) {
      id = parent.length;
      table.setLocal(g, id);
      global.push(g);
      parent.push(parentPath);
      op.push(o);
      depth.push(table.depth[g]);
      key.push(table.key[g]);
      hashHi.push(table.hashHi[g]);
      hashLo.push(table.hashLo[g]);
    }
    spanPath[i] = id;
  }
  return { spanPath, parent, op, depth, key, hashHi, hashLo };
}
