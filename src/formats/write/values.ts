/** Attribute value helpers shared by the writers. */
import type { AttributeValue } from '../../trace/span.js';

/** A value as text, for formats whose tags are strings only (Zipkin); arrays become JSON. */
export function valueText(v: AttributeValue): string {
  return Array.isArray(v) ? JSON.stringify(v) : String(v);
}
