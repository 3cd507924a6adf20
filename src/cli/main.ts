#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { labVersion } from '../config/paths.js';
import { EXIT_CODES } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { globalOptions } from './options.js';

let y = globalOptions(
  yargs(hideBin(process.argv))
    .scriptName('lab')
    .usage('$0 <command>: a Linux-kernel debugging lab for memory compaction'),
);
for (const command of COMMANDS) y = command.register(y);

await y
  .parserConfiguration({ 'populate--': true })
  .demandCommand(1, 'name a command: lab build, lab up, lab debug, lab demo, ...')
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`lab: ${msg}: see lab --help\n`);
    process.exit(EXIT_CODES.usage);
  })
  .version(labVersion())
  .help()
  .parseAsync();
