/** Every command lab runs is a plan: data built by a pure function, read here as words. */
import { describe, expect, it } from 'vitest';
import { extractCommand } from '../../src/fetch/extract.js';
import { gdbRecorderCommand } from '../../src/gdb/gdb-command.js';
import { keygenCommand } from '../../src/guest/ssh.js';
import { growImageCommands } from '../../src/image/debian-plan.js';
import { fragmenterCompileCommand } from '../../src/image/guest-tools.js';
import { buildCommand, modulesInstallCommand } from '../../src/kernel/plan.js';
import { formatCommand, type Command } from '../../src/process/command.js';
import { kvmProbeArgs, qemuArgs } from '../../src/qemu/args.js';
import { overlayCommand } from '../../src/qemu/overlay.js';
import { configureCommand, loadRecipe, ninjaCommand } from '../../src/qemu/recipe.js';
import { backgroundArgv } from '../../src/scenario/background.js';

const line = (c: Command) => formatCommand(c);

describe('plans as words', () => {
  it('kernel: the build, and modules_install into the store entry', () => {
    expect(line(buildCommand('/src', '/b', 2))).toBe('make -C /src O=/b ARCH=x86_64 -j2 bzImage vmlinux scripts_gdb');
    expect(line(modulesInstallCommand('/src', '/b', '/store/k'))).toBe(
      'make -C /src O=/b ARCH=x86_64 INSTALL_MOD_PATH=/store/k modules_install',
    );
  });

  it("sources: tar unpacks the top directory, never as the archive's owner", () => {
    expect(line(extractCommand('/d/linux.tar.xz', '/s', 'x'))).toBe(
      'tar -xaf /d/linux.tar.xz -C /s --strip-components=1 --no-same-owner',
    );
  });

  it('QEMU from source: configure out of tree, ninja for the two binaries', () => {
    const { recipe } = loadRecipe('7.2');
    const c = configureCommand(recipe, '/q/src', '/q/src/build', '/store/q/prefix');
    expect(c.program).toEqual({ path: '/q/src/configure' });
    expect(c.cwd).toBe('/q/src/build');
    expect(c.args.at(-1)).toBe('--prefix=/store/q/prefix');
    expect(line(ninjaCommand(recipe, '/q/src/build', 2))).toBe('ninja -j 2 qemu-system-x86_64 qemu-img');
  });

  it('the KVM probe boots the same machine as the VM, with its console on stdout', () => {
    const probe = kvmProbeArgs({
      arch: 'x86_64',
      kernel: '/k/bzImage',
      initrd: '/r/initramfs.cpio',
      firmwareDirs: ['/usr/share/seabios'],
    });
    expect(probe.join(' ')).toBe(
      '-L /usr/share/seabios -nodefaults -no-user-config -display none -machine pc,accel=kvm -cpu host ' +
        '-m 256M -smp 1 -kernel /k/bzImage -initrd /r/initramfs.cpio -append ' +
        'console=ttyS0 nokaslr panic=-1 loglevel=7 qemu_fw_cfg.ioport=12@0x510:0:1:4 quiet -serial stdio -no-reboot',
    );
    const vm = qemuArgs({
      arch: 'x86_64',
      kernel: '/k/bzImage',
      initrd: '/r/i',
      accel: 'tcg',
      memory: '2G',
      cpus: 2,
      gdbPort: 4321,
      serialLog: '/l/s',
      consoleSocket: '/l/c',
      agentSocket: '/l/a',
      qmpSocket: '/l/q',
      pidFile: '/l/p',
    });
    expect(vm.slice(0, 12)).toEqual([
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-machine',
      'pc,accel=tcg',
      '-m',
      '2G',
      '-smp',
      '2',
      '-kernel',
      '/k/bzImage',
    ]);
  });

  it('the guest image, its overlay, the ssh key, the fragmenter, gdb', () => {
    expect(growImageCommands('/i.ext2').map(line)).toEqual(['truncate -s +1G /i.ext2', 'resize2fs -f /i.ext2']);
    expect(line(overlayCommand('qemu-img', '/store/rootfs.ext4', '/l/disk.qcow2'))).toBe(
      'qemu-img create -q -f qcow2 -F raw -b /store/rootfs.ext4 /l/disk.qcow2',
    );
    expect(line(keygenCommand('/l/ssh/id_ed25519'))).toBe("ssh-keygen -q -t ed25519 -N '' -C lab -f /l/ssh/id_ed25519");
    expect(line(fragmenterCompileCommand('/p/fragmenter.c', '/t/fragmenter'))).toBe(
      'gcc -O2 -static -Wall -o /t/fragmenter /p/fragmenter.c',
    );
    const gdb = gdbRecorderCommand('/store/k/vmlinux', '/r/recorder.json');
    expect(gdb.env).toEqual({ LAB_RECORDER_CONFIG: '/r/recorder.json' });
    expect(gdb.args.slice(-3)).toEqual([
      '-x',
      expect.stringMatching(/gdb-scripts\/lab_recorder.py$/),
      '/store/k/vmlinux',
    ]);
  });

  it('a background job in the guest: argv as words after the script, never spliced into it', () => {
    const argv = backgroundArgv(['fragmenter', '--pattern', '$(reboot)'], '/tmp/lab-r/bg-0.out');
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('reboot');
    expect(argv.slice(3)).toEqual(['sh', '/tmp/lab-r/bg-0.out', 'fragmenter', '--pattern', '$(reboot)']);
  });
});
