import { firstText, textOf } from './json-util.js';
import type { AttributeValue, Attributes } from '../trace/span.js';

/**
 * OTLP AnyValue -> attribute values.
 *
 * A `kvlistValue` at the top of an attribute is flattened into dotted keys (`http.request.header` with
 * `{"accept": ...}` gives `http.request.header.accept`), the way OTel's own semantic conventions name
 * nested values, so features and explanations can look one value up by name. Inside an array a kvlist
 * cannot be flattened and becomes a JSON string. Nesting deeper than MAX_DEPTH is cut off with a marker:
 * the recursion is bounded, so hostile input cannot overflow the stack.
 */

const MAX_DEPTH = 16;
export const TOO_DEEP = '[nested too deep]';

/** int64 in proto-JSON: a decimal string (or a number from lenient producers); unsafe values stay strings. */
function intValue(v: unknown): number | string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
    return /^-?\d+$/.test(v) ? v : undefined;
  }
  return undefined;
}

function doubleValue(v: unknown): number | string | undefined {
  if (typeof v === 'number') return v;
  // proto3 JSON spells non-finite doubles as "NaN", "Infinity", "-Infinity": keep them readable.
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }
  return undefined;
}

function scalar(av: Record<string, unknown>): AttributeValue | undefined {
  if (av.stringValue !== undefined)
    return typeof av.stringValue === 'string' ? av.stringValue : textOf(av.stringValue);
  if (av.boolValue !== undefined) return av.boolValue === true || av.boolValue === 'true';
  if (av.intValue !== undefined) return intValue(av.intValue);
  if (av.doubleValue !== undefined) return doubleValue(av.doubleValue);
  if (av.bytesValue !== undefined) return typeof av.bytesValue === 'string' ? av.bytesValue : undefined;
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value that must be one attribute (inside an array): kvlists become JSON. */
function plainValue(av: unknown, depth: number): AttributeValue | undefined {
  if (!isRecord(av)) return undefined;
  const s = scalar(av);
  if (s !== undefined) return s;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (isRecord(av.arrayValue)) {
    const vals = av.arrayValue.values;
    const out: AttributeValue[] = [];
    if (Array.isArray(vals)) {
      for (const v of vals) {
        const x = plainValue(v, depth + 1);
        if (x !== undefined) out.push(x);
      }
    }
    return out;
  }
  if (isRecord(av.kvlistValue)) return JSON.stringify(kvlistObject(av.kvlistValue.values, depth + 1));
  return undefined;
}

function kvlistObject(values: unknown, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (!Array.isArray(values)) return o;
  for (const kv of values) {
    if (!isRecord(kv) || typeof kv.key !== 'string') continue;
    if (depth >= MAX_DEPTH) {
      o[kv.key] = TOO_DEEP;
      continue;
    }
    const inner = isRecord(kv.value) ? kv.value : undefined;
    o[kv.key] =
      inner && isRecord(inner.kvlistValue)
        ? kvlistObject(inner.kvlistValue.values, depth + 1)
        : plainValue(inner, depth);
  }
  return o;
}

function put(into: Attributes, key: string, av: unknown, depth: number): void {
  if (!isRecord(av)) return;
  if (isRecord(av.kvlistValue) && depth < MAX_DEPTH) {
    const vals = av.kvlistValue.values;
    if (!Array.isArray(vals)) return;
    for (const kv of vals) {
      if (isRecord(kv) && typeof kv.key === 'string') put(into, `${key}.${kv.key}`, kv.value, depth + 1);
    }
    return;
  }
  const v = plainValue(av, depth);
  if (v !== undefined) into[key] = v;
}

/** Reads an OTLP `attributes` list (KeyValue[]) into `into`; malformed entries are ignored. */
export function readKeyValues(list: unknown, into: Attributes): Attributes {
  if (!Array.isArray(list)) return into;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    if (typeof kv !== 'object' || kv === null || typeof kv.key !== 'string') continue;
    const av = kv.value;
    // The common case first: a plain string attribute.
    if (typeof av === 'object' && av !== null && typeof av.stringValue === 'string')
      into[kv.key] = av.stringValue;
    else put(into, kv.key, av, 0);
  }
  return into;
}

const INSTANCE_KEYS = ['k8s.pod.name', 'host.name', 'service.instance.id'];

/**
 * A resource's service and instance. Without service.name, what the OTel resource semantic conventions
 * prescribe (`unknown_service[:<executable>]`), said once through `warn`.
 */
export function serviceOfResource(
  resource: Attributes,
  warn: (message: string) => void,
): { service: string; instance?: string } {
  let service = resource['service.name'];
  if (typeof service !== 'string' || service === '') {
    const exe = resource['process.executable.name'];
    service = typeof exe === 'string' && exe !== '' ? `unknown_service:${exe}` : 'unknown_service';
    warn(`a resource has no service.name attribute; its spans are attributed to ${service}`);
  }
  return { service, instance: firstText(resource, INSTANCE_KEYS) };
}
