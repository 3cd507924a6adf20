import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import {
  configureArgs,
  EMPTY_BZIP2,
  edk2BlobNames,
  firmwareArgs,
  firmwarePath,
  loadRecipe,
  parseNinjaProgress,
} from '../../src/qemu/recipe.js';
import { qemuChoice } from '../../src/lab/build.js';
import { execaSync } from 'execa';

describe('QEMU recipes', () => {
  it('turn into configure arguments: x86_64-softmmu only, slirp, no docs', () => {
    const { recipe } = loadRecipe('7.2');
    expect(configureArgs(recipe, '/store/qemu/k/prefix')).toEqual([
      '--target-list=x86_64-softmmu',
      '--enable-slirp',
      '--disable-docs',
      '--disable-werror',
      '--meson=meson',
      '--disable-install-blobs',
      '--prefix=/store/qemu/k/prefix',
    ]);
    const upstream = loadRecipe('8.1.2').recipe;
    expect(configureArgs(upstream, '/p')).toEqual([
      '--target-list=x86_64-softmmu',
      '--enable-slirp',
      '--disable-docs',
      '--disable-werror',
      '--prefix=/p',
    ]);
    expect(upstream.firmwareDirs).toEqual([]);
  });

  it("points a blob-less build at Debian's firmware with -L", () => {
    const { recipe } = loadRecipe('7.2');
    expect(firmwareArgs(recipe.firmwareDirs)).toEqual([
      '-L',
      '/usr/share/seabios',
      '-L',
      '/usr/share/qemu',
      '-L',
      '/usr/lib/ipxe/qemu',
    ]);
  });

  it("finds Debian's firmware where Debian 12 or Debian 13 puts it, and names a file neither has", () => {
    const { recipe } = loadRecipe('7.2');
    const bookworm = new Set(['/usr/share/seabios', '/usr/share/qemu', '/usr/lib/ipxe/qemu']);
    const trixie = new Set(['/usr/share/seabios', '/usr/share/qemu']);
    const seabios = ['bios-256k.bin', 'vgabios-stdvga.bin'].map((f) => `/usr/share/seabios/${f}`);
    const data = ['linuxboot_dma.bin', 'kvmvapic.bin'].map((f) => `/usr/share/qemu/${f}`);
    const on = (files: Set<string>) => (f: string) => files.has(f);
    expect(
      firmwarePath(recipe, on(new Set([...bookworm, ...seabios, ...data, '/usr/lib/ipxe/qemu/efi-virtio.rom']))),
    ).toEqual({ dirs: [...bookworm], missing: [] });
    expect(
      firmwarePath(recipe, on(new Set([...trixie, ...seabios, ...data, '/usr/share/qemu/efi-virtio.rom']))),
    ).toEqual({ dirs: [...trixie], missing: [] });
    expect(firmwarePath(recipe, on(new Set([...trixie, ...seabios, ...data])))).toEqual({
      dirs: [...trixie],
      missing: ['efi-virtio.rom'],
    });
  });

  it('finds the edk2 blob names pc-bios/meson.build expects', () => {
    const meson =
      "roms = []\nif unpack_edk2_blobs\n  fds = [\n    'edk2-aarch64-code.fd',\n " +
      "   'edk2-x86_64-code.fd',\n  ]\n  foreach f : fds\n";
    expect(edk2BlobNames(meson)).toEqual(['edk2-aarch64-code.fd.bz2', 'edk2-x86_64-code.fd.bz2']);
    expect(edk2BlobNames('blobs = []')).toEqual([]);
  });

  it('uses a placeholder that bzip2 itself decompresses to nothing', () => {
    const out = execaSync('bzip2', ['-dc'], { input: EMPTY_BZIP2, encoding: 'buffer' });
    expect(out.exitCode).toBe(0);
    expect(out.stdout.length).toBe(0);
  });

  it("reads ninja's [n/N] progress", () => {
    expect(parseNinjaProgress('[123/2345] Compiling C object libqemu.a.p/x.c.o')).toEqual({ done: 123, total: 2345 });
    expect(parseNinjaProgress('ninja: Entering directory')).toBeUndefined();
  });

  it('names the recipes there are when asked for an unknown one', () => {
    expect(() => loadRecipe('9.9')).toThrow(/no QEMU recipe for version 9\.9/);
  });
});

describe('which QEMU', () => {
  const debian = loadProfile('debian');
  const upstream = loadProfile('6.6');
  it('follows the profile, --qemu-build and --qemu', () => {
    expect(qemuChoice(debian, {})).toBe('system');
    expect(qemuChoice(upstream, {})).toBe('build');
    expect(qemuChoice(debian, { qemuBuild: true })).toBe('build');
    expect(qemuChoice(upstream, { qemu: 'system' })).toBe('system');
    expect(qemuChoice(debian, { qemu: '/opt/q/qemu-system-x86_64' })).toEqual({ path: '/opt/q/qemu-system-x86_64' });
    expect(qemuChoice(loadProfile('qemu10'), {})).toBe('build');
  });
});
