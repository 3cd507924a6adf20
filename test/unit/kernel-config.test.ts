import { readFileSync } from 'node:fs';
import path from 'node:path';
import { programName } from '../../src/process/programs.js';
import { describe, expect, it } from 'vitest';
import {
  configChanges,
  describeUnmet,
  fragmentRequirements,
  kernelVersionFromMakefile,
  parseConfig,
  unmetRequirements,
} from '../../src/kernel/config.js';
import { buildCommand, configCommands, isKbuildStepLine } from '../../src/kernel/plan.js';
import { FIXTURES, hasShared } from '../helpers/shared.js';

const LAB_FRAGMENT = path.resolve(import.meta.dirname, '..', '..', 'kernel-configs', 'lab.config');

describe('config parsing and verification', () => {
  it('reads set, unset and string options', () => {
    const c = parseConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=0x10\n# comment\n');
    expect([...c.entries()]).toEqual([
      ['CONFIG_A', 'y'],
      ['CONFIG_B', null],
      ['CONFIG_C', '"x y"'],
      ['CONFIG_D', '0x10'],
    ]);
  });

  it('the lab fragment requires what debugging compaction needs', () => {
    const reqs = fragmentRequirements(readFileSync(LAB_FRAGMENT, 'utf8'), 'lab.config');
    const byName = new Map(reqs.map((r) => [r.name, r.value]));
    for (const name of [
      'CONFIG_VM_EVENT_COUNTERS',
      'CONFIG_DEBUG_INFO',
      'CONFIG_GDB_SCRIPTS',
      'CONFIG_FRAME_POINTER',
      'CONFIG_KGDB',
      'CONFIG_DEBUG_FS',
      'CONFIG_FTRACE',
      'CONFIG_FUNCTION_GRAPH_TRACER',
      'CONFIG_DYNAMIC_FTRACE',
      'CONFIG_COMPACTION',
      'CONFIG_MIGRATION',
      'CONFIG_TRANSPARENT_HUGEPAGE',
      'CONFIG_HUGETLBFS',
      'CONFIG_SERIAL_8250_CONSOLE',
      'CONFIG_DEVTMPFS',
      'CONFIG_BLK_DEV_INITRD',
      'CONFIG_VIRTIO_PCI',
      'CONFIG_E1000',
      'CONFIG_ATA_PIIX',
      'CONFIG_EXT4_FS',
    ]) {
      expect(byName.get(name), name).toBe('y');
    }
    expect(byName.get('CONFIG_RANDOMIZE_BASE')).toBeNull();
  });

  it('reports each option that did not take effect, with what it became and where it was asked', () => {
    const reqs = fragmentRequirements(
      'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\nCONFIG_D=m\n# CONFIG_E is not set\n',
      'f.config',
    );
    const unmet = unmetRequirements(parseConfig('CONFIG_A=y\nCONFIG_B=y\nCONFIG_D=y\n'), reqs);
    expect(unmet.map(describeUnmet)).toEqual([
      'CONFIG_B wanted not set, got =y (f.config:2)',
      'CONFIG_C wanted =y, got absent (a dependency is off) (f.config:3)',
      'CONFIG_D wanted =m, got =y (f.config:4)',
    ]);
  });

  it('takes an absent string option for an empty one: its dependency is off, it names no file', () => {
    const reqs = fragmentRequirements(
      'CONFIG_SYSTEM_REVOCATION_KEYS=""\nCONFIG_MODULE_SIG_KEY="certs/signing_key.pem"\n',
      'foreign.config',
    );
    expect(unmetRequirements(parseConfig('CONFIG_MODULE_SIG_KEY="certs/signing_key.pem"\n'), reqs)).toEqual([]);
    expect(unmetRequirements(parseConfig(''), reqs).map((u) => u.requirement.name)).toEqual(['CONFIG_MODULE_SIG_KEY']);
  });

  it('lists the changes made to a config option by option', () => {
    const before = parseConfig('CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_E="a"\n');
    const after = parseConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=y\nCONFIG_D=y\nCONFIG_E="b"\n');
    expect(configChanges(before, after)).toEqual([
      'CONFIG_B: y -> n',
      'CONFIG_C: n -> y',
      'CONFIG_D: (absent) -> y',
      'CONFIG_E: "a" -> "b"',
    ]);
  });

  it('reads the version as make kernelversion says it', () => {
    expect(
      kernelVersionFromMakefile('VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = Curry Ramen\n'),
    ).toBe('6.1.192');
    expect(kernelVersionFromMakefile('VERSION = 6\nPATCHLEVEL = 6\nSUBLEVEL = 0\nEXTRAVERSION = -rc1\n')).toBe(
      '6.6.0-rc1',
    );
  });

  it.skipIf(!hasShared)("parses the student's real Ubuntu-derived 6.6 config", () => {
    const c = parseConfig(readFileSync(path.join(FIXTURES, 'kernel-configs', 'ubuntu-derived-6.6.config'), 'utf8'));
    expect(c.get('CONFIG_NR_CPUS')).toBe('8192');
    expect(c.get('CONFIG_MODULE_SIG')).toBe('y');
    expect(c.get('CONFIG_COMPACTION')).toBe('y');
    expect(c.size).toBeGreaterThan(5000);
  });
});

