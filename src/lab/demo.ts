import type { DebugResult } from '../gdb/debug.js';
import { buildLab, type BuildFlags } from './build.js';
import type { BuildRecord } from './build-record.js';
import type { LabContext } from './context.js';
import { recordDebug } from './debug.js';
import { DEMO_BREAKPOINTS, DEMO_TRIGGER } from './demo-breakpoints.js';
import { ensureVmFor, type StartFlags } from './vm.js';

export { DEMO_BREAKPOINTS } from './demo-breakpoints.js';

export interface DemoFlags extends BuildFlags, StartFlags {
  count: number;
  timeout: number;
}

/**
 * lab demo: build (the initramfs boots in a second), boot, record the seed's breakpoints around a manual compaction.
 */
export async function runDemo(
  ctx: LabContext,
  flags: DemoFlags,
  onBuilt?: (build: BuildRecord) => void,
): Promise<{ build: BuildRecord; result: DebugResult; runDir: string; report?: string }> {
  const build = await buildLab(ctx, { ...flags, rootfs: flags.rootfs ?? 'initramfs' });
  onBuilt?.(build);
  const vm = await ensureVmFor(ctx, build, flags);
  const { result, runDir, report } = await recordDebug(ctx, vm, {
    break: DEMO_BREAKPOINTS,
    count: flags.count,
    timeout: flags.timeout,
    trigger: DEMO_TRIGGER,
  });
  return { build, result, runDir, report };
}
