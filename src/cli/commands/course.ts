import type { Argv } from 'yargs';
import { invoke } from '../invoke.js';
import { renderCheck, renderCompare, renderVerify } from '../render-course.js';
import { reportLine } from '../render.js';

/** The class lab: lab init, lock, verify (teacher and student), pack (student), check (teacher). */
export function registerCourse<T>(y: Argv<T>) {
  return y
    .command(
      'init',
      'write a commented lab.json for the compaction course (the seed breakpoints and the five scenarios)',
      (b) =>
        b
          .option('profile', { type: 'string', describe: 'the base profile it names (default debian)' })
          .option('force', { type: 'boolean', describe: 'overwrite an existing lab.json' }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/init.js')).initLab({ profile: a.profile, force: a.force });
          cli.out(
            cli.json
              ? JSON.stringify(r, null, 2)
              : `wrote ${r.file}: profile ${r.profile}, exercises ` +
                  `${r.exercises.join(', ')}\nnext: lab lock (writes lab.lock), then commit both`,
          );
        }),
    )
    .command(
      'lock',
      'build the lab in lab.json and write lab.lock: every input and output by hash',
      (b) => b,
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/lock.js')).writeLock(cli.lab, { lab: (a as { lab?: string }).lab });
          const o = r.lock.outputs;
          cli.out(
            cli.json
              ? JSON.stringify({ file: r.file, digest: r.digest, lock: r.lock }, null, 2)
              : `wrote ${r.file} (digest ${r.digest.slice(0, 16)}…)\n${Object.entries(o)
                  .map(([k, v]) => `  ${k.padEnd(13)} sha256 ${v}`)
                  .join('\n')}\n  ${Object.keys(r.lock.inputs.guestPackages).length} guest packages pinned by version`,
          );
        }),
    )
    .command(
      'verify',
      'rebuild what this machine lacks and compare it, item by item, with lab.lock',
      (b) => b,
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/lock.js')).verifyLab(cli.lab, { lab: (a as { lab?: string }).lab });
          cli.out(cli.json ? JSON.stringify(r, null, 2) : renderVerify(r));
          return r.same ? 0 : 1;
        }),
    )
    .command(
      'pack [runs..]',
      'write a hand-in .tar.gz: the runs, build.json, the config ' +
        'diff and the lab.lock digest (never the ssh key or the image)',
      (b) =>
        b
          .positional('runs', { type: 'string', array: true, describe: 'run ids (default: every run)' })
          .option('out', { alias: 'o', type: 'string', describe: 'the bundle to write (default LAB-STUDENT.tar.gz)' })
          .option('student', { type: 'string', describe: 'your name in the bundle (default $USER)' }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (
            await import('../../lab/hand-in.js')
          ).packRuns(cli.lab, {
            runs: a.runs,
            out: a.out,
            student: a.student,
            lab: (a as { lab?: string }).lab,
          });
          cli.out(
            cli.json
              ? JSON.stringify(r, null, 2)
              : `wrote ${r.file}: ${r.runs.length} run(s), ${r.files} files, ${(r.bytes / 1024).toFixed(0)} KiB; ` +
                  `${r.configChanges} option(s) differ from the lab's config; ` +
                  `lab.lock ${r.lockDigest ? r.lockDigest.slice(0, 16) + '…' : 'absent'}`,
          );
        }),
    )
    .command(
      'check <bundles..>',
      "check hand-in bundles against lab.json's exercises and lab.lock: one row per student and exercise",
      (b) =>
        b
          .positional('bundles', { type: 'string', array: true, demandOption: true })
          .option('max-size', { type: 'number', describe: 'refuse a bundle over this many MiB (default 64)' })
          .option('exercise', {
            type: 'string',
            array: true,
            describe: 'check only these exercises (default: every one lab.json lists)',
          }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (
            await import('../../lab/hand-in.js')
          ).checkBundles({
            bundles: a.bundles,
            lab: (a as { lab?: string }).lab,
            maxSizeMib: a.maxSize,
            exercises: a.exercise,
            signal: cli.lab.signal,
          });
          cli.out(cli.json ? JSON.stringify(r, null, 2) : renderCheck(r));
          return r.passed ? 0 : 1;
        }),
    )
    .command(
      'compare <a> <b>',
      'two runs (or two groups of repeats, ID,ID,...) side by side: figures ' +
        'with ratio and spread, stacks on one side only, verdicts that differ',
      (b) =>
        b
          .positional('a', { type: 'string', demandOption: true })
          .positional('b', { type: 'string', demandOption: true })
          .option('html', {
            type: 'string',
            default: 'compare.html',
            describe: 'where to write the comparison as a page',
          }),
      (a) =>
        invoke(a, async (cli) => {
          const c = await (await import('../../lab/compare.js')).compareRuns(cli.lab, a.a, a.b);
          const page =
            cli.lab.report === false
              ? undefined
              : await (await import('../../lab/report.js')).writeCompareReport(a.html, c);
          cli.out(
            cli.json
              ? JSON.stringify({ ...c, report: page?.file }, null, 2)
              : renderCompare(c) + reportLine(page?.file),
          );
        }),
    )
    .command(
      'report [run]',
      'write report.html for a run (default: the newest): flame ' +
        'graph, timelines, free lists, verdicts; opens from disk',
      (b) => b.positional('run', { type: 'string', describe: 'a run id in .lab/runs, or a run directory' }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/report.js')).reportRun(cli.lab, a.run);
          cli.out(
            cli.json
              ? JSON.stringify(r, null, 2)
              : `${r.file} (${(r.bytes / 1024).toFixed(0)} KiB in ${r.seconds.toFixed(2)} s)`,
          );
        }),
    );
}
