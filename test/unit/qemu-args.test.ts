import { describe, expect, it } from 'vitest';
import { kernelCommandLine, kgdbKernelArgs, qemuArgs, type QemuPlan } from '../../src/qemu/args.js';

const plan: QemuPlan = {
  arch: 'x86_64',
  kernel: '/s/bzImage',
  initrd: '/s/initramfs.cpio',
  accel: 'tcg',
  memory: '2G',
  cpus: 2,
  gdbPort: 4321,
  serialLog: '/l/vm/serial.log',
  consoleSocket: '/l/vm/console.sock',
  agentSocket: '/l/vm/agent.sock',
  qmpSocket: '/l/vm/qmp.sock',
  pidFile: '/l/vm/qemu.pid',
};

function after(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe('qemu argument list', () => {
  const args = qemuArgs(plan);

  it('boots the kernel without KASLR, with the serial console and panics that end QEMU', () => {
    expect(after(args, '-kernel')).toEqual(['/s/bzImage']);
    expect(after(args, '-initrd')).toEqual(['/s/initramfs.cpio']);
    const append = after(args, '-append')[0]!;
    expect(append.split(' ')).toEqual(expect.arrayContaining(['console=ttyS0', 'nokaslr', 'panic=-1']));
    expect(args).toContain('-no-reboot');
  });

  it('puts the gdbstub on 127.0.0.1 and every other channel on a unix socket', () => {
    expect(after(args, '-gdb')).toEqual(['tcp:127.0.0.1:4321']);
    expect(after(args, '-qmp')).toEqual(['unix:/l/vm/qmp.sock,server=on,wait=off']);
    const chardevs = after(args, '-chardev');
    expect(chardevs).toHaveLength(2);
    for (const c of chardevs) expect(c).toMatch(/^socket,id=\w+,path=\/l\/vm\/\w+\.sock,server=on,wait=off/);
    expect(chardevs[0]).toContain('logfile=/l/vm/serial.log');
    // ttyS0 is the console, ttyS1 the agent: order matters
    expect(after(args, '-serial')).toEqual(['chardev:console', 'chardev:agent']);
    expect(args.join(' ')).not.toMatch(/0\.0\.0\.0|hostfwd=(tcp|udp)::/);
  });

  it('sizes the machine and picks the accelerator', () => {
    expect(after(args, '-m')).toEqual(['2G']);
    expect(after(args, '-smp')).toEqual(['2']);
    expect(after(args, '-machine')).toEqual(['pc,accel=tcg']);
    expect(args).not.toContain('host');
    const kvm = qemuArgs({ ...plan, accel: 'kvm' });
    expect(after(kvm, '-machine')).toEqual(['pc,accel=kvm']);
    expect(after(kvm, '-cpu')).toEqual(['host']);
  });

  it("adds extra kernel words after the lab's own", () => {
    expect(kernelCommandLine({ arch: 'x86_64', append: ['quiet'] })).toMatch(/nokaslr.* quiet$/);
  });
});

describe('qemu argument list of an arm64 guest', () => {
  const args = qemuArgs({ ...plan, arch: 'arm64', kernel: '/s/Image', kgdbPort: 40123 });

  it("boots QEMU's virt board, -cpu max under TCG and host under KVM", () => {
    expect(after(args, '-machine')).toEqual(['virt,gic-version=3,accel=tcg']);
    expect(after(args, '-cpu')).toEqual(['max,pauth-impdef=on']);
    const kvm = qemuArgs({ ...plan, arch: 'arm64', accel: 'kvm' });
    expect(after(kvm, '-machine')).toEqual(['virt,gic-version=3,accel=kvm']);
    expect(after(kvm, '-cpu')).toEqual(['host']);
  });

  it('has its console on the PL011 and tells the init where the agent is', () => {
    const words = after(args, '-append')[0]!.split(' ');
    expect(words).toEqual(expect.arrayContaining(['console=ttyAMA0', 'nokaslr', 'lab.agent=virtio:lab.agent']));
    expect(words).not.toContain('console=ttyS0');
    expect(kernelCommandLine({ arch: 'x86_64' })).not.toMatch(/lab\.agent/);
  });

  it('puts the agent on a named virtio port and KGDB on a PCI 16550 (ttyS0): the board has one serial port', () => {
    expect(after(args, '-serial')).toEqual(['chardev:console']);
    expect(after(args, '-device')).toEqual([
      'virtio-serial-pci,id=channels',
      // a port, not a console: QEMU throttles a port when the host reads slowly, and drops a console's bytes
      'virtserialport,chardev=agent,name=lab.agent',
      'pci-serial,chardev=kgdb',
      'vmcoreinfo',
    ]);
    expect(after(args, '-chardev')).toContain('socket,id=kgdb,host=127.0.0.1,port=40123,server=on,wait=off');
    expect(kgdbKernelArgs('arm64')).toEqual(['kgdboc=ttyS0,115200']);
    // without --kgdb, no 16550
    expect(after(qemuArgs({ ...plan, arch: 'arm64' }), '-device')).not.toContain('pci-serial,chardev=kgdb');
    expect(kgdbKernelArgs('x86_64')).toEqual(['kgdboc=ttyS2,115200']);
  });
});

describe('the QEMU command line of a restore', () => {
  it('is the boot command line and -incoming on the inherited stream file, nothing else', () => {
    const restore = qemuArgs({ ...plan, incomingFd: 3 });
    expect(restore).toEqual([...qemuArgs(plan), '-incoming', 'fd:3']);
  });
});

describe('a deterministic VM (lab up --deterministic)', () => {
  it("counts TCG's instructions as the guest's clock, and never sleeps in host time", () => {
    expect(qemuArgs({ ...plan, icount: true })).toEqual([...qemuArgs(plan), '-icount', 'shift=0,sleep=off']);
  });

  it('is refused under KVM, in one line', async () => {
    const { validateStartFlags } = await import('../../src/lab/vm.js');
    const flags = { memory: '2G', cpus: 2, gdbPort: 4321, accel: 'kvm' as const, bootTimeout: 60 };
    expect(() => validateStartFlags({ ...flags, deterministic: true })).toThrow(/cannot run under KVM/);
    expect(() => validateStartFlags({ ...flags, accel: 'tcg', deterministic: true })).not.toThrow();
  });
});
