#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT_CODES } from '../errors.js';
import { registerBuild } from './commands/build.js';
import { registerCourse } from './commands/course.js';
import { registerDebug } from './commands/debug.js';
import { registerDoctor } from './commands/doctor.js';
import { registerGuest } from './commands/guest.js';
import { registerMatrix } from './commands/matrix.js';
import { registerTrace } from './commands/trace.js';
import { registerVm } from './commands/vm.js';

let y = yargs(hideBin(process.argv))
  .scriptName('lab')
  .usage('$0 <command>: a Linux-kernel debugging lab for memory compaction')
  .option('lab-dir', { type: 'string', describe: 'the lab directory (default ./.lab)', global: true })
  .option('lab', {
    type: 'string',
    describe: 'the lab.json to use (default ./lab.json when there is one)',
    global: true,
  })
  .option('json', { type: 'boolean', default: false, describe: 'machine-readable output on stdout', global: true })
  .option('report', {
    type: 'boolean',
    default: true,
    describe: 'write report.html at the end of debug, trace and run (--no-report: do not)',
    global: true,
  });
y = registerBuild(y);
y = registerVm(y);
y = registerDebug(y);
y = registerGuest(y);
y = registerTrace(y);
y = registerDoctor(y);
y = registerCourse(y);
y = registerMatrix(y);

await y
  .parserConfiguration({ 'populate--': true })
  .demandCommand(1, 'name a command: lab build, lab up, lab debug, lab demo, ...')
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`lab: ${msg}: see lab --help\n`);
    process.exit(EXIT_CODES.usage);
  })
  .help()
  .parseAsync();
