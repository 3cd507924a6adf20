import { LabError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { defineCommand } from '../command.js';
import { renderRepeats } from '../render-course.js';
import { renderJobResult } from '../render-matrix.js';
import { renderScenario, renderScenarioList, reportLine } from '../render.js';

export const runCommand = defineCommand({
  command: 'run [scenario]',
  describe: 'run a compaction scenario (lab run --list) and judge whether its path fired',
  options: (y) =>
    y
      .positional('scenario', { type: 'string' })
      .option('list', { type: 'boolean', default: false, describe: 'list the scenarios' })
      .option('repeat', {
        type: 'number',
        describe: 'run it N times: each figure as median and min-max, each verdict as k of N',
      })
      .option('same-start', {
        type: 'boolean',
        describe: "every run from the scenario's start moment (the fragmenter ready), saved once in the lab",
      })
      .option('spec', {
        type: 'string',
        describe: 'a job file lab matrix wrote: build, boot, run and stop as it pins (use with --lab-dir)',
      }),
  request: (a) => ({
    scenario: a.scenario,
    list: a.list,
    repeat: a.repeat,
    spec: a.spec,
    sameStart: a.sameStart === true,
  }),
  run: async (cli, r) => {
    if (r.spec) {
      if (r.scenario) throw new LabError('BAD_OPTION', 'lab run --spec takes no scenario name: the job file names it');
      const job = await (await import('../../lab/job.js')).runJob(cli.lab, r.spec);
      cli.out(cli.json ? JSON.stringify(job, null, 2) : renderJobResult(job));
      return job.ok ? 0 : 1;
    }
    if (r.list || !r.scenario) {
      const all = (await import('../../lab/scenario.js')).listScenarios();
      cli.out(cli.json ? JSON.stringify(all, null, 2) : renderScenarioList(all));
      return r.list ? 0 : 2;
    }
    return r.repeat !== undefined
      ? runRepeats(cli, r.scenario, r.repeat, r.sameStart)
      : runOnce(cli, r.scenario, r.sameStart);
  },
});

async function runRepeats(cli: CliContext, scenario: string, repeat: number, sameStart: boolean): Promise<number> {
  const notice = (dir: string, i: number) => cli.lab.progress.notice(`run ${i + 1} of ${repeat}: ${dir}`);
  const { repeatScenario } = await import('../../lab/scenario.js');
  const r = await repeatScenario(cli.lab, scenario, repeat, notice, sameStart);
  cli.out(cli.json ? JSON.stringify(r, null, 2) : renderRepeats(r));
  return r.ok ? 0 : 1;
}

async function runOnce(cli: CliContext, scenario: string, sameStart: boolean): Promise<number> {
  const { runScenarioOnce } = await import('../../lab/scenario.js');
  const { name, runDir, result, report } = await runScenarioOnce(cli.lab, scenario, sameStart);
  const summary = { scenario: name, runDir, report, ok: result.ok, seconds: result.seconds, verdicts: result.verdicts };
  cli.out(cli.json ? JSON.stringify(summary, null, 2) : renderScenario(name, runDir, result) + reportLine(report));
  if (result.ok) return 0;
  const missing = result.verdicts.flatMap((v) => v.missing);
  process.stderr.write(
    `lab: scenario ${name} did not show what it expects${missing.length ? `: missing ${missing.join('; ')}` : ''}\n`,
  );
  return 1;
}
