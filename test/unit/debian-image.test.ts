import {
  ctimeCommands,
  IMAGE_EPOCH,
  IMAGE_HASH_SEED,
  IMAGE_UUID,
  reproducibleMke2fsCommand,
} from '../../src/image/reproducible.js';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  debootstrapCommand,
  enableUnitsCommand,
  maskUnitsCommand,
  imageSizeMiB,
  mmdebstrapCommand,
  parsePackageList,
} from '../../src/image/debian-plan.js';
import { debianBuilderMissing } from '../../src/image/debian.js';
import {
  kernelKeyArg,
  muxRequestArgs,
  muxMasterArgs,
  muxSocket,
  scpArgs,
  sshExecArgs,
  sshOptions,
} from '../../src/guest/ssh.js';
import { parseCopy } from '../../src/guest/channel.js';
import { AgentReplyParser, putRequest } from '../../src/guest/agent-protocol.js';
import { overlayCommand } from '../../src/qemu/overlay.js';
import { qemuArgs } from '../../src/qemu/args.js';

const IMAGE = path.resolve(import.meta.dirname, '..', '..', 'image');
const OVERLAY = path.join(IMAGE, 'debian', 'overlay');

describe('Debian image plans', () => {
  const packages = parsePackageList(readFileSync(path.join(IMAGE, 'debian', 'packages.txt'), 'utf8'));

  it('keeps its package list in image/', () => {
    expect(packages).toEqual(
      expect.arrayContaining([
        'openssh-server',
        'stress-ng',
        'procps',
        'iproute2',
        'kmod',
        'trace-cmd',
        'less',
        'systemd-sysv',
      ]),
    );
    expect(packages.every((p) => /^[a-z0-9][a-z0-9+.-]*$/.test(p))).toBe(true);
  });

  it('debootstraps bookworm minbase with the packages, keeping .debs in the store', () => {
    const c = debootstrapCommand('/s/tmp/tree', ['a', 'b'], {
      mirror: 'http://deb.debian.org/debian',
      cacheDir: '/s/debcache',
    });
    expect([c.program, ...c.args]).toEqual([
      'debootstrap',
      '--variant=minbase',
      '--include=a,b',
      '--cache-dir=/s/debcache',
      'bookworm',
      '/s/tmp/tree',
      'http://deb.debian.org/debian',
    ]);
  });

  it('builds without root through mmdebstrap in a user namespace', () => {
    const c = mmdebstrapCommand('/s/img.ext2', ['a'], { mirror: 'http://m/debian', overlay: '/s/ov' });
    expect(c.program).toBe('mmdebstrap');
    expect(c.args).toEqual(
      expect.arrayContaining([
        '--mode=unshare',
        '--variant=minbase',
        '--format=ext2',
        '--include=a',
        '--customize-hook=sync-in /s/ov /',
      ]),
    );
    expect(c.args.slice(-3)).toEqual(['bookworm', '/s/img.ext2', 'http://m/debian']);
  });

  it('makes the ext4 file with mke2fs -d (no mount, no loop device), its UUID, hash seed and clock fixed', () => {
    const c = reproducibleMke2fsCommand('/t', '/s/rootfs.ext4', 2048);
    expect([c.program, ...c.args]).toEqual([
      'mke2fs',
      '-q',
      '-F',
      '-t',
      'ext4',
      '-L',
      'lab-root',
      '-U',
      IMAGE_UUID,
      '-E',
      `hash_seed=${IMAGE_HASH_SEED}`,
      '-d',
      '/t',
      '/s/rootfs.ext4',
      '2048M',
    ]);
    expect(c.env).toEqual({ E2FSPROGS_FAKE_TIME: String(IMAGE_EPOCH) });
    expect(ctimeCommands(['/', '/etc/a b', '/bad"name'])).toBe(
      `sif "/" ctime @${IMAGE_EPOCH}\nsif "/" atime @${IMAGE_EPOCH}\nsif ` +
        `"/etc/a b" ctime @${IMAGE_EPOCH}\nsif "/etc/a b" atime @${IMAGE_EPOCH}\n`,
    );
    expect(imageSizeMiB(400 << 20)).toBe(1536);
    // the image's own systemctl, in a chroot: the host needs no systemd
    expect([enableUnitsCommand('/t').program, ...enableUnitsCommand('/t').args]).toEqual([
      'chroot',
      '/t',
      'systemctl',
      'enable',
      'systemd-networkd.service',
      'lab-ssh-key.service',
      'lab-ssh-host-key.service',
      'ssh.service',
      'lab-agent.service',
    ]);
    // what boots in a lab VM and delays ssh for nothing is masked; the serial console's getty stays
    const mask = maskUnitsCommand('/t').args;
    expect(mask.slice(0, 3)).toEqual(['/t', 'systemctl', 'mask']);
    expect(mask).toEqual(
      expect.arrayContaining(['e2scrub_reap.service', 'getty-static.service', 'modprobe@fuse.service']),
    );
    expect(
      mask.some((u) => u.startsWith('serial-getty') || u === 'ssh.service' || u === 'systemd-networkd.service'),
    ).toBe(false);
  });

  it('says which package is missing for the user it is', () => {
    const has = (set: string[]) => (c: string) => set.includes(c);
    expect(debianBuilderMissing(true, has(['mke2fs']))?.line()).toBe(
      'debootstrap is not installed (it builds the Debian image): apt-get install debootstrap',
    );
    expect(debianBuilderMissing(false, has(['debootstrap', 'mke2fs']))?.line()).toMatch(
      /without root needs mmdebstrap.*apt-get install mmdebstrap/,
    );
    expect(debianBuilderMissing(true, has(['debootstrap', 'mke2fs']))).toBeUndefined();
  });
});

