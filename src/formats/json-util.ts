import type { Attributes } from '../trace/span.js';

/** Small type guards shared by the JSON readers (hand-written: they run once per span on the hot path). */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON integer that may arrive as a number or a decimal string (int64 in proto-JSON). */
export function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && v.length > 0) {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : undefined;
  }
  return undefined;
}

/** int64 as a number when it is safe, else kept as its decimal string. */
export function int64Value(v: unknown): number | string | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  return undefined;
}

/**
 * Any parsed value as text, never throwing: String() throws on objects without a prototype and prints
 * "[object Object]" for the rest, so structured values become their JSON.
 */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return '';
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** The first of `keys` that `attributes` holds with a value other than '', as text (a process's instance). */
export function firstText(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = attributes[k];
    if (v !== undefined && v !== '') return textOf(v);
  }
  return undefined;
}
