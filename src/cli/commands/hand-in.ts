import type { CheckFlags } from '../../lab/hand-in.js';
import type { PackFlags } from '../../lab/pack.js';
import { defineCommand } from '../command.js';
import { checkJson, renderCheck } from '../render-course.js';

/** The class lab's hand-ins: lab pack (student), lab check (teacher). */
export const packCommand = defineCommand({
  command: 'pack [runs..]',
  describe:
    'write a hand-in .tar.gz: the runs, build.json, the config ' +
    'diff and the lab.lock digest (never the ssh key or the image)',
  options: (y) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'run ids (default: every run)' })
      .option('out', { alias: 'o', type: 'string', describe: 'the bundle to write (default LAB-STUDENT.tar.gz)' })
      .option('student', { type: 'string', describe: 'your name in the bundle (default $USER)' })
      .option('with-core', {
        type: 'boolean',
        describe: "the dump runs' cores too (lab dump): lab check holds each against the class kernel",
      }),
  request: (a): PackFlags => ({ runs: a.runs, out: a.out, student: a.student, lab: a.lab, withCore: a.withCore }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/pack.js')).packRuns(cli.lab, flags);
    const lock = r.lockDigest ? r.lockDigest.slice(0, 16) + '…' : 'absent';
    const config =
      r.configChanges === null
        ? "the build recorded no config of the lab's to compare with (no config.diff)"
        : `${r.configChanges} option(s) differ from the lab's config`;
    cli.out(
      cli.json
        ? JSON.stringify(r, null, 2)
        : `wrote ${r.file}: ${r.runs.length} run(s), ${r.files} files, ` +
            `${(r.bytes / 1024).toFixed(0)} KiB; ${config}; lab.lock ${lock}`,
    );
  },
});

export const checkCommand = defineCommand({
  command: 'check <bundles..>',
  describe: "check hand-in bundles against lab.json's exercises and lab.lock: one row per student and exercise",
  options: (y) =>
    y
      .positional('bundles', { type: 'string', array: true, demandOption: true })
      .option('max-size', {
        type: 'number',
        describe: 'refuse a bundle over this many MiB packed: 1 to 1024 (default 64)',
      })
      .option('exercise', {
        type: 'string',
        array: true,
        describe: 'check only these exercises (default: every one lab.json lists)',
      })
      .option('vmlinux', {
        type: 'string',
        describe: "the class's vmlinux to check every recorded pc against (default: this lab's build)",
      }),
  request: (a): Omit<CheckFlags, 'signal'> => ({
    bundles: a.bundles,
    lab: a.lab,
    maxSizeMib: a.maxSize,
    exercises: a.exercise,
    vmlinux: a.vmlinux,
  }),
  run: async (cli, flags) => {
    const r = await (
      await import('../../lab/hand-in.js')
    ).checkBundles(cli.lab.paths, { ...flags, signal: cli.lab.signal });
    cli.out(cli.json ? checkJson(r) : renderCheck(r));
    return r.passed ? 0 : 1;
  },
});
