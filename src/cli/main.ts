#!/usr/bin/env node
import { Command } from 'commander';
import { InputError } from '../formats/types.js';
import { registerInspectCommand } from './inspect.js';
import { registerTrainCommand } from './train.js';
import { registerScoreCommand } from './score.js';
import { registerAnalyzeCommand } from './analyze.js';
import { registerSimCommand } from './sim.js';
import { registerServeCommand } from './serve.js';
import { registerTopologyCommand } from './topology.js';
import { registerIncidentsCommand } from './incidents.js';
import { ConfigError } from '../config.js';

const program = new Command()
  .name('tracehound')
  .description('Finds anomalous distributed traces and suggests their root causes.')
  .version('0.1.0')
  // Subcommands keep their own options (`sim serve --seed` is serve's, not sim's).
  .enablePositionalOptions();

registerInspectCommand(program);
registerTrainCommand(program);
registerScoreCommand(program);
registerAnalyzeCommand(program);
registerIncidentsCommand(program);
registerSimCommand(program);
registerTopologyCommand(program);
registerServeCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof InputError || err instanceof ConfigError)
    process.stderr.write(`tracehound: ${err.message}\n`);
  else
    process.stderr.write(`tracehound: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
