import { useLayoutEffect, useReducer, useState } from 'preact/hooks';
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
  type VirtualItem,
} from '@tanstack/virtual-core';

export interface VirtualRows {
  /** The rows to draw: those in the scroll box's view and `overscan` either side. */
  items: VirtualItem[];
  /** Pixels to leave empty above and below the drawn rows, so the scroll bar spans every loaded row. */
  before: number;
  after: number;
  /** The ref for each drawn row (it carries `data-index`): rows are measured, as text may wrap. */
  measure: (el: HTMLElement | null) => void;
}

/**
 * Windowing of a table's rows inside a scroll box, by @tanstack/virtual-core (framework-agnostic: this is the
 * small adapter to Preact's hooks). `offset` is where the first row starts inside the box (below a sticky
 * header), `height` the box's expected height before it is measured, so the first render already draws rows.
 */
export function useVirtualRows(opts: {
  count: number;
  key: (index: number) => string;
  box: () => HTMLElement | null;
  offset: () => number;
  height: number;
  estimate: number;
  overscan: number;
}): VirtualRows {
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const options = {
    count: opts.count,
    getItemKey: opts.key,
    getScrollElement: opts.box,
    estimateSize: () => opts.estimate,
    overscan: opts.overscan,
    scrollMargin: opts.offset(),
    initialRect: { width: 0, height: opts.height },
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    onChange: () => redraw(0),
  };
  const [v] = useState(() => new Virtualizer<HTMLElement, HTMLElement>(options));
  v.setOptions(options);
  useLayoutEffect(() => v._didMount(), [v]);
  // Every render: picks up the box once it exists (it is drawn only when there are rows) and its size.
  useLayoutEffect(() => v._willUpdate());

  const items = v.getVirtualItems();
  const margin = v.options.scrollMargin;
  const first = items[0];
  const last = items[items.length - 1];
  return {
    items,
    before: first ? first.start - margin : 0,
    after: last ? Math.max(0, v.getTotalSize() - (last.end - margin)) : 0,
    measure: v.measureElement,
  };
}
