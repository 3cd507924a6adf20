import { LabError } from '../errors.js';
import { findOnPath } from '../util/which.js';

/** crash, drgn and makedumpfile: lab's run dependencies, though older installs lack them. */
export function requirePostmortemTool(program: 'crash' | 'drgn' | 'makedumpfile'): void {
  if (findOnPath(program)) return;
  throw new LabError('TOOL_MISSING', `${program} is not installed (lab dump, crash and drgn need it)`, {
    hint: 'bash scripts/install-deps.sh postmortem',
  });
}
