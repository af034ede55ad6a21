/**
 * The machine's own ceiling for scaling out: the same fixed CPU-bound work (building, serializing and parsing
 * small objects, which allocates and collects as scoring does) in n concurrent node processes, as work per
 * CPU-second summed over them. On a machine whose cores share execution units or caches, or with fewer
 * cores than processes, this ratio falls below 1 with no code of ours involved; the scale bench's ratios are
 * read against it.
 */
import { spawn } from 'node:child_process';

const WORK = `
const t0 = process.cpuUsage();
let n = 0;
for (let i = 0; i < ${4000}; i++) {
  const spans = [];
  for (let j = 0; j < 60; j++) spans.push({ id: 'span' + j + ':' + i, service: 's' + (j % 7), start: i * 1e6 + j, duration: j * 31 });
  n += JSON.parse(JSON.stringify(spans)).length;
}
const u = process.cpuUsage(t0);
process.stdout.write(JSON.stringify({ n, cpuS: (u.user + u.system) / 1e6 }));
`;

function runOne(): Promise<{ n: number; cpuS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', WORK], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { n: number; cpuS: number })
        : reject(new Error(`exit ${code}`)),
    );
  });
}

/** Work units per CPU-second with `processes` copies running at once. */
export async function referencePerCpuSecond(processes: number): Promise<number> {
  const runs = await Promise.all(Array.from({ length: processes }, runOne));
  return runs.reduce((a, r) => a + r.n, 0) / runs.reduce((a, r) => a + r.cpuS, 0);
}
