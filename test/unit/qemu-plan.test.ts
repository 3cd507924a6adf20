import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import { downloadEntryKey } from '../../src/fetch/source.js';
import { edk2BlobNames, loadRecipe, qemuBuildPlan, type QemuBuildPlan } from '../../src/qemu/recipe.js';

const STORE = '/store';
const SCRATCH = '/store/tmp/qemubuild-x';
// the entry's key hashes the tarball, the recipe's text and the compiler: it differs with the tarball
const ENTRY = '/store/qemu/KEY';

/** The plan buildQemu runs for a profile's QEMU: its recipe, its tarball where the store keeps a download. */
function planOf(profileName: string): { version: string; tarball: string; plan: QemuBuildPlan } {
  const profile = loadProfile(profileName);
  const source = profile.qemu.source;
  if (source?.kind !== 'url' || !profile.qemu.recipe) throw new Error(`${profileName} builds no QEMU from a URL`);
  const name = path.basename(new URL(source.url).pathname);
  const tarball = path.join(STORE, 'downloads', downloadEntryKey(source.sha256), name);
  const { recipe } = loadRecipe(profile.qemu.recipe);
  return {
    version: recipe.version,
    tarball,
    plan: qemuBuildPlan(recipe, { tarball, scratch: SCRATCH, entry: ENTRY, jobs: 2 }),
  };
}

/** The plan with its tarball-derived words (the tarball's path, the version in step names) made generic. */
function generic({ version, tarball, plan }: ReturnType<typeof planOf>): QemuBuildPlan {
  const text = JSON.stringify(plan).replaceAll(tarball, '<tarball>').replaceAll(`QEMU ${version} `, 'QEMU <v> ');
  return JSON.parse(text) as QemuBuildPlan;
}

describe('QEMU build plans: 8.1.2 (qemu.org) and 10.0 (Debian trixie +ds)', () => {
  const upstream = planOf('6.6');
  const modern = planOf('qemu10');

  it('take each tarball from its profile and name each step by its version', () => {
    expect(upstream.tarball).toBe(
      '/store/downloads/541526a764576eb494d2ff5ec46aeb253e62ea29035d1c23c0a8af4e6cd4f087/qemu-8.1.2.tar.xz',
    );
    expect(modern.tarball).toBe(
      '/store/downloads/6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae/qemu_10.0.13+ds.orig.tar.xz',
    );
    for (const { tarball, plan } of [upstream, modern]) {
      expect(plan.extract.program).toBe('tar');
      expect(plan.extract.args).toEqual([
        '-xaf',
        tarball,
        '-C',
        `${SCRATCH}/src`,
        '--strip-components=1',
        '--no-same-owner',
      ]);
    }
    expect(upstream.plan.configure.what).toBe('QEMU 8.1.2 configure');
    expect(modern.plan.configure.what).toBe('QEMU 10.0 configure');
  });

  it('share every step but what the +ds tarball lacks: a meson wheel, firmware blobs, the dtc sources', () => {
    const a = generic(upstream);
    const b = generic(modern);
    // the same configure script in the same tree, the same ninja line, the same products, no environment
    expect(b.extract).toEqual(a.extract);
    expect(b.ninja).toEqual(a.ninja);
    expect(b.products).toEqual(a.products);
    expect({ ...b.configure, args: [] }).toEqual({ ...a.configure, args: [] });
    expect(a.configure.program).toEqual({ path: `${SCRATCH}/src/configure` });
    for (const step of [a.extract, a.configure, a.ninja, b.extract, b.configure, b.ninja])
      expect(step.env).toBeUndefined();
    // 8.1.2's flags, in order, are all in 10.0's; 10.0 adds three before --prefix
    expect(b.configure.args.filter((f) => a.configure.args.includes(f))).toEqual(a.configure.args);
    expect(b.configure.args.filter((f) => !a.configure.args.includes(f))).toEqual([
      // Debian drops python/wheels/*.whl: configure's venv must find meson >= 1.5 (and pycotap, the
      // same pythondeps.toml group) installed, which only Debian's own python3 sees, not a python3
      // earlier on PATH (a pyenv shim); 8.1.2 installs the meson wheel its tarball ships
      '--python=/usr/bin/python3',
      // the tarball keeps dtc.wrap and slirp.wrap but not their sources: meson must not go fetch them
      // (without libfdt-dev it would clone dtc; with this, 10.0's x86_64 goes without fdt)
      '--disable-download',
      // no bios-256k.bin, linuxboot_dma.bin, ...: installing the blob list would fail at configure
      '--disable-install-blobs',
    ]);
    // bzip2 on the host makes meson unpack the edk2 .fd.bz2 files Debian dropped: empty stand-ins
    expect(a.edk2PlaceholdersIn).toBeUndefined();
    expect(b.edk2PlaceholdersIn).toBe(`${SCRATCH}/src/pc-bios`);
    // and the built QEMU boots with Debian's SeaBIOS, option ROMs and iPXE
    expect(a.firmwareDirs).toEqual([]);
    expect(b.firmwareDirs).toEqual(['/usr/share/seabios', '/usr/share/qemu', '/usr/lib/ipxe/qemu']);
    // nothing else
    expect({
      ...b,
      configure: { ...b.configure, args: a.configure.args },
      edk2PlaceholdersIn: undefined,
      firmwareDirs: [],
    }).toEqual({ ...a, edk2PlaceholdersIn: undefined });
  });

  it("finds the edk2 stand-ins 10.0's pc-bios/meson.build lists", () => {
    // the fds list of qemu-10.0.13/pc-bios/meson.build
    const meson = `roms = []
if unpack_edk2_blobs
  fds = [
    'edk2-aarch64-code.fd',
    'edk2-arm-code.fd',
    'edk2-arm-vars.fd',
    'edk2-riscv-code.fd',
    'edk2-riscv-vars.fd',
    'edk2-i386-code.fd',
    'edk2-i386-secure-code.fd',
    'edk2-i386-vars.fd',
    'edk2-x86_64-code.fd',
    'edk2-x86_64-secure-code.fd',
    'edk2-loongarch64-code.fd',
    'edk2-loongarch64-vars.fd',
  ]
`;
    const names = edk2BlobNames(meson);
    expect(names).toHaveLength(12);
    expect(names).toContain('edk2-x86_64-code.fd.bz2');
  });

  it("pins 10.0's tarball to Debian's pool, with the snapshot archive's copy by sha1 as the last mirror", () => {
    const source = loadProfile('qemu10').qemu.source;
    expect(source).toEqual({
      kind: 'url',
      url: 'http://deb.debian.org/debian/pool/main/q/qemu/qemu_10.0.13+ds.orig.tar.xz',
      sha256: '6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae',
      mirrors: [
        'https://deb.debian.org/debian/pool/main/q/qemu/qemu_10.0.13+ds.orig.tar.xz',
        'https://snapshot.debian.org/file/7617726069d7b00c2b7bd10aea8077b005913e5f',
      ],
    });
    // the kernel is the debian profile's: a .deb fetched by URL builds on Debian 12 and 13 alike
    expect(loadProfile('qemu10').kernel).toEqual(loadProfile('debian').kernel);
  });
});
