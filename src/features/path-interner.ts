import { endpointKey } from '../trace/endpoint-key.js';
import { Fnv64 } from './fnv.js';

/** Paths deeper than this many hops get an abbreviated key (see call-paths.ts). */
export const MAX_READABLE_PATH_DEPTH = 32;

/** Marks a path that starts at an orphan: its real parent was not collected, so its prefix is unknown. */
export const ORPHAN_PREFIX = '?';

/** Beyond this many distinct paths the table starts over, so odd inputs (ids in operation names) cannot grow it for ever. */
const MAX_PATHS = 1 << 16;

/** The two parents of top-level paths: a true root, and an orphan (whose keys start `?>`). */
const ROOT = 0;
const ORPHAN = 1;

/**
 * Call paths seen so far in this process, each with its key and hash built once. The same few hundred paths
 * recur in every trace of a system, and building `svc:op>svc:op>...` and its FNV hash for each trace anew
 * was an eighth of what scoring allocated (and the fresh strings were hashed again by every Map lookup
 * of the baseline). A cache: what a trace's paths are does not depend on what it holds.
 */
export class PathInterner {
  /** Label id of each (service, operation): its endpoint key, `service:operation`. */
  private readonly labelIds = new Map<string, Map<string, number>>();
  private readonly labels: string[] = [];
  /** Per path (ROOT and ORPHAN first): label id -> child path. */
  private readonly children: Array<Map<number, number> | undefined> = [undefined, undefined];
  readonly key: string[] = ['', ORPHAN_PREFIX + '>'];
  readonly depth: number[] = [-1, -1];
  readonly hashHi: number[];
  readonly hashLo: number[];
  /** The trace (`generation`) that last met each path, and the path's number within that trace. */
  private readonly seenIn: number[] = [-1, -1];
  private readonly local: number[] = [-1, -1];
  private generation = 0;

  constructor() {
    const root = new Fnv64();
    const orphan = new Fnv64().string(ORPHAN_PREFIX + '>');
    this.hashHi = [root.hi, orphan.hi];
    this.hashLo = [root.lo, orphan.lo];
  }

  get size(): number {
    return this.key.length;
  }

  /** Starts a trace: path numbers given out before are forgotten. */
  nextTrace(): void {
    this.generation++;
  }

  label(service: string, operation: string): number {
    let ops = this.labelIds.get(service);
    if (ops === undefined) this.labelIds.set(service, (ops = new Map()));
    let id = ops.get(operation);
    if (id === undefined) {
      id = this.labels.length;
      ops.set(operation, id);
      this.labels.push(endpointKey(service, operation));
    }
    return id;
  }

  /** The path `parent > label`; `parent` a path id, or topLevel(orphan) for a path that starts a tree. */
  child(parent: number, label: number): number {
    let m = this.children[parent];
    if (m === undefined) this.children[parent] = m = new Map();
    let id = m.get(label);
    if (id === undefined) {
      id = this.key.length;
      m.set(label, id);
      this.add(parent, this.labels[label]);
    }
    return id;
  }

  topLevel(orphan: boolean): number {
    return orphan ? ORPHAN : ROOT;
  }

  /** The path's number in the current trace, -1 when the trace has not met it yet. */
  localOf(path: number): number {
    return this.seenIn[path] === this.generation ? this.local[path] : -1;
  }

  setLocal(path: number, n: number): void {
    this.seenIn[path] = this.generation;
    this.local[path] = n;
  }

  private add(parent: number, label: string): void {
    const h = new Fnv64(this.hashHi[parent], this.hashLo[parent]);
    let d: number;
    let name: string;
    if (parent > ORPHAN) {
      d = this.depth[parent] + 1;
      h.byte(0x3e /* > */);
      name =
        d < MAX_READABLE_PATH_DEPTH
          ? this.key[parent] + '>' + label
          : '#' + new Fnv64(this.hashHi[parent], this.hashLo[parent]).hex() + '>' + label;
    } else {
      d = 0;
      name = parent === ORPHAN ? ORPHAN_PREFIX + '>' + label : label;
    }
    h.string(label);
    this.children.push(undefined);
    this.key.push(name);
    this.depth.push(d);
    this.hashHi.push(h.hi);
    this.hashLo.push(h.lo);
    this.seenIn.push(-1);
    this.local.push(-1);
  }
}

let shared = new PathInterner();

/** The process's table, started over once it holds MAX_PATHS paths (between traces, never within one). */
export function sharedPathInterner(): PathInterner {
  if (shared.size > MAX_PATHS) shared = new PathInterner();
  return shared;
}
