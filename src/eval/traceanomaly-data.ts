/**
 * The TraceAnomaly service-trace vectors (../shared/datasets/traceanomaly-vectors): loading the zipped files
 * and the train/test split that SOURCE.md describes. Used by the evaluation suite, the isolation-forest bench
 * and scripts/traceanomaly.ts.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { Matrix } from '../detectors/matrix.js';
import { Prng } from '../detectors/prng.js';

export const DEFAULT_DIR = '../shared/datasets/traceanomaly-vectors';

/** The single member of a zip archive, found through the central directory (sizes there are reliable). */
export function readSingleZipEntry(path: string): Buffer {
  const buf = readFileSync(path);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path}: not a zip file (no end-of-central-directory record)`);
  const cd = buf.readUInt32LE(eocd + 16);
  if (buf.readUInt32LE(cd) !== 0x02014b50) throw new Error(`${path}: corrupt central directory`);
  const method = buf.readUInt16LE(cd + 10);
  const compressed = buf.readUInt32LE(cd + 20);
  const local = buf.readUInt32LE(cd + 42);
  if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`${path}: corrupt local header`);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const data = buf.subarray(start, start + compressed);
  if (method === 0) return data;
  if (method === 8) return inflateRawSync(data);
  throw new Error(`${path}: unsupported zip compression method ${method}`);
}

/** Parses `<trace id>:<v1>,<v2>,...` lines; malformed lines are skipped and counted. */
export function parseVectors(text: string, what: string): { matrix: Matrix; skipped: number } {
  const lines = text.split('\n');
  let cols = -1;
  const rows: Float64Array[] = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    const parts = line.slice(colon + 1).split(',');
    if (cols < 0) cols = parts.length;
    const row = new Float64Array(parts.length);
    let ok = colon > 0 && parts.length === cols;
    for (let c = 0; ok && c < parts.length; c++) {
      row[c] = Number(parts[c]);
      if (!Number.isFinite(row[c])) ok = false;
    }
    if (ok) rows.push(row);
    else skipped++;
  }
  if (skipped > 0) console.error(`${what}: skipped ${skipped} malformed line(s)`);
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(r, i * cols));
  return { matrix: { data, rows: rows.length, cols }, skipped };
}

export function loadTraceAnomaly(dir = DEFAULT_DIR): { normal: Matrix; abnormal: Matrix } | null {
  const normalZip = join(dir, 'test_normal.zip');
  const abnormalZip = join(dir, 'test_abnormal.zip');
  if (!existsSync(normalZip) || !existsSync(abnormalZip)) return null;
  const normal = parseVectors(readSingleZipEntry(normalZip).toString('utf8'), 'test_normal').matrix;
  const abnormal = parseVectors(readSingleZipEntry(abnormalZip).toString('utf8'), 'test_abnormal').matrix;
  if (normal.cols !== abnormal.cols)
    throw new Error(`column counts differ: ${normal.cols} vs ${abnormal.cols}`);
  return { normal, abnormal };
}

export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const data = new Float64Array(idx.length * m.cols);
  for (let i = 0; i < idx.length; i++)
    data.set(m.data.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  return { data, rows: idx.length, cols: m.cols };
}

function concatRows(a: Matrix, b: Matrix): Matrix {
  const data = new Float64Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}

/** Rows as plain arrays, for libraries that take number[][] (ml-isolation-forest). */
export function toArrays(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
}

/** The paper's split: a seeded half of the normal rows for training, the rest plus all abnormal rows for testing. */
export function splitTraceAnomaly(
  normal: Matrix,
  abnormal: Matrix,
  seed: number,
): { train: Matrix; test: Matrix; labels: Uint8Array } {
  const order = new Prng(seed).shuffle(Int32Array.from({ length: normal.rows }, (_, i) => i));
  const half = Math.floor(normal.rows / 2);
  const train = selectRows(normal, order.subarray(0, half));
  const testNormal = selectRows(normal, order.subarray(half));
  const test = concatRows(testNormal, abnormal);
  const labels = new Uint8Array(test.rows);
  labels.fill(1, testNormal.rows);
  return { train, test, labels };
}
