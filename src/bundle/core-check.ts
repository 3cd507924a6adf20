import { existsSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { RUN_FILES } from '../record/files.js';
import { readKdumpKernel } from '../vmcore/kdump-header.js';

/**
 * A handed-in core against the class's kernel: accepted only when the build
 * id it names (its vmcoreinfo, which the guest kernel wrote) is the class
 * vmlinux's. A core is a student's file like any other: a damaged one is
 * this row's failure, not the check's.
 */
export async function coreEvidence(
  runDir: string,
  classBuildId: string | undefined,
): Promise<{ pass: boolean; evidence: string } | undefined> {
  const core = path.join(runDir, RUN_FILES.core);
  if (!existsSync(core)) return undefined;
  const run = path.basename(runDir);
  let named: string | undefined;
  try {
    named = (await readKdumpKernel(core)).buildId;
  } catch (err) {
    if (err instanceof LabError) return { pass: false, evidence: `${run}: ${err.message}` };
    throw err;
  }
  if (!classBuildId) return { pass: false, evidence: `${run}: no class vmlinux to hold its core against` };
  if (named !== classBuildId)
    return {
      pass: false,
      evidence: `${run}: the core names kernel ${named ?? 'none'}, not the class's ${classBuildId}`,
    };
  return { pass: true, evidence: `${run}: the core's kernel is the class's vmlinux (build id ${classBuildId})` };
}
