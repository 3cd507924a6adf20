/**
 * The Debian lab image on the real thing: debootstrap, mke2fs -d, a qcow2
 * overlay, systemd booting the lab's kernel under TCG, sshd answering on a
 * forwarded 127.0.0.1 port. The first run builds the image (about a minute);
 * later runs find it in the store.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningSockets } from '../../src/vm/listening.js';
import { freePort, lab, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-debian');
const labDir = path.join(cwd, '.lab');
let build: { kernel: { version: string }; rootfs: { kind: string; file: string; cached: boolean } };
let imageStamp: { size: number; mtimeMs: number };
let gdbPort: number;

function state(): { pid: number; ssh: { port: number; controlPath?: string } } {
  return JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8'));
}

async function up(...extra: string[]) {
  return lab(['up', '--gdb-port', String(gdbPort), ...extra], { cwd });
}

beforeAll(async () => {
  gdbPort = await freePort();
  const r = await lab(['build', '--json'], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  build = JSON.parse(r.stdout);
  const st = statSync(build.rootfs.file);
  imageStamp = { size: st.size, mtimeMs: st.mtimeMs };
  const u = await up();
  expect(u.exitCode, u.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('the Debian image', () => {
  it("is the profile's default rootfs, and a cache hit the second time", async () => {
    expect(build.rootfs.kind).toBe('debian');
    const again = await lab(['build', '--json'], { cwd });
    expect(JSON.parse(again.stdout).rootfs).toMatchObject({ kind: 'debian', cached: true, file: build.rootfs.file });
  });

  it('runs the kernel lab built, and lab exec passes the exit code', async () => {
    const r = await lab(['exec', '--', 'uname', '-r'], { cwd });
    expect(r.stdout.trim()).toBe(build.kernel.version);
    expect((await lab(['exec', '--', 'sh', '-c', 'exit 3'], { cwd })).exitCode).toBe(3);
    // ssh says 255 for its own failures too: the guest command's 255 is still the command's
    const own = await lab(['exec', '--', 'sh', '-c', 'echo out; echo err >&2; exit 255'], { cwd });
    expect([own.exitCode, own.stdout, own.stderr]).toEqual([255, 'out\n', 'err\n']);
  });

  it('answers ssh with the lab key, and shows the compaction counters', async () => {
    const r = await lab(['ssh', '--', 'grep compact /proc/vmstat'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^compact_migrate_scanned \d+$/m);
    expect(r.stdout).toMatch(/^compact_stall \d+$/m);
    const key = statSync(path.join(labDir, 'ssh', 'id_ed25519'));
    expect(key.mode & 0o777).toBe(0o600);
  });

  it('hands arguments over byte for byte over ssh and runs nothing else', async () => {
    const tricky = [
      'a b',
      'q\'uote"',
      '; touch /tmp/pwned1',
      '$(touch /tmp/pwned2)',
      '`touch /tmp/pwned3`',
      'line1\nline2\n\n',
      '',
      '*',
      '|| true &',
    ];
    const r = await lab(['exec', '--', 'printf', '<%s>', ...tricky], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(tricky.map((t) => `<${t}>`).join(''));
    const pwned = await lab(['exec', '--', 'ls', '/tmp/pwned1', '/tmp/pwned2', '/tmp/pwned3'], { cwd });
    expect(pwned.exitCode).not.toBe(0);
    const split = await lab(['exec', '--', 'sh', '-c', 'echo out; echo err >&2'], { cwd });
    expect([split.stdout, split.stderr]).toEqual(['out\n', 'err\n']);
  });

  it('has debugfs and tracefs mounted and the debugging sysctls set', async () => {
    const mounts = (await lab(['exec', '--', 'cat', '/proc/mounts'], { cwd })).stdout;
    expect(mounts).toMatch(/ \/sys\/kernel\/debug debugfs /);
    expect(mounts).toMatch(/ \/sys\/kernel\/tracing tracefs /);
    expect((await lab(['exec', '--', 'sysctl', '-n', 'kernel.kptr_restrict'], { cwd })).stdout.trim()).toBe('0');
  });

  it('copies files both ways with lab cp', async () => {
    const dir = tempDir('cp');
    const data = randomBytes(100_000);
    writeFileSync(path.join(dir, 'blob'), data);
    expect((await lab(['cp', path.join(dir, 'blob'), 'guest:/root/blob'], { cwd })).exitCode).toBe(0);
    expect((await lab(['cp', 'guest:/root/blob', path.join(dir, 'back')], { cwd })).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'back')).equals(data)).toBe(true);
  });

  it('has a fragmenter whose page cache is clean while it runs and gone with it, leaving no file', async () => {
    // Cached and Dirty in KiB while the fragmenter holds its cache, then after it exits
    const script = [
      'meminfo() { awk \'/^(Cached|Dirty):/ {printf "%s ", $2}\' /proc/meminfo; echo; }',
      'meminfo',
      '/usr/local/lib/lab/fragmenter --mib 16 --page-cache-mib 64 --hold 60 > /tmp/frag.out &',
      'until [ -s /tmp/frag.out ]; do sleep 0.2; done',
      'meminfo',
      'kill $!; wait',
      'meminfo',
      'cat /tmp/frag.out; rm /tmp/frag.out',
      'ls -A /var/tmp',
    ].join('\n');
    const r = await lab(['exec', '--', 'sh', '-c', script], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const [before, holding, after, report, ...left] = r.stdout.trim().split('\n');
    const kib = (l: string) => l.trim().split(' ').map(Number) as [number, number];
    expect(kib(holding!)[0] - kib(before!)[0]).toBeGreaterThanOrEqual(60 * 1024);
    expect(kib(holding!)[1]).toBeLessThan(8 * 1024);
    expect(kib(holding!)[0] - kib(after!)[0]).toBeGreaterThanOrEqual(60 * 1024);
    expect(JSON.parse(report!)).toMatchObject({ mapped_mib: 16, page_cache_mib: 64 });
    expect(left).toEqual([]);
  });

  it('forwards ssh from 127.0.0.1 only', async () => {
    const listeners = await listeningSockets(state().pid);
    expect(listeners).toContainEqual({ kind: 'tcp', address: '127.0.0.1', port: state().ssh.port });
    for (const l of listeners) if (l.kind === 'tcp') expect(l.address).toBe('127.0.0.1');
  });

  it(
    "keeps the student's files across lab up, discards " + 'them with --fresh, and never writes the stored image',
    async () => {
      expect((await lab(['exec', '--', 'touch', '/root/marker'], { cwd })).exitCode).toBe(0);
      expect((await lab(['down'], { cwd })).exitCode).toBe(0);
      expect((await up()).exitCode).toBe(0);
      expect((await lab(['exec', '--', 'test', '-e', '/root/marker'], { cwd })).exitCode).toBe(0);
      expect((await lab(['down'], { cwd })).exitCode).toBe(0);
      const fresh = await up('--fresh');
      expect(fresh.exitCode, fresh.stderr).toBe(0);
      expect((await lab(['exec', '--', 'test', '-e', '/root/marker'], { cwd })).exitCode).toBe(1);
      const st = statSync(build.rootfs.file);
      expect({ size: st.size, mtimeMs: st.mtimeMs }).toEqual(imageStamp);
    },
    180_000,
  );

  it('rides one ssh connection that lab up opens and lab down ends', async () => {
    const { controlPath } = state().ssh;
    expect(controlPath).toBe(path.join(labDir, 'vm', `ssh-${state().ssh.port}.sock`));
    expect(statSync(controlPath!).isSocket()).toBe(true);
    const check = await execa('ssh', ['-o', `ControlPath=${controlPath}`, '-O', 'check', 'root@127.0.0.1'], {
      reject: false,
    });
    const master = Number(/pid=(\d+)/.exec(check.stderr)?.[1]);
    expect(master, check.stderr).toBeGreaterThan(0);
    expect((await lab(['exec', '--', 'true'], { cwd })).exitCode).toBe(0);
    expect((await lab(['down'], { cwd })).exitCode).toBe(0);
    expect(existsSync(controlPath!)).toBe(false);
    expect(existsSync(`/proc/${master}`)).toBe(false);
  });
});

describe("the image's boot snapshot", () => {
  it("is restored in another lab with that lab's ssh key alone, and the host's clock", async () => {
    const other = tempDir('e2e-debian-other');
    const otherLab = path.join(other, '.lab');
    expect((await lab(['build'], { cwd: other })).exitCode).toBe(0);
    // the first lab's VM saved the snapshot (or restored the one before it)
    const u = await lab(['up', '--gdb-port', String(await freePort()), '--fresh'], { cwd: other });
    try {
      expect(u.exitCode, u.stderr).toBe(0);
      expect(JSON.parse(readFileSync(path.join(otherLab, 'state.json'), 'utf8')).start.from).toBe('snapshot');
      const keys = await lab(['exec', '--', 'cat', '/root/.ssh/authorized_keys'], { cwd: other });
      const own = readFileSync(path.join(otherLab, 'ssh', 'id_ed25519.pub'), 'utf8');
      expect(keys.stdout.trim()).toBe(own.trim());
      const seconds = Number((await lab(['exec', '--', 'date', '+%s'], { cwd: other })).stdout);
      expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(5);
      // the key of the lab whose VM saved the snapshot no longer gets in
      const port = JSON.parse(readFileSync(path.join(otherLab, 'state.json'), 'utf8')).ssh.port;
      const first = path.join(labDir, 'ssh', 'id_ed25519');
      const ssh = ['-i', first, '-p', String(port), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
      const hosts = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
      const refused = await execa('ssh', [...ssh, ...hosts, 'root@127.0.0.1', 'true'], { reject: false });
      expect(refused.exitCode).toBe(255);
    } finally {
      await lab(['down'], { cwd: other });
    }
  }, 300_000);
});

describe('named moments on the Debian image', () => {
  it('keeps memory and disk together: a file written after the moment is gone when it is loaded', async () => {
    const exec = async (...argv: string[]) => (await lab(['exec', '--', ...argv], { cwd })).stdout.trim();
    const ok = async (...args: string[]) => expect((await lab(args, { cwd })).exitCode).toBe(0);
    await lab(['down'], { cwd });
    await ok('up', '--gdb-port', String(gdbPort));
    await exec('sh', '-c', 'echo one > /root/mark');
    await ok('snapshot', 'save', 'one');
    await exec('sh', '-c', 'echo two > /root/mark; sync');
    await ok('snapshot', 'load', 'one');
    expect(await exec('cat', '/root/mark')).toBe('one');
    await exec('sh', '-c', 'echo three > /root/mark; sync');
    await ok('down');
    await ok('up', '--gdb-port', String(gdbPort), '--from', 'one');
    expect(await exec('cat', '/root/mark')).toBe('one');
    await ok('down');
  }, 300_000);
});

describe('a machine without debootstrap', () => {
  it('gets one line naming the package to install, and no half-built image', async () => {
    const other = tempDir('e2e-nodebootstrap');
    // another mirror is another image: not in the store, so lab must build it
    const r = await lab(['build'], {
      cwd: other,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LAB_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' },
    });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'lab: debootstrap is not installed (it builds the Debian image): apt-get install debootstrap',
    );
  }, 300_000);
});

describe('a boot that never gets there', () => {
  it('fails within its timeout with the last serial lines, and leaves no VM', async () => {
    await lab(['down'], { cwd });
    const r = await up('--append', 'init=/bin/cat', '--boot-timeout', '25');
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/the guest was not ready within 25 s \(the VM was stopped\); last serial lines:/);
    expect(r.stderr).toMatch(/Run \/bin\/cat as init process/);
    expect(existsSync(path.join(labDir, 'state.json'))).toBe(false);
    expect(JSON.parse((await lab(['status', '--json'], { cwd })).stdout).running).toBe(false);
  }, 120_000);
});
