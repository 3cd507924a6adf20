import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { formatCommand, type Command } from '../../src/process/command.js';
import { execute, executeChecked, INHERITED_FD, launch, launchDetached } from '../../src/process/runner.js';
import { isAlive } from '../../src/process/signals.js';
import { isPlainShellWord, shellQuote } from '../../src/util/shell-quote.js';
import { tempDir } from '../helpers/cli.js';

/** A shell script as a program lab was given by path (the runner never builds shell lines itself). */
function script(body: string): Command['program'] {
  const file = path.join(tempDir('proc'), 'run.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return { path: file };
}

function readlinkOrEmpty(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

/** Alive and not a zombie waiting for a parent (pid 1 of a container may never reap it). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

describe('the process runner', () => {
  it('gives one result shape: exit code, stdout and stderr apart, the last lines', async () => {
    const r = await execute({ program: script('echo out; echo err >&2; exit 3'), args: [], what: 'a step' });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
    expect(r.tail.sort()).toEqual(['err', 'out']);
    expect(r.timedOut).toBe(false);
  });

  it('streams lines as they come and logs every byte', async () => {
    const log = path.join(tempDir('proc'), 'step.log');
    const lines: string[] = [];
    await execute(
      { program: script('printf "one\\ntwo\\nthr"; printf "ee\\n"'), args: [], what: 'x' },
      { logFile: log, onLine: (l) => lines.push(l) },
    );
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(readFileSync(log, 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('passes arguments as a list: nothing is parsed by a shell', async () => {
    const marker = path.join(tempDir('proc'), 'pwned');
    const r = await execute({
      program: script('printf "<%s>" "$@"'),
      args: ['a b', `$(touch ${marker})`, ';', ''],
      what: 'x',
    });
    expect(r.stdout.toString()).toBe(`<a b><$(touch ${marker})><;><>`);
    expect(existsSync(marker)).toBe(false);
  });

  it('names a program that is not installed', async () => {
    const err = await execute({ program: { path: '/nonexistent/qemu' }, args: [], what: 'booting' }).catch(
      (e: unknown) => e,
    );
    expect((err as LabError).code).toBe('TOOL_MISSING');
    expect((err as LabError).line()).toBe(
      '/nonexistent/qemu is not installed (needed for booting): run lab doctor to see what to install',
    );
  });

  it('kills the whole process group when interrupted, leaving no grandchild behind', async () => {
    const pidFile = path.join(tempDir('proc'), 'child.pid');
    const stop = new AbortController();
    const run = execute(
      { program: script(`sleep 60 & echo $! > ${pidFile}; wait`), args: [], what: 'make' },
      { signal: stop.signal },
    );
    while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) await new Promise((r) => setTimeout(r, 20));
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    stop.abort();
    await expect(run).rejects.toMatchObject({ code: 'INTERRUPTED', message: 'make interrupted' });
    await new Promise((r) => setTimeout(r, 100));
    expect(running(grandchild)).toBe(false);
  });

  it('ends a process that outlives its timeout, SIGKILL after SIGTERM is ignored', async () => {
    const r = await execute(
      { program: script('trap "" TERM; sleep 30'), args: [], what: 'x' },
      { timeoutMs: 200, killAfterMs: 200 },
    );
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
  });

  it('fails a checked step with its last lines and the command to paste', async () => {
    const cmd: Command = {
      program: script('echo compiling; echo "error: bad" >&2; exit 2'),
      args: ['-j2', 'a b'],
      what: 'make bzImage',
    };
    const err = (await executeChecked(cmd).catch((e: unknown) => e)) as LabError;
    expect(err.code).toBe('STEP_FAILED');
    expect(err.message).toMatch(
      /^make bzImage failed with exit code 2\n {2}(compiling\n {2}error: bad|error: bad\n {2}compiling)$/,
    );
    expect(err.hint).toBe(`the command was: ${formatCommand(cmd)}`);
    expect(formatCommand({ program: 'make', args: ['-C', '/s', "it's", ''], env: { A: 'x y' }, what: 'm' })).toBe(
      `A='x y' make -C /s 'it'\\''s' ''`,
    );
  });

  it('lets a started process be signalled as a group (gdb detaches on SIGINT)', async () => {
    const p = launch({
      program: script('trap "echo detached; exit 0" INT; while :; do sleep 0.05; done'),
      args: [],
      what: 'gdb',
    });
    await new Promise((r) => setTimeout(r, 200));
    p.signalGroup('SIGINT');
    const r = await p.result;
    expect(r.stdout.toString()).toContain('detached');
  });
});

describe('a detached command (the shared ssh connection, opened in the background)', () => {
  it('returns before the command ends, and streams a file to stdin where asked', async () => {
    const dir = tempDir('detached');
    const [go, done] = [path.join(dir, 'go'), path.join(dir, 'done')];
    // the command waits for a file the test makes only after launchDetached has returned
    const script = `while [ ! -e ${go} ]; do sleep 0.05; done; echo $$ > ${done}`;
    launchDetached({ program: { path: '/bin/sh' }, args: ['-c', script], what: 'sh' });
    writeFileSync(go, '');
    const deadline = Date.now() + 10_000;
    while (!existsSync(done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(Number(readFileSync(done, 'utf8'))).toBeGreaterThan(0);
    const input = path.join(dir, 'in');
    writeFileSync(input, 'x'.repeat(100_000));
    const r = await execute({ program: { path: '/usr/bin/wc' }, args: ['-c'], what: 'wc' }, { inputFile: input });
    expect(r.stdout.toString().trim()).toBe('100000');
  });
});

describe('a file handed to the child (a boot snapshot QEMU reads with -incoming fd:3)', () => {
  it("is the file itself at the child's descriptor 3, not a pipe, and nothing of it passes through lab", async () => {
    const file = path.join(tempDir('inherit'), 'memory');
    writeFileSync(file, 'm'.repeat(300_000));
    const script = `readlink /proc/self/fd/${INHERITED_FD}; wc -c <&${INHERITED_FD}`;
    const r = await execute({ program: { path: '/bin/sh' }, args: ['-c', script], what: 'sh' }, { inheritFile: file });
    expect(r.stdout.toString().split('\n').slice(0, 2)).toEqual([file, '300000']);
  });

  it('is closed in lab once the child has ended', async () => {
    const file = path.join(tempDir('inherit-close'), 'memory');
    writeFileSync(file, 'm');
    const openNow = () => readdirSync('/proc/self/fd').filter((fd) => readlinkOrEmpty(`/proc/self/fd/${fd}`) === file);
    await execute({ program: { path: '/bin/true' }, args: [], what: 'true' }, { inheritFile: file });
    expect(openNow()).toEqual([]);
  });
});

describe('shell quoting (command lines in messages, Slurm scripts, ssh)', () => {
  const words = ['plain/path-1.json', 'x=y', '', "it's", 'a b', '$HOME', '*', '~', 'a\\b', '"q"', ';&|', 'new\nline'];

  it('leaves a plain word as it is and quotes anything else', () => {
    expect(words.filter(isPlainShellWord)).toEqual(['plain/path-1.json', 'x=y']);
    expect(words.map(shellQuote).slice(0, 4)).toEqual(['plain/path-1.json', 'x=y', "''", `'it'\\''s'`]);
  });

  it('gives sh back every word as it was', async () => {
    const r = await execute({
      program: { path: '/bin/sh' },
      args: ['-c', `printf '%s\\0' ${words.map(shellQuote).join(' ')}`],
      what: 'sh',
    });
    expect(r.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(words);
  });
});
