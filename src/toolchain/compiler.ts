import type { Program } from '../process/programs.js';
import type { Store } from '../store/store.js';
import { versionLineMemo } from '../store/file-memo.js';

let cached: string | undefined;

/** The C compiler: CC when set, else gcc. */
export function compiler(env: NodeJS.ProcessEnv = process.env): Program {
  return env.CC ? { path: env.CC } : 'gcc';
}

/** The compiler's identity, part of every build key: "gcc (Debian 12.2.0-14) 12.2.0". */
export async function compilerVersion(store?: Store): Promise<string> {
  cached ??= await versionLineMemo(store, {
    program: compiler(),
    args: ['--version'],
    what: 'building the kernel (the C compiler)',
  });
  return cached;
}
