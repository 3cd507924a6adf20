import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecReply } from '../../src/guest/agent-protocol.js';
import type { Guest } from '../../src/guest/guest.js';
import { PROJECT } from './cli.js';

const CAPTURED = path.join(PROJECT, 'test', 'data', 'guest-6.1-debian');

/**
 * A guest in memory: a file system of settings and /proc files (the /proc
 * files captured from this project's real 6.1 guest), lab-write, tail, cat,
 * kill, and background jobs. It logs every argv, so a test can see what the
 * code under test did to the guest.
 */
export class FakeGuest implements Guest {
  readonly toolDir = '/usr/local/lib/lab';
  readonly files = new Map<string, string>([
    ['/proc/sys/vm/compaction_proactiveness', '20'],
    ['/proc/sys/vm/compact_unevictable_allowed', '1'],
    ['/sys/kernel/mm/transparent_hugepage/enabled', 'always [madvise] never'],
    ['/sys/kernel/mm/transparent_hugepage/defrag', 'always defer defer+madvise [madvise] never'],
    ['/sys/kernel/tracing/tracing_on', '1'],
    ['/proc/vmstat', readFileSync(path.join(CAPTURED, 'vmstat.txt'), 'utf8')],
    ['/proc/buddyinfo', readFileSync(path.join(CAPTURED, 'buddyinfo.txt'), 'utf8')],
    ['/proc/pagetypeinfo', readFileSync(path.join(CAPTURED, 'pagetypeinfo.txt'), 'utf8')],
    ['/proc/zoneinfo', readFileSync(path.join(CAPTURED, 'zoneinfo.txt'), 'utf8')],
  ]);
  readonly log: string[][] = [];
  readonly running = new Set<number>();
  /** Writes that fail, as "FILE=VALUE" (or "FILE" for any value), as a read-only sysctl would. */
  readonly failWrites = new Set<string>();
  /** Commands (argv[0]) that exit 1. */
  readonly failing = new Set<string>();
  private nextPid = 4000;

  async exec(argv: string[]): Promise<ExecReply> {
    this.log.push(argv);
    const ok = (stdout = '') => ({ exitCode: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) });
    const fail = (stderr: string, exitCode = 1) => ({ exitCode, stdout: Buffer.alloc(0), stderr: Buffer.from(stderr) });
    const [cmd, ...args] = argv;
    if (this.failing.has(cmd!)) return fail(`${cmd}: failed on purpose`);
    switch (cmd) {
      case `${this.toolDir}/lab-write`: {
        for (let i = 0; i + 1 < args.length; i += 2) {
          const file = args[i]!.startsWith('/') ? args[i]! : `/sys/kernel/tracing/${args[i]}`;
          if (this.failWrites.has(file) || this.failWrites.has(`${file}=${args[i + 1]}`))
            return fail(`lab-write: could not write "${args[i + 1]}" to ${file}`);
          this.files.set(file, args[i + 1]!);
        }
        return ok();
      }
      case 'tail':
        return ok(
          args
            .slice(2)
            .filter((f) => f === '/dev/null' || this.files.has(f))
            .map((f) => `==> ${f} <==\n${f === '/dev/null' ? '' : this.files.get(f)}\n`)
            .join('\n'),
        );
      case 'gzip': {
        // gzip -c -1 FILE: how lab reads a large file (guest/compressed-read.ts)
        const file = args.at(-1)!;
        if (!this.files.has(file)) return fail(`gzip: ${file}: No such file or directory`);
        return { exitCode: 0, stdout: gzipSync(this.files.get(file)!), stderr: Buffer.alloc(0) };
      }
      case 'cat':
        return this.files.has(args[0]!)
          ? ok(this.files.get(args[0]!))
          : fail(`cat: ${args[0]}: No such file or directory`);
      case 'sh': {
        // the background launcher: sh -c SCRIPT sh OUT ARGV...
        const pid = this.nextPid++;
        this.running.add(pid);
        this.files.set(args[3]!, `${args.slice(4).join(' ')} started\n`);
        return ok(`${pid}\n`);
      }
      case 'kill':
        this.running.delete(Number(args[0]));
        return ok();
      case 'mkdir':
      case 'rm':
      case 'true':
        return ok();
      default:
        return ok();
    }
  }
}
