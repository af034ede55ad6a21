#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { userError } from './user-error.js';

type Register = (program: Command) => unknown;

/**
 * Each command's module is imported only when that command runs: `serve` pulls in fastify, BullMQ and
 * ioredis, `sim` its systems, and loading them all cost about a second of start-up before any work.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  inspect: async () => (await import('./inspect.js')).registerInspectCommand,
  train: async () => (await import('./train.js')).registerTrainCommand,
  score: async () => (await import('./score.js')).registerScoreCommand,
  analyze: async () => (await import('./analyze.js')).registerAnalyzeCommand,
  incidents: async () => (await import('./incidents.js')).registerIncidentsCommand,
  sim: async () => (await import('./sim.js')).registerSimCommand,
  topology: async () => (await import('./topology.js')).registerTopologyCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
};

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('tracehound')
    .description('Finds anomalous distributed traces and suggests their root causes.')
    .version('0.1.0')
    .option('--debug', 'print stack traces for every error')
    // Subcommands keep their own options (`sim serve --seed` is serve's, not sim's).
    .enablePositionalOptions()
    // Commander's own usage errors are thrown (and printed by it) instead of exiting, so the exit code is ours.
    .exitOverride();
  // The command is the first argument that is not the root's own option; help, the version, an unknown
  // command or none at all register every command so that commander lists them.
  const name = argv.slice(2).find((a) => a !== '--debug');
  const wanted = name !== undefined && name in COMMANDS ? [name] : Object.keys(COMMANDS);
  for (const register of await Promise.all(wanted.map((n) => COMMANDS[n]()))) register(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  const user = userError(err);
  const debug = process.argv.includes('--debug');
  if (user && !debug) {
    if (user.line) process.stderr.write(`tracehound: ${user.line}\n`);
  } else if (!(err instanceof CommanderError))
    process.stderr.write(`tracehound: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // exit, not exitCode: a half-started service may hold connections that would keep the process alive.
  process.exit(user ? user.code : 1);
});
