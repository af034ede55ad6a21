/**
 * Streams the records of a large JSON document one at a time: the elements of its record array (a top-level
 * array, or the first key `data`, `resourceSpans` or `result.resourceSpans`). Each element is handed to
 * JSON.parse alone, so memory holds one record, not the whole document, and objects die young (cheap GC).
 *
 * Hand-written because the streaming JSON libraries build every value through JS callbacks (several times
 * slower than the native JSON.parse) while all we need is where each element starts and ends. The scanner
 * tracks strings, escapes and bracket depth over raw bytes (strings are skipped with indexOf), no recursion.
 */

export interface RecordArray {
  /** Byte offset just after the record array's `[`. */
  offset: number;
  /** Where the array sits, for messages and for re-wrapping an element into a document the readers know. */
  path: '$' | '$.data' | '$.resourceSpans' | '$.result.resourceSpans';
}

const PREFIXES: Array<[RegExp, RecordArray['path']]> = [
  [/^\s*\[/, '$'],
  [/^\s*\{\s*"data"\s*:\s*\[/, '$.data'],
  [/^\s*\{\s*"resourceSpans"\s*:\s*\[/, '$.resourceSpans'],
  [/^\s*\{\s*"result"\s*:\s*\{\s*"resourceSpans"\s*:\s*\[/, '$.result.resourceSpans'],
];

/** Recognizes the record array from the document's first bytes; undefined when it is not laid out that way. */
export function findRecordArray(head: Buffer): RecordArray | undefined {
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const text = head.toString('latin1', bom, Math.min(head.length, bom + 256));
  for (const [re, path] of PREFIXES) {
    const m = re.exec(text);
    if (m) return { offset: bom + m[0].length, path };
  }
  return undefined;
}

/** A document of the same shape holding one element, so the format readers take it as they are. */
export function wrapRecord(path: RecordArray['path'], el: unknown): unknown {
  switch (path) {
    case '$':
      return [el];
    case '$.data':
      return { data: [el] };
    case '$.resourceSpans':
      return { resourceSpans: [el] };
    case '$.result.resourceSpans':
      return { result: { resourceSpans: [el] } };
  }
}

export type RecordText = { index: number; text: string } | { index: number; error: string };

/**
 * Splits the bytes after `offset` into element texts. An element that cannot be delimited (the document
 * ends inside it) is reported as an error; scanning stops at the array's closing bracket, and `onClose`
 * gets the rest of that chunk (the caller may read on from there).
 */
export async function* splitRecords(
  chunks: AsyncIterable<Buffer>,
  offset: number,
  onClose?: (rest: Buffer) => void,
): AsyncGenerator<RecordText> {
  let skip = offset;
  let depth = 0;
  let inString = false;
  let inElement = false;
  let pending: Buffer[] = [];
  let index = 0;
  for await (const chunk of chunks) {
    let i = 0;
    if (skip > 0) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      i = skip;
      skip = 0;
    }
    let start = inElement ? i : -1;
    const n = chunk.length;
    while (i < n) {
      if (inString) {
        const q = chunk.indexOf(0x22, i);
        if (q < 0) {
          i = n;
          break;
        }
        // A quote preceded by an odd run of backslashes is escaped (runs may straddle chunks: rare, handled below).
        let b = q - 1;
        let slashes = 0;
        while (b >= (start >= 0 ? start : 0) && chunk[b] === 0x5c) {
          slashes++;
          b--;
        }
        if (b < 0 && slashes === q && pending.length > 0) slashes += trailingBackslashes(pending);
        i = q + 1;
        if (slashes % 2 === 0) inString = false;
        continue;
      }
      const c = chunk[i];
      if (c === 0x22) {
        inString = true;
        if (!inElement) {
          inElement = true;
          start = i;
        }
      } else if (c === 0x7b || c === 0x5b) {
        if (!inElement) {
          inElement = true;
          start = i;
        }
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) {
          // The record array closes.
          onClose?.(chunk.subarray(i + 1));
          if (inElement) yield { index: index++, text: textOf(pending, chunk, start, i) };
          return;
        }
        depth--;
      } else if (c === 0x2c && depth === 0) {
        if (inElement) {
          yield { index: index++, text: textOf(pending, chunk, start, i) };
          pending = [];
          inElement = false;
          start = -1;
        }
      } else if (!inElement && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        inElement = true; // a scalar element
        start = i;
      }
      i++;
    }
    if (inElement && start >= 0) pending.push(chunk.subarray(start, n));
  }
  if (inElement) yield { index, error: 'the document ends inside this record (truncated?)' };
}

/** An element's text: straight from the chunk when it lies in one (the common case), else joined. */
function textOf(pending: Buffer[], chunk: Buffer, start: number, end: number): string {
  if (pending.length === 0) return chunk.toString('utf8', start, end);
  pending.push(chunk.subarray(start, end));
  return Buffer.concat(pending).toString('utf8');
}

function trailingBackslashes(parts: Buffer[]): number {
  let count = 0;
  for (let p = parts.length - 1; p >= 0; p--) {
    const b = parts[p];
    for (let j = b.length - 1; j >= 0; j--) {
      if (b[j] !== 0x5c) return count;
      count++;
    }
  }
  return count;
}

/** How many brackets of the document are still open when its record array closes. */
const OPEN_AFTER: Record<RecordArray['path'], number> = {
  $: 0,
  '$.data': 1,
  '$.resourceSpans': 1,
  '$.result.resourceSpans': 2,
};

/**
 * What follows the document once its record array has closed: skips the document's remaining members
 * (Jaeger's `total`, `errors`, ...) and yields the bytes after its last bracket, starting with `rest`, then
 * the remaining chunks. Those are empty for a lone document; in an NDJSON file whose first line was too
 * long to be seen whole when the file was opened, they are the lines after the first.
 */
export async function* afterRecordArray(
  rest: Buffer,
  more: AsyncIterator<Buffer>,
  path: RecordArray['path'],
): AsyncGenerator<Buffer> {
  let open = OPEN_AFTER[path];
  let inString = false;
  let escaped = false;
  for (let chunk: Buffer | undefined = rest; chunk !== undefined;) {
    let i = 0;
    while (open > 0 && i < chunk.length) {
      const c = chunk[i++];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) open++;
      else if (c === 0x7d || c === 0x5d) open--;
    }
    if (open === 0 && i < chunk.length) yield chunk.subarray(i);
    const r = await more.next();
    chunk = r.done ? undefined : r.value;
  }
}
