import type { InitFlags } from '../../lab/init.js';
import type { LockFlags, VerifyFlags } from '../../lab/lock.js';
import type { PublishFlags } from '../../lab/publish.js';
import { defineCommand } from '../command.js';
import { cacheOption, toolchainOption } from '../options.js';
import { renderPublish, renderVerify } from '../render-course.js';
import { renderInit } from '../render-exercises.js';

/** The class lab's teacher side: lab init, lab lock, lab verify. */
export const initCommand = defineCommand({
  command: 'init',
  describe: "copy a course here: its lab.json and each exercise's text (default: the compaction course)",
  options: (y) =>
    y
      .option('from', {
        type: 'string',
        describe: "a course directory: lab.json and one NAME.md per exercise (default lab's courses/compaction)",
      })
      .option('profile', { type: 'string', describe: "the base profile it names (default: the course's)" })
      .option('force', { type: 'boolean', describe: 'overwrite an existing lab.json and exercise texts' }),
  request: (a): InitFlags => ({ from: a.from, profile: a.profile, force: a.force }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/init.js')).initLab(flags);
    cli.out(cli.json ? JSON.stringify(r, null, 2) : renderInit(r));
  },
});

export const lockCommand = defineCommand({
  command: 'lock',
  describe: 'build the lab in lab.json and write lab.lock: every input and output by hash',
  options: (y) => y.option(...toolchainOption),
  request: (a): LockFlags => ({ lab: a.lab, toolchain: a.toolchain }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/lock.js')).writeLock(cli.lab, flags);
    const hashes = Object.entries(r.lock.outputs).map(([k, v]) => `  ${k.padEnd(13)} sha256 ${v}`);
    const packages = `  ${Object.keys(r.lock.inputs.guestPackages).length} guest packages pinned by version`;
    const tc = r.lock.inputs.toolchain;
    const toolchain =
      tc?.kind === 'root'
        ? `  built in the ${tc.suite} build root: ${Object.keys(tc.packages).length} packages pinned, ` +
          r.lock.inputs.compiler
        : `  built with this host's ${r.lock.inputs.compiler} (--toolchain host: other hosts will not match)`;
    cli.out(
      cli.json
        ? JSON.stringify({ file: r.file, digest: r.digest, lock: r.lock }, null, 2)
        : [`wrote ${r.file} (digest ${r.digest.slice(0, 16)}…)`, ...hashes, packages, toolchain].join('\n'),
    );
  },
});

export const verifyCommand = defineCommand({
  command: 'verify',
  describe: 'rebuild what this machine lacks and compare it, item by item, with lab.lock',
  options: (y) =>
    y
      .option(...toolchainOption)
      .option(...cacheOption)
      .option('rebuild', {
        type: 'boolean',
        describe: 'build every item from source in an empty store (what a class cache served is checked so)',
      }),
  request: (a): VerifyFlags => ({
    lab: a.lab,
    toolchain: a.toolchain,
    cache: a.cache,
    rebuild: a.rebuild,
  }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/lock.js')).verifyLab(cli.lab, flags);
    cli.out(cli.json ? JSON.stringify(r, null, 2) : renderVerify(r));
    return r.same ? 0 : 1;
  },
});

export const publishCommand = defineCommand({
  command: 'publish <dir>',
  describe: 'write the store entries lab.lock pins into DIR, a class cache students fetch instead of building',
  options: (y) =>
    y.positional('dir', { type: 'string', demandOption: true, describe: 'the folder to write (served as it is)' }),
  request: (a): PublishFlags => ({ lab: a.lab, dir: a.dir }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/publish.js')).publishLab(cli.lab, flags);
    cli.out(cli.json ? JSON.stringify(r, null, 2) : renderPublish(r));
  },
});
