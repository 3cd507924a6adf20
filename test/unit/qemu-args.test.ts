import { describe, expect, it } from 'vitest';
import { kernelCommandLine, qemuArgs, type QemuPlan } from '../../src/qemu/args.js';

const plan: QemuPlan = {
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
    expect(kernelCommandLine({ append: ['quiet'] })).toMatch(/nokaslr.* quiet$/);
  });
});
