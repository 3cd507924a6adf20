import { commandOf, type AnyCommand } from '../command.js';
import { buildCommand } from './build.js';
import { initCommand, lockCommand, publishCommand, verifyCommand } from './course.js';
import { debugCommand, demoCommand } from './debug.js';
import { doctorCommand } from './doctor.js';
import { exerciseCommand, exercisesCommand } from './exercises.js';
import { consoleCommand, cpCommand, execCommand, gdbCommand, sshCommand } from './guest.js';
import { checkCommand, packCommand } from './hand-in.js';
import { matrixCommand } from './matrix.js';
import { crashCommand, drgnCommand, dumpCommand } from './postmortem.js';
import { runCommand } from './run.js';
import { compareCommand, reportCommand } from './runs.js';
import { traceCommand } from './trace.js';
import { downCommand, snapshotCommand, statusCommand, upCommand } from './vm.js';

/** Every command lab has, in the order lab --help lists them. */
export const COMMANDS: AnyCommand[] = [
  commandOf(buildCommand),
  commandOf(upCommand),
  commandOf(downCommand),
  commandOf(statusCommand),
  commandOf(snapshotCommand),
  commandOf(debugCommand),
  commandOf(demoCommand),
  commandOf(execCommand),
  commandOf(sshCommand),
  commandOf(cpCommand),
  commandOf(gdbCommand),
  commandOf(consoleCommand),
  commandOf(dumpCommand),
  commandOf(crashCommand),
  commandOf(drgnCommand),
  commandOf(traceCommand),
  commandOf(runCommand),
  commandOf(doctorCommand),
  commandOf(initCommand),
  commandOf(exercisesCommand),
  commandOf(exerciseCommand),
  commandOf(lockCommand),
  commandOf(verifyCommand),
  commandOf(publishCommand),
  commandOf(packCommand),
  commandOf(checkCommand),
  commandOf(compareCommand),
  commandOf(reportCommand),
  commandOf(matrixCommand),
];
