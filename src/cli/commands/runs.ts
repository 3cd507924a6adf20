import { defineCommand } from '../command.js';
import { renderCompare } from '../render-course.js';
import { reportLine } from '../render.js';

/** Reading runs: lab compare, lab report. */
export const compareCommand = defineCommand({
  command: 'compare <a> <b>',
  describe:
    'two runs (or two groups of repeats, ID,ID,...) side by side: figures ' +
    'with ratio and spread, stacks on one side only, verdicts that differ',
  options: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true })
      .positional('b', { type: 'string', demandOption: true })
      .option('html', {
        type: 'string',
        default: 'compare.html',
        describe: 'where to write the comparison as a page',
      }),
  request: (a) => ({ a: a.a, b: a.b, html: a.html }),
  run: async (cli, { a, b, html }) => {
    const c = await (await import('../../lab/compare.js')).compareRuns(cli.lab, a, b);
    const page =
      cli.lab.report === false ? undefined : await (await import('../../lab/report.js')).writeCompareReport(html, c);
    cli.out(
      cli.json ? JSON.stringify({ ...c, report: page?.file }, null, 2) : renderCompare(c) + reportLine(page?.file),
    );
  },
});

export const reportCommand = defineCommand({
  command: 'report [run]',
  describe:
    'write report.html for a run (default: the newest): flame graph, timelines, free lists, verdicts; opens from disk',
  options: (y) => y.positional('run', { type: 'string', describe: 'a run id in .lab/runs, or a run directory' }),
  request: (a) => ({ run: a.run }),
  run: async (cli, { run }) => {
    const r = await (await import('../../lab/report.js')).reportRun(cli.lab, run);
    cli.out(
      cli.json
        ? JSON.stringify(r, null, 2)
        : `${r.file} (${(r.bytes / 1024).toFixed(0)} KiB in ${r.seconds.toFixed(2)} s)`,
    );
  },
});
