import { loadMoment, readMoments, saveMoment, type Moment } from '../vm/moments.js';
import { requireVm } from '../vm/status.js';
import type { LabContext } from './context.js';

/*
 * Named moments of the running VM (lab snapshot): saved into the lab's
 * moments disk, listed, loaded back. Apart from lab/vm.ts, so none of them
 * loads build code.
 */
export async function saveLabMoment(ctx: LabContext, name: string): Promise<Moment & { bytes: number }> {
  return saveMoment(ctx.paths, await requireVm(ctx.paths), name);
}

export async function loadLabMoment(ctx: LabContext, name: string): Promise<Moment> {
  return loadMoment(ctx.paths, await requireVm(ctx.paths), name);
}

export const labMoments = (ctx: LabContext): Promise<Moment[]> => readMoments(ctx.paths);
