import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import { startService, type Role } from '../app/start.js';

const ROLES: Role[] = ['api', 'worker', 'scheduler'];

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the service: HTTP API, background workers and schedulers (configured from the environment)',
    )
    .option(
      '--role <roles>',
      'comma-separated roles to run in this process: api, worker, scheduler',
      ROLES.join(','),
    )
    .action(async (flags: { role: string }) => {
      const roles = new Set(flags.role.split(',').map((r) => r.trim()) as Role[]);
      for (const r of roles)
        if (!ROLES.includes(r)) throw new ConfigError(`--role: unknown role "${r}" (api, worker, scheduler)`);
      const service = await startService(loadConfig(), roles);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: finishing in-flight jobs and closing connections\n`);
        await service.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