describe('the overlay', () => {
  const read = (p: string) => readFileSync(path.join(OVERLAY, p), 'utf8');

  it('brings up any wired NIC with DHCP, whatever its name', () => {
    const network = read('etc/systemd/network/20-lab.network');
    expect(network).toMatch(/\[Match\]\s*\nType=ether/);
    expect(network).toMatch(/DHCP=ipv4/);
  });

  it('logs root in on the serial console and mounts debugfs and tracefs', () => {
    expect(read('etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf')).toMatch(/agetty --autologin root/);
    const fstab = read('etc/fstab');
    expect(fstab).toMatch(/^debugfs\s+\/sys\/kernel\/debug\s+debugfs/m);
    expect(fstab).toMatch(/^tracefs\s+\/sys\/kernel\/tracing\s+tracefs/m);
  });

  it('sets the debugging sysctls and a hostname', () => {
    expect(read('etc/sysctl.d/90-lab.conf')).toMatch(/kernel\.kptr_restrict = 0/);
    expect(read('etc/hostname').trim()).toBe('lab');
  });

  it("lets root in by key only, the lab's key installed at boot", () => {
    expect(read('etc/ssh/sshd_config.d/lab.conf')).toMatch(/PasswordAuthentication no/);
    expect(read('etc/systemd/system/lab-ssh-key.service')).toMatch(/Before=ssh\.service/);
    const installer = path.join(OVERLAY, 'usr/local/lib/lab/install-ssh-key');
    expect(statSync(installer).mode & 0o111).not.toBe(0);
  });

  it('holds nothing but text files git can carry', () => {
    const files = readdirSync(OVERLAY, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThanOrEqual(9);
    expect(existsSync(path.join(OVERLAY, 'etc/machine-id'))).toBe(false);
  });
});

describe('ssh to the guest', () => {
  const target = { port: 2222, key: '/l/.lab/ssh/id_ed25519' };

  it('goes to 127.0.0.1 only, with the lab key and no known_hosts', () => {
    const opts = sshOptions(target);
    expect(opts).toEqual(
      expect.arrayContaining([
        '-i',
        '/l/.lab/ssh/id_ed25519',
        '-p',
        '2222',
        'IdentitiesOnly=yes',
        'UserKnownHostsFile=/dev/null',
      ]),
    );
    expect(scpArgs(target, 'a', 'root@127.0.0.1:/b')).toEqual(expect.arrayContaining(['-P', '2222']));
  });

  it('runs lab exec as base64 words: the remote shell sees no byte of the arguments', () => {
    const argv = ['sh', '-c', 'echo "$1"; exit 3', 'x y', "it's", '$(reboot)', ''];
    const args = sshExecArgs(target, argv, '/usr/local/lib/lab/lab-exec');
    const i = args.indexOf('root@127.0.0.1');
    expect(args[i + 1]).toBe('/usr/local/lib/lab/lab-exec');
    const words = args.slice(i + 2);
    expect(words.every((w) => /^x[A-Za-z0-9+/=]*$/.test(w))).toBe(true);
    expect(words.map((w) => Buffer.from(w.slice(1), 'base64').toString())).toEqual(argv);
  });

  it('sends plain words as they are behind exec, and any word a shell would touch as base64', () => {
    const plain = sshExecArgs(
      target,
      ['cat', '/proc/vmstat', '-n', 'a=b', 'x,y:z@1%+.'],
      '/usr/local/lib/lab/lab-exec',
    );
    expect(plain.slice(plain.indexOf('root@127.0.0.1') + 1)).toEqual([
      'exec',
      '--',
      'cat',
      '/proc/vmstat',
      '-n',
      'a=b',
      'x,y:z@1%+.',
    ]);
    for (const special of [
      ' ',
      '\t',
      '\n',
      '"',
      "'",
      '`',
      '$',
      '\\',
      '*',
      '?',
      '[',
      '~',
      '{',
      ';',
      '&',
      '|',
      '<',
      '>',
      '(',
      '#',
      '!',
    ]) {
      const args = sshExecArgs(target, ['echo', `a${special}b`], '/usr/local/lib/lab/lab-exec');
      expect(args[args.indexOf('root@127.0.0.1') + 1], JSON.stringify(special)).toBe('/usr/local/lib/lab/lab-exec');
    }
    const empty = sshExecArgs(target, ['printf', ''], '/usr/local/lib/lab/lab-exec');
    expect(empty[empty.indexOf('root@127.0.0.1') + 1]).toBe('/usr/local/lib/lab/lab-exec');
  });

  it('shares one connection through a socket named by port, and goes without one whose path would not fit', () => {
    const mux = { ...target, ...muxSocket('/l/.lab/vm', 2222) };
    expect(mux.controlPath).toBe('/l/.lab/vm/ssh-2222.sock');
    // a client uses the master when it answers and never becomes one
    expect(sshOptions(mux).join(' ')).toContain('-o ControlPath=/l/.lab/vm/ssh-2222.sock -o ControlMaster=no');
    const master = muxMasterArgs({ ...mux, controlPath: mux.controlPath! });
    expect(master.join(' ')).toContain('-o ControlMaster=yes');
    expect(master.slice(-3)).toEqual(['-f', '-N', 'root@127.0.0.1']);
    expect(master.filter((a) => a.startsWith('ControlPath='))).toHaveLength(1);
    // a guest held at a breakpoint answers no keepalive: the master must not give up on it
    expect(master.some((a) => a.startsWith('ServerAlive'))).toBe(false);
    expect(muxRequestArgs(mux)).toEqual(['-o', 'ControlPath=/l/.lab/vm/ssh-2222.sock', '-O', 'exit', 'root@127.0.0.1']);
    expect(muxSocket(`/${'d'.repeat(120)}/.lab/vm`, 2222)).toEqual({});
    // ssh binds PATH.XXXXXXXXXXXXXXXX first: with that suffix the path must still fit sun_path's 107 bytes
    const vmDirFor = (length: number) => `/${'d'.repeat(length - '//ssh-2222.sock'.length)}`;
    expect(muxSocket(vmDirFor(90), 2222).controlPath).toHaveLength(90);
    expect(muxSocket(vmDirFor(91), 2222)).toEqual({});
    expect(sshOptions(target).some((o) => o.startsWith('Control'))).toBe(false);
    expect(muxRequestArgs(target)).toBeUndefined();
  });

  it('hands the public key over as one kernel command-line word', () => {
    const arg = kernelKeyArg('ssh-ed25519 AAAAC3Nza lab');
    expect(arg).toMatch(/^lab\.ssh_key=[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(arg.split('=').slice(1).join('='), 'base64').toString()).toBe('ssh-ed25519 AAAAC3Nza lab');
  });
});

describe('lab cp', () => {
  it('needs exactly one guest: side, with an absolute guest path', () => {
    expect(parseCopy('a.txt', 'guest:/root/')).toEqual({ toGuest: true, local: 'a.txt', guest: '/root/' });
    expect(parseCopy('guest:/proc/vmstat', '.')).toEqual({ toGuest: false, guest: '/proc/vmstat', local: '.' });
    expect(() => parseCopy('a', 'b')).toThrow(/exactly one side/);
    expect(() => parseCopy('guest:/a', 'guest:/b')).toThrow(/exactly one side/);
    expect(() => parseCopy('a', 'guest:root/a')).toThrow(/not absolute/);
  });

  it('sends a file to the initramfs agent as base64 lines ending in "."', () => {
    const data = Buffer.alloc(200, 65);
    const req = putRequest('id9', '/tmp/f', data);
    const lines = req.split('\n');
    expect(lines[1]).toBe(`id9 put x${Buffer.from('/tmp/f').toString('base64')}`);
    expect(lines.at(-2)).toBe('.');
    expect(Buffer.from(lines.slice(2, -2).join(''), 'base64').equals(data)).toBe(true);
    const p = new AgentReplyParser('id9');
    expect(p.feed('@lab id9 exit 0')).toBe(true);
  });
});

describe('the Debian rootfs in QEMU', () => {
  it('boots from a qcow2 overlay and forwards ssh from 127.0.0.1 only', () => {
    expect(overlayCommand('qemu-img', '/s/rootfs.ext4', '/l/vm/disk.qcow2').args).toEqual([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'raw',
      '-b',
      '/s/rootfs.ext4',
      '/l/vm/disk.qcow2',
    ]);
    const args = qemuArgs({
      arch: 'x86_64',
      kernel: '/k',
      accel: 'tcg',
      memory: '2G',
      cpus: 2,
      gdbPort: 4321,
      serialLog: '/l/s',
      consoleSocket: '/l/c',
      agentSocket: '/l/a',
      qmpSocket: '/l/q',
      pidFile: '/l/p',
      disk: '/l/vm/disk.qcow2',
      sshPort: 40022,
      append: ['root=/dev/vda', 'rw'],
    });
    expect(args).toEqual(
      expect.arrayContaining(['-drive', 'file=/l/vm/disk.qcow2,format=qcow2,if=virtio,node-name=disk']),
    );
    expect(args).toEqual(expect.arrayContaining(['-nic', 'user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:40022-:22']));
    expect(args).not.toContain('-initrd');
    expect(args[args.indexOf('-append') + 1]).toMatch(/root=\/dev\/vda rw$/);
  });
});