describe('make plans', () => {
  it('builds out of tree: base target, merge_config.sh -m, olddefconfig', () => {
    const cmds = configCommands('/src', '/b', 'tinyconfig', ['/f/lab.config']);
    expect(cmds.map((c) => [programName(c.program), ...c.args].join(' '))).toEqual([
      'make -C /src O=/b ARCH=x86_64 tinyconfig',
      '/src/scripts/kconfig/merge_config.sh -m -O /b /b/.config /f/lab.config',
      'make -C /src O=/b ARCH=x86_64 olddefconfig',
    ]);
  });

  it("starts from the user's file (copied into O= beforehand) when given", () => {
    const cmds = configCommands('/src', '/b', { file: '/u/my.config' }, ['/f/lab.config']);
    expect(cmds[0]!.what).toBe('merge_config.sh');
    expect(cmds).toHaveLength(2);
  });

  it('builds bzImage, vmlinux and the gdb scripts with -j', () => {
    expect(buildCommand('/src', '/b', 2).args).toEqual([
      '-C',
      '/src',
      'O=/b',
      'ARCH=x86_64',
      '-j2',
      'bzImage',
      'vmlinux',
      'scripts_gdb',
    ]);
  });

  it('counts kbuild step lines and nothing else', () => {
    expect(isKbuildStepLine('  CC      mm/compaction.o')).toBe(true);
    expect(isKbuildStepLine('  LD [M]  x.ko')).toBe(true);
    expect(isKbuildStepLine('make[1]: Entering directory')).toBe(false);
    expect(isKbuildStepLine('warning: x')).toBe(false);
  });
});

describe('options a kernel does not define', () => {
  it('reads the symbols a Kconfig file defines, and sets apart the unmet options no Kconfig defines', async () => {
    const { definedSymbols, splitUnmet } = await import('../../src/kernel/kconfig-symbols.js');
    expect(
      definedSymbols('config BASE_SMALL\n\tbool "x"\nmenuconfig EXPERT\n  # config NOT_THIS\nconfig  PRINTK \n'),
    ).toEqual(['BASE_SMALL', 'EXPERT', 'PRINTK']);
    const unmet = [
      { requirement: { name: 'CONFIG_BASE_FULL', value: 'y', origin: 'systemd.config:7' }, actual: undefined },
      { requirement: { name: 'CONFIG_KGDB', value: 'y', origin: 'lab.config:3' }, actual: undefined },
      { requirement: { name: 'CONFIG_GONE', value: 'y', origin: 'lab.config:4' }, actual: null },
    ];
    const split = splitUnmet(unmet, new Set(['KGDB', 'BASE_SMALL']));
    expect(split.notInKernel).toEqual(['CONFIG_BASE_FULL (systemd.config:7)']);
    expect(split.unmet.map((u) => u.requirement.name)).toEqual(['CONFIG_KGDB', 'CONFIG_GONE']);
  });
});
