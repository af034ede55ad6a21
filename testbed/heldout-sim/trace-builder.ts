/** One trace being built: its spans, its random stream, and what faults did to it. */
import type { Rand } from './rand.js';
import type { AttrValue, FaultEffect, Instance, SimSpan, SimSpanKind } from './model.js';
import type { World } from './world.js';

export class TraceBuilder {
  readonly spans: SimSpan[] = [];
  private readonly effectsBy = new Map<string, FaultEffect>();
  /** Faults whose component the trace passed, unchanged, while they were on. */
  readonly passed = new Set<string>();

  constructor(
    readonly world: World,
    readonly rng: Rand,
    readonly traceId: string,
  ) {}

  span(
    parent: SimSpan | undefined,
    name: string,
    kind: SimSpanKind,
    start: number,
    instance: Instance,
    attributes: Record<string, AttrValue>,
  ): SimSpan {
    const s: SimSpan = {
      spanId: this.rng.hexId(8),
      parentId: parent?.spanId,
      name,
      kind,
      start,
      end: start,
      instance,
      attributes,
      status: 'unset',
      events: [],
    };
    this.spans.push(s);
    return s;
  }

  /** Records that a fault changed this trace; the first change of each (fault, component) is the one described. */
  effect(faultId: string, component: string, change: string): void {
    const key = `${faultId}\u0000${component}`;
    if (!this.effectsBy.has(key)) this.effectsBy.set(key, { faultId, component, change });
  }

  get effects(): FaultEffect[] {
    return [...this.effectsBy.values()];
  }
}

export const ms = (us: number) => (us / 1000).toFixed(us < 10_000 ? 2 : 0);
