import { existsSync, readFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { elfNeedsInterpreter } from '../image/elf.js';
import type { Probe } from './checks.js';
import { findOnPath } from '../util/which.js';

/** Looks at this machine. */
export const systemProbe: Probe = {
  hasCommand: (name) => findOnPath(name) !== undefined,
  hasFile: (p) => existsSync(p),
  hasPkgConfig(module) {
    try {
      return execaSync('pkg-config', ['--exists', module], { reject: false }).exitCode === 0;
    } catch {
      return false;
    }
  },
  isStatic(p) {
    try {
      return !elfNeedsInterpreter(readFileSync(p));
    } catch {
      return false;
    }
  },
};
