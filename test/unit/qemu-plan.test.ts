import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import { downloadEntryKey } from '../../src/fetch/source.js';
import {
  edk2BlobNames,
  loadRecipe,
  PythonDebSchema,
  qemuBuildPlan,
  RecipeSchema,
  type QemuBuildPlan,
} from '../../src/qemu/recipe.js';

const STORE = '/store';
const SCRATCH = '/store/tmp/qemubuild-x';
// the entry's key hashes the tarball, the recipe's text and the compiler: it differs with the tarball
const ENTRY = '/store/qemu/KEY';

/** Where the store keeps a file fetched by URL: downloads/<sha256>/<the URL's file name>. */
function downloaded(file: { url: string; sha256: string }): string {
  return path.join(STORE, 'downloads', downloadEntryKey(file.sha256), path.basename(new URL(file.url).pathname));
}

/** The plan buildQemu runs for a profile's QEMU: its recipe, its tarball and .debs where the store keeps downloads. */
function planOf(profileName: string): { version: string; tarball: string; plan: QemuBuildPlan } {
  const profile = loadProfile(profileName);
  const source = profile.qemu.source;
  if (source?.kind !== 'url' || !profile.qemu.recipe) throw new Error(`${profileName} builds no QEMU from a URL`);
  const tarball = downloaded(source);
  const { recipe } = loadRecipe(profile.qemu.recipe);
  return {
    version: recipe.version,
    tarball,
    plan: qemuBuildPlan(recipe, {
      tarball,
      scratch: SCRATCH,
      entry: ENTRY,
      jobs: 2,
      pythonDebs: recipe.python.map(downloaded),
    }),
  };
}

const SITE = `${SCRATCH}/python/usr/lib/python3/dist-packages`;

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
    // the same configure script in the same tree, the same ninja line, the same products; 10.0's
    // configure and ninja also get PYTHONPATH (the recipe's meson and pycotap, below), 8.1.2's nothing
    expect(b.extract).toEqual(a.extract);
    expect({ ...b.ninja, env: undefined }).toEqual(a.ninja);
    expect(b.products).toEqual(a.products);
    expect({ ...b.configure, args: [], env: undefined }).toEqual({ ...a.configure, args: [] });
    expect(a.configure.program).toEqual({ path: `${SCRATCH}/src/configure` });
    for (const step of [a.extract, a.configure, a.ninja, b.extract]) expect(step.env).toBeUndefined();
    expect(b.configure.env).toEqual({ PYTHONPATH: SITE });
    expect(b.ninja.env).toEqual({ PYTHONPATH: SITE });
    expect(a.pythonTools).toBeUndefined();
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
      configure: { ...b.configure, args: a.configure.args, env: undefined },
      ninja: { ...b.ninja, env: undefined },
      pythonTools: undefined,
      edk2PlaceholdersIn: undefined,
      firmwareDirs: [],
    }).toEqual({ ...a, edk2PlaceholdersIn: undefined });
  });

  it("brings 10.0's own meson >= 1.5 and pycotap: trixie's .debs unpacked into scratch, first on PYTHONPATH", () => {
    // Debian 12 has meson 1.0.1 and no pycotap; configure's venv (non-isolated) and the venv's
    // meson that ninja runs both see PYTHONPATH ahead of the host's dist-packages
    const mesonSha = 'e92d04e60e784336883d537755d09b7dcb856809fa318a0931df3898e84ded95';
    const pycotapSha = '7e8dbf3ac06434275a461d0de79792e2b80126febc53866c89027adde5192ac9';
    const meson = `/store/downloads/${mesonSha}/meson_1.7.0-1_all.deb`;
    const pycotap = `/store/downloads/${pycotapSha}/python3-pycotap_1.3.1-2_all.deb`;
    expect(modern.plan.pythonTools).toEqual({
      root: `${SCRATCH}/python`,
      unpack: [
        { program: 'dpkg-deb', args: ['-x', meson, `${SCRATCH}/python`], what: 'unpacking meson_1.7.0-1_all.deb' },
        {
          program: 'dpkg-deb',
          args: ['-x', pycotap, `${SCRATCH}/python`],
          what: 'unpacking python3-pycotap_1.3.1-2_all.deb',
        },
      ],
      sitePackages: SITE,
    });
    // outside the source tree, so the tarball's extraction and the build directory never meet it
    expect(SITE.startsWith(`${modern.plan.src}/`)).toBe(false);
  });

  it("pins 10.0's meson and pycotap .debs to trixie's pool, the snapshot archive by sha1 last", () => {
    const { recipe } = loadRecipe('10.0');
    expect(recipe.python).toEqual([
      {
        url: 'http://deb.debian.org/debian/pool/main/m/meson/meson_1.7.0-1_all.deb',
        sha256: 'e92d04e60e784336883d537755d09b7dcb856809fa318a0931df3898e84ded95',
        mirrors: [
          'https://deb.debian.org/debian/pool/main/m/meson/meson_1.7.0-1_all.deb',
          'https://snapshot.debian.org/file/1c19891e27425581abe233e7a062270058b3856c',
        ],
      },
      {
        url: 'http://deb.debian.org/debian/pool/main/p/python-pycotap/python3-pycotap_1.3.1-2_all.deb',
        sha256: '7e8dbf3ac06434275a461d0de79792e2b80126febc53866c89027adde5192ac9',
        mirrors: [
          'https://deb.debian.org/debian/pool/main/p/python-pycotap/python3-pycotap_1.3.1-2_all.deb',
          'https://snapshot.debian.org/file/75b844ce76e22de30e5c41c3624771596844131b',
        ],
      },
    ]);
    // the host's meson and pycotap are no longer 10.0's build packages; 7.2 and 8.1.2 bring nothing
    expect(recipe.packages.build).not.toContain('meson');
    expect(recipe.packages.build).not.toContain('python3-pycotap');
    expect(loadRecipe('7.2').recipe.python).toEqual([]);
    expect(loadRecipe('8.1.2').recipe.python).toEqual([]);
  });

  it('takes only pinned Architecture: all packages, and exactly as many fetched files as the recipe lists', () => {
    const sha256 = 'e'.repeat(64);
    expect(PythonDebSchema.safeParse({ url: 'http://deb.debian.org/x/meson_1.7.0-1_all.deb', sha256 }).success).toBe(
      true,
    );
    expect(PythonDebSchema.safeParse({ url: 'http://deb.debian.org/x/meson_1.7.0-1_amd64.deb', sha256 }).success).toBe(
      false,
    );
    expect(PythonDebSchema.safeParse({ url: 'http://deb.debian.org/x/meson_1.7.0-1_all.deb' }).success).toBe(false);
    expect(PythonDebSchema.safeParse({ url: 'ftp://deb.debian.org/x/meson_1.7.0-1_all.deb', sha256 }).success).toBe(
      false,
    );
    const { recipe } = loadRecipe('10.0');
    const where = { tarball: '/t.tar.xz', scratch: SCRATCH, entry: ENTRY, jobs: 2 };
    expect(() => qemuBuildPlan(recipe, where)).toThrow(/2 python \.debs in the recipe, 0 given/);
    const bare = RecipeSchema.parse({ version: 'x', configure: [], packages: { build: [], run: [] } });
    expect(qemuBuildPlan(bare, where).pythonTools).toBeUndefined();
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
