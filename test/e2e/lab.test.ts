/**
 * The spine end to end, on the real thing: a kernel built from Debian's
 * linux-source-6.1, QEMU under TCG, Debian's gdb. The default profile here is
 * one whose source sits behind a closed 127.0.0.1 port, so the fallback to
 * the debian profile is exercised on every machine, reachable kernel.org or
 * not. The first run builds the kernel (minutes); later runs find it in the
 * store.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHits } from '../../src/record/hit-schema.js';
import { listeningSockets } from '../../src/vm/listening.js';
import { freePort, lab, LAB, newestRun, recorderGdbsOf, tempDir } from '../helpers/cli.js';
import { labInTerminal } from '../helpers/terminal.js';

const cwd = tempDir('e2e');
const labDir = path.join(cwd, '.lab');
let port: number;
let build: {
  profile: string;
  fellBackFrom?: string;
  kernel: { version: string; vmlinux: string; cached: boolean };
  rootfs: { cached: boolean };
};

function state(): { pid: number } {
  return JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8'));
}

function gdbProcesses(): Promise<string[]> {
  return recorderGdbsOf(labDir);
}

/** A default profile whose kernel source cannot be fetched: a 127.0.0.1 port nothing listens on. */
async function unreachableProfile(): Promise<string> {
  const closed = await freePort();
  const file = path.join(tempDir('e2e-profile'), 'unreachable.json');
  const url = `http://127.0.0.1:${closed}/linux-6.6.tar.xz`;
  writeFileSync(
    file,
    JSON.stringify({
      name: 'unreachable',
      kernel: { source: { kind: 'url', url, sha256: '0'.repeat(64) } },
      qemu: { use: 'system' },
      fallback: 'debian',
    }),
  );
  return file;
}

let defaultProfile: string;

beforeAll(async () => {
  port = await freePort();
  defaultProfile = await unreachableProfile();
  const built = await lab(['build', '--rootfs', 'initramfs', '--json'], { cwd, env: { LAB_PROFILE: defaultProfile } });
  expect(built.exitCode, built.stderr).toBe(0);
  build = JSON.parse(built.stdout);
  const up = await lab(['up', '--gdb-port', String(port), '--json'], { cwd });
  expect(up.exitCode, up.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab build', () => {
  it("fell back to the debian profile when the default profile's source could not be fetched, and said so", () => {
    expect(build.profile).toBe('debian');
    expect(build.fellBackFrom).toBe('unreachable');
    expect(build.kernel.version).toMatch(/^6\.1\.\d+$/);
  });

  it('runs no make the second time', async () => {
    const log = path.join(labDir, 'logs', 'kernel-build.log');
    const before = existsSync(log) ? statSync(log).size : 0;
    const again = await lab(['build', '--rootfs', 'initramfs', '--json'], {
      cwd,
      env: { LAB_PROFILE: defaultProfile },
    });
    expect(again.exitCode, again.stderr).toBe(0);
    const record = JSON.parse(again.stdout);
    expect(record.kernel.cached).toBe(true);
    expect(record.rootfs.cached).toBe(true);
    expect(record.kernel.key).toBeTruthy();
    expect(existsSync(log) ? statSync(log).size : 0).toBe(before);
  });
});

describe('the running VM', () => {
  it('reports itself in lab status --json', async () => {
    const r = await lab(['status', '--json'], { cwd });
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ running: true, gdb: `127.0.0.1:${port}`, runState: 'running' });
    expect(['tcg', 'kvm']).toContain(s.accel);
  });

  it('listens only on 127.0.0.1 and unix sockets', async () => {
    const listeners = await listeningSockets(state().pid);
    expect(listeners).toContainEqual({ kind: 'tcp', address: '127.0.0.1', port });
    expect(listeners.filter((l) => l.kind === 'unix')).toHaveLength(3);
    for (const l of listeners) {
      if (l.kind === 'tcp') expect(l.address).toBe('127.0.0.1');
      else expect(l.path.startsWith(labDir)).toBe(true);
    }
  });

  it('runs guest commands with their exit code and arguments byte for byte', async () => {
    const uname = await lab(['exec', '--', 'uname', '-r'], { cwd });
    expect(uname.stdout.trim()).toBe(build.kernel.version);
    expect((await lab(['exec', '--', 'sh', '-c', 'exit 3'], { cwd })).exitCode).toBe(3);
    const tricky = ['a b', 'q\'uote"', '; echo pwned', '$(id)', '`id`', 'line1\nline2\n\n', '', '*'];
    const r = await lab(['exec', '--', 'printf', '<%s>', ...tricky], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(tricky.map((t) => `<${t}>`).join(''));
    const err = await lab(['exec', '--', 'sh', '-c', 'echo out; echo err >&2'], { cwd });
    expect([err.stdout, err.stderr]).toEqual(['out\n', 'err\n']);
  });
});

