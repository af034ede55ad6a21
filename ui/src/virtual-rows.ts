import { useEffect, useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import type { Virtualizer } from '@tanstack/virtual-core';

type Core = typeof import('@tanstack/virtual-core');
// Loaded once the first rows are drawn: the library is half again the first screen's script, and the first
// screen needs no more rows than fill the box, which it draws without it.
let core: Core | undefined;
let coreLoad: Promise<Core> | undefined;

export interface VirtualRows {
  /** The indexes of the rows to draw: those in the scroll box's view and `overscan` either side. */
  indexes: number[];
  /** Pixels to leave empty above and below the drawn rows, so the scroll bar spans every loaded row. */
  before: number;
  after: number;
  /** The ref for each drawn row (it carries `data-index`): rows are measured, as text may wrap. */
  measure: (el: HTMLElement | null) => void;
}

interface Options {
  count: number;
  key: (index: number) => string;
  box: () => HTMLElement | null;
  /** Where the first row starts inside the box (below a sticky header). */
  offset: () => number;
  /** The box's expected height before it is measured. */
  height: number;
  estimate: number;
  overscan: number;
}

/**
 * Windowing of a table's rows inside a scroll box, by @tanstack/virtual-core (framework-agnostic: this is the
 * small adapter to Preact's hooks).
 */
export function useVirtualRows(opts: Options): VirtualRows {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (core) return;
    let mounted = true;
    void (coreLoad ??= import('@tanstack/virtual-core')).then((m) => {
      core = m;
      if (mounted) redraw(0);
    });
    return () => {
      mounted = false;
    };
  }, []);
  const made = useRef<Virtualizer<HTMLElement, HTMLElement>>(undefined);
  const options = core && {
    count: opts.count,
    getItemKey: opts.key,
    getScrollElement: opts.box,
    estimateSize: () => opts.estimate,
    overscan: opts.overscan,
    scrollMargin: opts.offset(),
    initialRect: { width: 0, height: opts.height },
    observeElementRect: core.observeElementRect,
    observeElementOffset: core.observeElementOffset,
    scrollToFn: core.elementScroll,
    onChange: () => redraw(0),
  };
  if (core && options && !made.current) made.current = new core.Virtualizer(options);
  const v = made.current;
  if (options) v?.setOptions(options);
  useLayoutEffect(() => v?._didMount(), [v]);
  // Every render: picks up the box once it exists (it is drawn only when there are rows) and its size.
  useLayoutEffect(() => v?._willUpdate());

  if (!v) {
    const shown = Math.min(opts.count, Math.ceil(opts.height / opts.estimate) + opts.overscan);
    return {
      indexes: Array.from({ length: shown }, (_, i) => i),
      before: 0,
      after: (opts.count - shown) * opts.estimate,
      measure: () => {},
    };
  }
  const items = v.getVirtualItems();
  const margin = v.options.scrollMargin;
  const first = items[0];
  const last = items[items.length - 1];
  return {
    indexes: items.map((it) => it.index),
    before: first ? first.start - margin : 0,
    after: last ? Math.max(0, v.getTotalSize() - (last.end - margin)) : 0,
    measure: v.measureElement,
  };
}
