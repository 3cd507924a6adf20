import { existsSync, readFileSync } from 'node:fs';
import { elfNeedsInterpreter } from '../util/elf.js';
import { execute } from '../process/runner.js';
import { findOnPath } from '../util/which.js';
import type { Probe } from './checks.js';

/** Looks at this machine. */
export const systemProbe: Probe = {
  hasCommand: (name) => findOnPath(name) !== undefined,
  hasFile: (p) => existsSync(p),
  isStatic(p) {
    try {
      return !elfNeedsInterpreter(readFileSync(p));
    } catch {
      return false;
    }
  },
  async hasPkgConfig(module) {
    if (!findOnPath('pkg-config')) return false;
    const r = await execute({ program: 'pkg-config', args: ['--exists', module], what: 'pkg-config --exists' });
    return r.exitCode === 0;
  },
};
