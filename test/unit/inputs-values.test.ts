/**
 * Values a person writes are validated before anything runs: a matrix's
 * guest memory, a scenario's settings (only the trees lab restores).
 */
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { memoryProblem, parseMatrixSpec } from '../../src/matrix/spec.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { settingPathProblem } from '../../src/scenario/setting-path.js';
import { GuestSettings } from '../../src/scenario/settings.js';
import type { Guest } from '../../src/guest/guest.js';

function message(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (err instanceof LabError) return err.message;
    throw err;
  }
  throw new Error('no error');
}

describe("a matrix's guest memory", () => {
  const spec = (memory: string) =>
    JSON.stringify({ name: 'm', kernels: [{ name: 'k' }], scenarios: ['manual'], vm: { memory } });

  it('is 128M to 1024G: "0G" and "999999999999G" are refused before any sbatch script is written', () => {
    expect(message(() => parseMatrixSpec(spec('0G'), 'm.json', ['manual']))).toBe(
      'm.json: vm.memory: a guest has 128M to 1024G of memory',
    );
    expect(message(() => parseMatrixSpec(spec('999999999999G'), 'm.json', ['manual']))).toBe(
      'm.json: vm.memory: a guest has 128M to 1024G of memory',
    );
    expect(message(() => parseMatrixSpec(spec('2 G'), 'm.json', ['manual']))).toBe(
      'm.json: vm.memory: a size such as 2G or 1536M',
    );
    expect(parseMatrixSpec(spec('1536M'), 'm.json', ['manual']).vm.memory).toBe('1536M');
    expect(memoryProblem('128M')).toBeUndefined();
    expect(memoryProblem('127M')).toBeDefined();
  });
});

describe("a scenario's settings", () => {
  const base = { name: 'x', description: '', steps: [{ sleep: 1 }], expect: [{ path: 'manual' }] };

  it('are files under /proc/sys/vm or /sys/kernel/mm, never a path out of them', () => {
    expect(settingPathProblem('/proc/sys/vm/compaction_proactiveness')).toBeUndefined();
    expect(settingPathProblem('/sys/kernel/mm/transparent_hugepage/defrag')).toBeUndefined();
    for (const bad of [
      '/sys/../etc/shadow',
      '/proc/sys/vm/../../../etc/shadow',
      '/proc/sys/kernel/panic',
      '/etc/shadow',
    ])
      expect(settingPathProblem(bad), bad).toBeDefined();
    expect(settingPathProblem('/sys/kernel/mm//x')).toMatch(/no "\.\.", "\." or "\/\/"/);
  });

  it('are refused in the scenario file, in settings and in a step', () => {
    const settings = { '/sys/../etc/shadow': '1' };
    expect(message(() => parseScenario(JSON.stringify({ ...base, settings }), 's.json'))).toMatch(
      /^s\.json: settings.*a file under \/proc\/sys\/vm or \/sys\/kernel\/mm/,
    );
    const steps = [{ set: { '/proc/sys/kernel/panic': '1' } }];
    expect(message(() => parseScenario(JSON.stringify({ ...base, steps }), 's.json'))).toMatch(
      /^s\.json: steps\.0.*a file under \/proc\/sys\/vm or \/sys\/kernel\/mm/,
    );
  });

  it('are refused by GuestSettings too, before the guest is asked anything', async () => {
    const guest = { exec: () => Promise.reject(new Error('the guest was asked')) } as unknown as Guest;
    await expect(new GuestSettings(guest).set({ '/sys/../etc/shadow': 'x' })).rejects.toMatchObject({
      code: 'SCENARIO_INVALID',
      message:
        'the setting /sys/../etc/shadow is not a file under /proc/sys/vm or ' +
        '/sys/kernel/mm (the trees lab restores), with no "..", "." or "//"',
    });
  });
});
