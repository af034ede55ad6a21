/**
 * The service as a child process for the reliability tests: `tsx service-entry.ts worker,scheduler`, configured
 * from the environment like `tracehound serve`, plus TRACEHOUND_TEST_TUNING (JSON ServiceTuning) so a test
 * can shorten job locks and backoffs. Prints "ready" once running.
 */
import { loadConfig } from '../../src/config.js';
import { startService, type Role, type ServiceTuning } from '../../src/app/start.js';

const roles = new Set((process.argv[2] ?? 'worker').split(',') as Role[]);
const tuning = JSON.parse(process.env.TRACEHOUND_TEST_TUNING ?? '{}') as ServiceTuning;
const service = await startService(loadConfig(), roles, (m) => process.stderr.write(`${m}\n`), tuning);
process.stdout.write('ready\n');
process.on('SIGTERM', () => void service.close().then(() => process.exit(0)));
