import { stopVm } from '../vm/stop.js';
import type { VmState } from '../vm/state.js';
import { requireVm, vmStatus, type VmStatus } from '../vm/status.js';
import type { LabContext } from './context.js';

/*
 * The VM as it is, and stopping it: apart from lab/vm.ts (starting one), so lab
 * status, lab down and every command that needs a running VM load no build code.
 */
export const stopLabVm = (ctx: LabContext) => stopVm(ctx.paths);
export const labVmStatus = (ctx: LabContext): Promise<VmStatus> => vmStatus(ctx.paths);
export const runningVm = (ctx: LabContext): Promise<VmState> => requireVm(ctx.paths);
