import type { AttributeValue } from './span.js';
import type { Trace } from './trace.js';

/** The span attributes that name a trace's session when none are configured (OpenTelemetry's names). */
export const DEFAULT_SESSION_ATTRIBUTES: readonly string[] = ['session.id', 'enduser.id'];

/**
 * Longer values are not ids a person searches by (a token, a serialized object): such a trace is left out of
 * sessions rather than filling an index with blobs. It also keeps a session id usable in a URL path.
 */
export const MAX_SESSION_ID = 200;

/** The session a trace belongs to, and the attribute that said so. */
export interface SessionRef {
  id: string;
  attribute: string;
}

function asId(v: AttributeValue | undefined): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const id = v.trim();
  return id && id.length <= MAX_SESSION_ID && printable(id) ? id : undefined;
}

/** Control characters would make an id no search box can type and no log line shows as it is. */
function printable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * The trace's session id: the first configured attribute (in the order given) present on any span, the root
 * span asked first, then the others in tree order. The order of attributes wins over the order of spans:
 * `session.id,enduser.id` means a session id anywhere in the trace beats a user id on the root.
 */
export function sessionOf(trace: Trace, attributes: readonly string[]): SessionRef | undefined {
  const root = trace.spans[trace.root];
  for (const attribute of attributes) {
    const onRoot = asId(root?.attributes[attribute]);
    if (onRoot !== undefined) return { id: onRoot, attribute };
    for (const i of trace.order) {
      if (i === trace.root) continue;
      const id = asId(trace.spans[i].attributes[attribute]);
      if (id !== undefined) return { id, attribute };
    }
  }
  return undefined;
}
