/**
 * Salvages what can be read from a JSON document that JSON.parse rejects (a download cut short, garbage
 * written into the middle of a file): finds the outermost record list and keeps every complete element of
 * it that parses on its own.
 *
 * Hand-written because no library does this for us: streaming JSON parsers stop at the first error, and
 * "partial JSON" completers guess at closing brackets, which would invent a truncated last record instead
 * of dropping it. The scanner is a single pass over the text tracking strings, escapes and bracket depth
 * (a counter, not a stack or recursion), so it is O(n) and a 10k-deep document cannot overflow it; each
 * element is then handed to JSON.parse once.
 */

const WS = new Uint8Array(128);
WS[0x20] = WS[0x0a] = WS[0x0d] = WS[0x09] = 1;

function skipWs(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 128 && WS[c]) i++;
    else if (c === 0xfeff) i++;
    else break;
  }
  return i;
}

/** End (exclusive) of the string starting at the quote at `i`, or -1 when the text ends inside it. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/**
 * End (exclusive) of the value starting at `i`: for objects and arrays the matching close at depth 0,
 * for scalars the next `,` `]` `}` at depth 0. -1 when the text ends first.
 */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 0x22) return stringEnd(text, i);
  if (first !== 0x7b && first !== 0x5b) {
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 0x2c || c === 0x5d || c === 0x7d) return j;
      j++;
    }
    return -1;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) {
      const e = stringEnd(text, j);
      if (e < 0) return -1;
      j = e - 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch {
    return { ok: false };
  }
}

/** Reads the elements of the array opening at `i`; stops at its end or where the text gives out. */
function salvageArray(text: string, i: number): { items: unknown[]; end: number } {
  const items: unknown[] = [];
  let j = skipWs(text, i + 1);
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 0x5d) return { items, end: j + 1 };
    if (c === 0x2c) {
      j = skipWs(text, j + 1);
      continue;
    }
    const e = valueEnd(text, j);
    if (e < 0) break; // truncated inside this element: it is lost, the ones before are kept
    const r = tryParse(text.slice(j, e));
    if (r.ok) items.push(r.value);
    j = skipWs(text, e);
  }
  return { items, end: -1 };
}

interface Member {
  key: string;
  valueStart: number;
  valueEnd: number;
}

/** The members of the object opening at `i`, as far as they can be delimited. */
function* members(text: string, i: number): Generator<Member> {
  let j = skipWs(text, i + 1);
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 0x7d) return;
    if (c === 0x2c) {
      j = skipWs(text, j + 1);
      continue;
    }
    if (c !== 0x22) return;
    const ke = stringEnd(text, j);
    if (ke < 0) return;
    const key = tryParse(text.slice(j, ke));
    j = skipWs(text, ke);
    if (!key.ok || text.charCodeAt(j) !== 0x3a) return;
    const vs = skipWs(text, j + 1);
    if (vs >= text.length) return;
    const ve = valueEnd(text, vs);
    yield { key: key.value as string, valueStart: vs, valueEnd: ve };
    if (ve < 0) return;
    j = skipWs(text, ve);
  }
}

/**
 * The object at `i` with its first array-valued member (or `result.resourceSpans`) salvaged element by
 * element; the other members are kept when they parse.
 */
function salvageObject(
  text: string,
  i: number,
  outer = true,
): { doc: Record<string, unknown>; recovered: number } | undefined {
  const doc: Record<string, unknown> = {};
  let found = false;
  let recovered = 0;
  for (const m of members(text, i)) {
    const c = text.charCodeAt(m.valueStart);
    if (!found && c === 0x5b) {
      const { items } = salvageArray(text, m.valueStart);
      doc[m.key] = items;
      recovered = items.length;
      found = true;
      continue;
    }
    if (!found && outer && c === 0x7b && m.key === 'result') {
      // api_v3 wraps the OTLP document: one level down, only for this wrapper.
      const inner = salvageObject(text, m.valueStart, false);
      if (inner && Array.isArray(inner.doc.resourceSpans)) {
        doc.result = inner.doc;
        recovered = inner.recovered;
        found = true;
        continue;
      }
    }
    if (m.valueEnd < 0) break;
    const r = tryParse(text.slice(m.valueStart, m.valueEnd));
    if (r.ok) doc[m.key] = r.value;
  }
  return found ? { doc, recovered } : undefined;
}

export function salvageJson(text: string): { doc: unknown; recovered: number } | undefined {
  const i = skipWs(text, 0);
  const c = text.charCodeAt(i);
  if (c === 0x5b) {
    const { items } = salvageArray(text, i);
    return { doc: items, recovered: items.length };
  }
  if (c === 0x7b) return salvageObject(text, i);
  return undefined;
}
