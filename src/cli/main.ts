#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { labVersion } from '../config/paths.js';
import { EXIT_CODES } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { globalOptions } from './options.js';

const words = hideBin(process.argv);
let y = globalOptions(
  yargs(words).scriptName('lab').usage('$0 <command>: a Linux-kernel debugging lab for memory compaction'),
);
for (const command of COMMANDS) y = command.register(y);
// yargs lays out a command's help text whenever it runs one, to have it at hand should the
// command fail; lab's fail handler prints one line instead. That layout took 50 ms of a
// one-second lab up, half of it wrapping to the terminal: it wraps only when --help asks.
if (!words.includes('--help')) y = y.wrap(null);

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
