/** Nezha dataset files: the fault list and a line-level pre-filter of the span CSVs for small smoke runs. */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { parse } from 'csv-parse/sync';

export interface NezhaFault {
  faultId: string;
  day: string;
  /** Window on the span clock, µs. */
  start: number;
  end: number;
  service: string;
  pod: string;
  type: string;
}

export function readNezhaFaults(file: string): NezhaFault[] {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const out: NezhaFault[] = [];
  rows.forEach((r, i) => {
    const start = Number(r.inject_epoch_s_spanclock);
    const end = Number(r.window_end_epoch_s_spanclock);
    if (!Number.isFinite(start) || !Number.isFinite(end) || !r.service) {
      process.stderr.write(`${file} row ${i + 2}: skipped, no window or no service\n`);
      return;
    }
    out.push({
      faultId: r.fault_id,
      day: r.day,
      start: start * 1e6,
      end: end * 1e6,
      service: r.service,
      pod: r.pod,
      type: r.fault_type,
    });
  });
  return out;
}

/**
 * Copies the header and the span lines `keep` accepts (by trace id and start in µs) from a gzipped Nezha CSV
 * into a plain CSV. Used only for smoke runs, so a trace cut at a window edge is acceptable there.
 */
export async function filterNezhaCsv(
  src: string,
  dst: string,
  keep: (traceId: string, startUs: number) => boolean,
): Promise<number> {
  const out = createWriteStream(dst);
  const rl = createInterface({ input: createReadStream(src).pipe(createGunzip()), crlfDelay: Infinity });
  let kept = 0;
  let first = true;
  for await (const line of rl) {
    if (first) {
      first = false;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      continue;
    }
    const c1 = line.indexOf(',');
    let p = c1;
    for (let k = 0; k < 4 && p >= 0; k++) p = line.indexOf(',', p + 1);
    const p2 = p >= 0 ? line.indexOf(',', p + 1) : -1;
    if (c1 < 0 || p2 < 0) continue;
    const startUs = Number(line.slice(p + 1, p2)) / 1000;
    if (!keep(line.slice(0, c1), startUs)) continue;
    kept++;
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return kept;
}
