import { LabError } from '../errors.js';
import type { DebugRequest } from '../gdb/debug.js';
import { parseBreakpointSpec } from '../gdb/breakpoint-spec.js';
import { fetchArgOf, instanceSetup } from './kprobe-plan.js';

export interface GuestEngineRequest extends DebugRequest {
  /** Ring buffer per CPU, KiB. */
  bufferKb?: number;
}

/** The request checked before anything is resolved or armed (pure). */
export function checkGuestEngineRequest(
  request: Pick<GuestEngineRequest, 'via' | 'args' | 'snapshots' | 'breakpoints' | 'captures' | 'bufferKb'>,
): void {
  if (request.via === 'kgdb')
    throw new LabError('BAD_OPTION', '--engine guest records inside the kernel, not through KGDB', {
      hint: 'drop --via kgdb, or use --engine gdb',
    });
  if (request.args)
    throw new LabError('BAD_OPTION', '--args needs gdb reading DWARF at every stop', {
      hint: 'use --engine gdb, or capture arguments with --capture $arg1 (a register: %di on x86_64, %x0 on arm64)',
    });
  if (request.snapshots?.length)
    throw new LabError('BAD_OPTION', '--snapshot needs gdb reading the allocator at a stop', {
      hint: 'use --engine gdb',
    });
  for (const b of request.breakpoints.map(parseBreakpointSpec)) {
    if (b.condition)
      throw new LabError('BAD_OPTION', `--break "${b.spec}": --engine guest records every hit, without conditions`, {
        hint: 'drop "if ...", or use --engine gdb',
      });
  }
  (request.captures ?? []).forEach(fetchArgOf);
  if (request.bufferKb !== undefined) instanceSetup(request.bufferKb);
}
