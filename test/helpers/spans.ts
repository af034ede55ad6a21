import type { RawSpan } from '../../src/trace/span.js';

let counter = 0;

/** A raw span with sensible defaults; ids are short hex and get padded like real ones. */
export function raw(over: Partial<RawSpan> & { spanId: string }): RawSpan {
  counter++;
  return {
    traceId: '0000000000000000000000000000abcd',
    service: 'svc',
    operation: `op${counter}`,
    kind: 'internal',
    start: 1_000,
    duration: 100,
    error: false,
    attributes: {},
    resource: {},
    events: 0,
    ...over,
    spanId: over.spanId.padStart(16, '0'),
    parentId: over.parentId === undefined ? undefined : over.parentId.padStart(16, '0'),
  };
}
