/**
 * QEMU built from source, as the seed did: here from Debian's 7.2 orig tarball
 * (qemu.org is unreachable), fetched with got, verified, built with the 7.2
 * recipe, and used for a real boot and a real gdb session. The build runs
 * whenever its store key is absent (about 4 minutes on 2 cores).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firmwarePath, loadRecipe } from '../../src/qemu/recipe.js';
import { freePort, lab, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-qemu');
let record: {
  qemu: {
    binary: string;
    version: string;
    firmwareDirs: string[];
    built: { recipe: string; cached: boolean; placeholders: string[]; tarballSha256: string };
  };
};

beforeAll(async () => {
  const r = await lab(['build', '--profile', 'debian', '--qemu-build', '--json'], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  record = JSON.parse(r.stdout);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe("QEMU from Debian's orig tarball", () => {
  it('was verified and built with the 7.2 recipe into the store', () => {
    expect(record.qemu.built.tarballSha256).toBe('91aca71520040edc40b8d437aa3004dae614f58e286cf653ee8996c07af2962f');
    expect(record.qemu.built.recipe).toBe('7.2');
    expect(record.qemu.binary).toMatch(/\/qemu\/[0-9a-f]{32}\/bin\/qemu-system-x86_64$/);
    expect(record.qemu.version).toMatch(/^QEMU emulator version 7\.2\.0/);
    // the dfsg tarball lacks the edk2 blobs: stand-ins were made, Debian's firmware is used
    expect(record.qemu.built.placeholders).toContain('edk2-x86_64-code.fd.bz2');
    // Debian 12 keeps the iPXE ROMs in /usr/lib/ipxe/qemu, Debian 13 in /usr/share/qemu
    expect(record.qemu.firmwareDirs).toEqual(firmwarePath(loadRecipe('7.2').recipe, existsSync).dirs);
    expect(record.qemu.firmwareDirs.slice(0, 2)).toEqual(['/usr/share/seabios', '/usr/share/qemu']);
  });

  it('is a cache hit the second time', async () => {
    const r = await lab(['build', '--profile', 'debian', '--qemu-build', '--json'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const again = JSON.parse(r.stdout);
    expect(again.qemu.built.cached).toBe(true);
    expect(again.qemu.binary).toBe(record.qemu.binary);
  });

  it('boots the lab and serves lab debug --trigger compact, and the manifest names it', async () => {
    const port = await freePort();
    const up = await lab(['up', '--gdb-port', String(port)], { cwd });
    expect(up.exitCode, up.stderr).toBe(0);
    const d = await lab(
      [
        'debug',
        '--break',
        'compact_zone',
        '--break',
        'compact_unlock_should_abort',
        '--trigger',
        'compact',
        '--count',
        '3',
      ],
      { cwd },
    );
    expect(d.exitCode, d.stderr).toBe(0);
    const runs = path.join(cwd, '.lab', 'runs');
    const run = path.join(runs, readdirSync(runs).sort().at(-1)!);
    const manifest = JSON.parse(readFileSync(path.join(run, 'manifest.json'), 'utf8'));
    expect(manifest.qemu.binary).toBe(record.qemu.binary);
    expect(manifest.qemu.version).toMatch(/^QEMU emulator version 7\.2\.0/);
    expect(manifest.qemu.built.recipe).toBe('7.2');
    expect(manifest.hits).toBe(3);
  }, 300_000);
});
