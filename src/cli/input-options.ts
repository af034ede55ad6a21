import { Command, Option } from 'commander';
import { FORMAT_NAMES, type FormatName } from '../formats/types.js';
import type { ReadOptions } from '../formats/read.js';

export interface InputFlags {
  format?: FormatName;
  preset?: string;
  columns?: string;
  skew?: boolean;
  quiet?: boolean;
}

/** Every command that reads traces takes these the same way. */
export function withInputOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--format <format>', 'input format (detected when absent)').choices([...FORMAT_NAMES]),
    )
    .option('--preset <name>', 'span-table layout: nezha, shapleyiq, tracebench')
    .option(
      '--columns <mapping>',
      'span-table columns, e.g. traceId=TraceID,spanId=SpanID,parentId=ParentID,...',
    )
    .option('--no-skew', 'do not correct clock skew between hosts')
    .option('-q, --quiet', 'no progress output on stderr');
}

export function readOptionsFrom(flags: InputFlags): ReadOptions {
  return { format: flags.format, preset: flags.preset, columns: flags.columns, clockSkew: flags.skew };
}
