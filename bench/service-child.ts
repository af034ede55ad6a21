/**
 * The service as the bench runs it: a process of its own (API, workers, schedulers), configured from the
 * environment like `tracehound serve`, with BENCH_TUNING (JSON ServiceTuning). Prints "ready" once running.
 */
import { loadConfig } from '../src/config.js';
import { startService, type Role, type ServiceTuning } from '../src/app/start.js';

const roles = new Set((process.argv[2] ?? 'api,worker,scheduler').split(',') as Role[]);
const tuning = JSON.parse(process.env.BENCH_TUNING ?? '{}') as ServiceTuning;
const service = await startService(loadConfig(), roles, (m) => process.stderr.write(`${m}\n`), tuning);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void service.close().then(() => process.exit(0)));
