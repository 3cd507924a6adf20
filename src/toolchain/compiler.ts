import type { Program } from '../process/programs.js';
import { versionLine } from '../process/runner.js';

let cached: string | undefined;

/** The C compiler: CC when set, else gcc. */
export function compiler(env: NodeJS.ProcessEnv = process.env): Program {
  return env.CC ? { path: env.CC } : 'gcc';
}

/** The compiler's identity, part of every build key: "gcc (Debian 12.2.0-14) 12.2.0". */
export async function compilerVersion(): Promise<string> {
  cached ??= await versionLine({ program: compiler(), args: ['--version'], what: 'building the kernel (the C compiler)' });
  return cached;
}