describe('lab console', () => {
  it('attaches a real terminal to the serial console, and Ctrl-] detaches', async () => {
    const pty = await import('node-pty');
    const term = pty.spawn('node', [LAB, 'console'], { cwd, cols: 120, rows: 30, name: 'xterm' });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(screen) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return re.test(screen);
    };
    expect(await waitFor(/Ctrl-\] detaches/)).toBe(true);
    term.write('echo lab-$((6*7))\r');
    expect(await waitFor(/lab-42/)).toBe(true);
    term.write('\x1d');
    expect(await exited).toBe(0);
  });
});

/** A CLI command of this lab in a real terminal. */
function inTerminal(args: string[]) {
  return labInTerminal(args, { cwd, env: { LAB_PROFILE: 'debian' } });
}

describe('lab gdb', () => {
  it(
    'is an interactive gdb on the VM: bt, lx-dmesg, list, ' + 'registers, continue, Ctrl-C, quit; the VM runs on',
    async () => {
      const gdb = await inTerminal(['gdb']);
      try {
        expect(await gdb.waitFor(/\(gdb\) $/), gdb.screen()).toBe(true);
        const step = async (input: string, expected: RegExp) => {
          const from = gdb.since();
          gdb.term.write(input);
          expect(await gdb.waitFor(expected, from), `${JSON.stringify(input)} gave:\n${gdb.screen().slice(from)}`).toBe(
            true,
          );
        };
        await step('bt\r', /#0 .*\(gdb\) $/s);
        await step('lx-dmesg\r', /Linux version 6\.\d+.*\(gdb\) $/s);
        await step('list compact_zone\r', /compact_zone\(struct compact_control \*cc.*\(gdb\) $/s);
        await step('info registers rip\r', /rip +0x[0-9a-f]+.*\(gdb\) $/s);
        await step('lab-zone\r', /fragmentation score \(order \d+, as kcompactd computes it\): node \d+.*\(gdb\) $/s);
        await step('continue\r', /Continuing\./);
        await step('\x03', /received signal SIGINT.*\(gdb\) $/s);
        await step('continue\r', /Continuing\./);
        await step('\x03', /received signal SIGINT.*\(gdb\) $/s);
        gdb.term.write('quit\r');
        expect(await gdb.exited).toBe(0);
      } finally {
        // a gdb left attached would hold the gdbstub, and the guest stopped, for every later test
        try {
          gdb.term.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      const s = JSON.parse((await lab(['status', '--json'], { cwd })).stdout);
      expect(s).toMatchObject({ running: true, runState: 'running' });
      expect((await lab(['exec', '--', 'true'], { cwd })).exitCode).toBe(0);
    },
    180_000,
  );

  it('passes gdb arguments through: lab gdb -- -batch -ex CMD', async () => {
    const r = await lab(['gdb', '--', '-batch', '-ex', 'print sizeof(struct page)', '-ex', 'lab-buddy --json'], {
      cwd,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\$1 = \d+$/m);
    const rows = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('[{'))!);
    expect(rows.map((z: { zone: string }) => z.zone)).toContain('DMA32');
    for (const z of rows) expect(z.mismatches).toEqual([]);
    expect((await lab(['exec', '--', 'true'], { cwd })).exitCode).toBe(0);
  }, 180_000);
});

describe('lab debug', () => {
  it("records the seed's backtraces around a manual compaction", async () => {
    const r = await lab(
      [
        'debug',
        '--break',
        'compact_zone',
        '--break',
        'compact_unlock_should_abort',
        '--trigger',
        'compact',
        '--count',
        '10',
      ],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const run = newestRun(labDir);
    const hits = parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8'));
    expect(hits).toHaveLength(10);
    expect(hits.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const zone = hits.find((h) => h.function === 'compact_zone');
    expect(zone, 'a compact_zone hit').toBeDefined();
    const names = zone!.frames.map((f) => f.function);
    expect(names).toContain('sysctl_compaction_handler');
    expect(names.at(-1)).toBe('entry_SYSCALL_64');
    expect(zone!.trimmed).toBe(true);
    expect(zone!.frames[0]!.file).toBe('mm/compaction.c');
    expect(zone!.comm).toBe('sh');

    const abort = hits.find((h) => h.function === 'compact_unlock_should_abort');
    expect(abort, 'a compact_unlock_should_abort hit').toBeDefined();
    expect(abort!.frames[0]).toMatchObject({
      function: 'compact_unlock_should_abort',
      inlined: true,
      file: 'mm/compaction.c',
    });
    expect(abort!.frames[1]).toMatchObject({ function: 'isolate_freepages_block', inlined: false });

    const text = readFileSync(path.join(run, 'backtraces.txt'), 'utf8');
    expect(text).toContain('#0  compact_unlock_should_abort () at mm/compaction.c:');
    const manifest = JSON.parse(readFileSync(path.join(run, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      profile: 'debian',
      fellBackFrom: 'unreachable',
      outcome: 'count-reached',
      hits: 10,
      trigger: { exitCode: 0 },
    });
    expect(manifest.kernel.version).toBe(build.kernel.version);
    expect(manifest.gdb).toMatch(/GNU gdb/);
    expect(manifest.qemu.version).toMatch(/QEMU emulator version/);
    expect(await gdbProcesses()).toEqual([]);
  });

  it('refuses an unknown --break before attaching, suggesting the closest names', async () => {
    const r = await lab(['debug', '--break', 'compact_zoen', '--break', 'kcompactd'], { cwd });
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no function named "compact_zoen" \(closest: compact_zone/);
    expect(readFileSync(path.join(newestRun(labDir), 'gdb.log'), 'utf8')).not.toMatch(/Remote debugging/);
  });

  it('leaves no gdb and a running VM when interrupted with SIGINT', async () => {
    const child = execa('node', [LAB, 'debug', '--break', 'compact_zone', '--count', '0', '--timeout', '300'], {
      cwd,
      reject: false,
    });
    // wait until gdb is attached and armed
    const deadline = Date.now() + 60_000;
    let armed = false;
    while (!armed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const run = existsSync(path.join(labDir, 'runs')) ? newestRun(labDir) : undefined;
      armed =
        !!run &&
        existsSync(path.join(run, 'gdb.log')) &&
        readFileSync(path.join(run, 'gdb.log'), 'utf8').includes('"armed"');
    }
    expect(armed).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(await gdbProcesses()).toEqual([]);
    const s = JSON.parse((await lab(['status', '--json'], { cwd })).stdout);
    expect(s).toMatchObject({ running: true, runState: 'running' });
    expect((await lab(['exec', '--', 'true'], { cwd })).exitCode).toBe(0);
  });
});

describe('lab up and lab down', () => {
  it('names a gdb port that is already taken, in one line, and starts nothing', async () => {
    const other = tempDir('e2e-port');
    // a lab of its own, built from the store (a cache hit)
    expect((await lab(['build', '--rootfs', 'initramfs'], { cwd: other })).exitCode).toBe(0);
    const up = await lab(['up', '--gdb-port', String(port)], { cwd: other });
    expect(up.exitCode).toBe(5);
    expect(up.stderr.trim().split('\n')).toEqual([
      `lab: port ${port} on 127.0.0.1 is already in use: pass --gdb-port with a free port, or stop what holds ${port}`,
    ]);
    expect(existsSync(path.join(other, '.lab', 'state.json'))).toBe(false);
  });

  it('cleans up after a QEMU that was killed with SIGKILL', async () => {
    const pid = state().pid;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const r = await lab(['down'], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`the VM (pid ${pid}) had already stopped; its state was cleaned`);
    expect(existsSync(path.join(labDir, 'state.json'))).toBe(false);
    for (const sock of ['console.sock', 'agent.sock', 'qmp.sock'])
      expect(existsSync(path.join(labDir, 'vm', sock))).toBe(false);
    // and the port is free again
    await new Promise<void>((resolve, reject) => {
      const s = net
        .createServer()
        .once('error', reject)
        .listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });
});

describe('lab demo', () => {
  it('builds, boots and prints hits per function and one whole backtrace', async () => {
    const demoDir = tempDir('e2e-demo');
    const demoPort = await freePort();
    try {
      const r = await lab(['demo', '--gdb-port', String(demoPort)], { cwd: demoDir });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\d+ hits \(count-reached\)/);
      expect(r.stdout).toMatch(/^\s+\d+\s+compact_zone$/m);
      expect(r.stdout).toMatch(/#0 {2}compact_unlock_should_abort \(\) at mm\/compaction\.c:\d+ \[inlined\]/);
      expect(r.stdout).toMatch(/in isolate_freepages_block \(\)/);
    } finally {
      await lab(['down'], { cwd: demoDir });
    }
  });
});
