import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import { elfNeedsInterpreter } from '../image/elf.js';
import type { Probe } from './checks.js';

/** Looks at this machine. */
export const systemProbe: Probe = {
  hasCommand(name) {
    return (process.env.PATH ?? '').split(':').some((dir) => {
      if (!dir) return false;
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  },
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
