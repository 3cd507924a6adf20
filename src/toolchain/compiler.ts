import { execa } from 'execa';
import { LabError } from '../errors.js';

let cached: string | undefined;

/** The compiler's identity, part of every build key: "gcc (Debian 12.2.0-14) 12.2.0". */
export async function compilerVersion(cc = process.env.CC ?? 'gcc'): Promise<string> {
  if (cached) return cached;
  try {
    const { stdout } = await execa(cc, ['--version']);
    cached = stdout.split('\n')[0]!.trim();
    return cached;
  } catch {
    throw new LabError('TOOL_MISSING', `${cc} is not installed (needed to build the kernel)`, {
      hint: 'apt-get install build-essential flex bison bc libelf-dev libssl-dev',
    });
  }
}
