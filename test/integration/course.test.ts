/**
 * A course a student follows alone (the built CLI, no VM): lab init copies
 * a course (lab.json and one NAME.md per exercise), lab exercises judges
 * the lab directory's runs as lab check judges a hand-in, lab exercise NAME
 * prints the text, the state and the command that does it.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { courseTemplate } from '../../src/lab/init.js';
import { lab, PROJECT, tempDir } from '../helpers/cli.js';

const RUNS = path.join(PROJECT, 'test', 'data', 'runs');
const COMPACTION = path.dirname(courseTemplate());

/** A teacher's course: a debug exercise with a capture a shell must quote, two scenario ones. */
const COURSE_LAB = `// a teacher's own course
{
  "name": "teacher-course",
  "profile": "debian",
  "exercises": [
    {
      "name": "zone-order",
      "about": "The order compact_zone is asked for",
      "debug": { "break": ["compact_zone"], "capture": ["cc->order"], "trigger": "compact", "count": 5 },
      "expect": { "hits": ["compact_zone"] }
    },
    { "name": "manual", "about": "A manual compaction, traced", "scenario": "manual", "expect": { "verdicts": "ok" } },
    { "name": "untold", "scenario": "direct", "expect": { "verdicts": "ok" } }
  ]
}
`;
const ZONE_TEXT = '# The order of a compaction\n\nSet a breakpoint on compact_zone.\tRead cc->order.\n';
/** A text with a terminal escape and a bidi override in it: shown escaped, never sent as is. */
const MANUAL_TEXT = 'Write 1 to compact_memory.\n\u001b[2Jcleared?\n\u202eevil\n';

let outside: string;

/** A course directory as a teacher publishes it, with a file beside it that is not the course's. */
function makeCourse(): string {
  const dir = tempDir('course-src');
  writeFileSync(path.join(dir, 'lab.json'), COURSE_LAB);
  writeFileSync(path.join(dir, 'zone-order.md'), ZONE_TEXT);
  writeFileSync(path.join(dir, 'manual.md'), MANUAL_TEXT);
  writeFileSync(path.join(dir, 'answers.md'), 'not for students\n');
  writeFileSync(path.join(dir, 'notes.txt'), 'nor this\n');
  return dir;
}

/** A student's directory with the course copied in, and nothing run yet. */
async function initFrom(course: string): Promise<string> {
  const cwd = tempDir('course-student');
  const r = await lab(['init', '--from', course], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  return cwd;
}

beforeAll(() => {
  outside = tempDir('course-outside');
  writeFileSync(path.join(outside, 'secret.md'), 'a file outside the course\n');
});

describe('lab init', () => {
  it("copies the compaction course's lab.json and every exercise text it has", async () => {
    const cwd = tempDir('course-init');
    const r = await lab(['init'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(path.join(cwd, 'lab.json'), 'utf8')).toBe(readFileSync(courseTemplate(), 'utf8'));
    const names = ['seed-breakpoints', 'manual', 'direct', 'kcompactd', 'proactive', 'stress'];
    for (const name of names) {
      const text = path.join(COMPACTION, `${name}.md`);
      if (existsSync(text)) expect(readFileSync(path.join(cwd, `${name}.md`), 'utf8')).toBe(readFileSync(text, 'utf8'));
      else expect(r.stdout).toContain(`no text for ${name}: there is no ${name}.md in ${COMPACTION}`);
    }
    expect(readdirSync(cwd).filter((f) => !f.endsWith('.md'))).toEqual(['lab.json']);
  });

  it('refuses to overwrite lab.json without --force (LAB_FILE_EXISTS, exit 2)', async () => {
    const cwd = tempDir('course-again');
    expect((await lab(['init'], { cwd })).exitCode).toBe(0);
    const again = await lab(['init'], { cwd });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(
      /^lab: lab\.json, seed-breakpoints\.md, manual\.md, 4 more already exist in .*: pass --force/,
    );
    expect((await lab(['init', '--force'], { cwd })).exitCode).toBe(0);
  });
});

describe('lab init --from DIR', () => {
  it('copies lab.json and the texts its exercises name, nothing else, and names the exercise without one', async () => {
    const course = makeCourse();
    const cwd = tempDir('course-from');
    const r = await lab(['init', '--from', course], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(['lab.json', 'manual.md', 'zone-order.md']);
    expect(readFileSync(path.join(cwd, 'lab.json'), 'utf8')).toBe(COURSE_LAB);
    expect(readFileSync(path.join(cwd, 'manual.md'), 'utf8')).toBe(MANUAL_TEXT);
    expect(r.stdout).toContain('and 2 exercise text(s)');
    expect(r.stdout).toContain(`no text for untold: there is no untold.md in ${course}`);
    const json = JSON.parse((await lab(['init', '--from', course, '--force', '--json'], { cwd })).stdout);
    expect(json).toMatchObject({ from: course, exercises: ['zone-order', 'manual', 'untold'] });
    expect(json.untexted).toEqual([{ exercise: 'untold', why: `there is no untold.md in ${course}` }]);
  });

  it("copies the kernel fragment lab.json names beside it, and leaves lab's own fragments by name", async () => {
    const course = makeCourse();
    const lab2 = COURSE_LAB.replace(
      '"profile": "debian",',
      '"profile": "debian",\n  "kernel": { "fragments": ["lab.config", "course.config"] },',
    );
    writeFileSync(path.join(course, 'lab.json'), lab2);
    writeFileSync(path.join(course, 'course.config'), 'CONFIG_COMPACTION=y\n');
    const cwd = tempDir('course-kernel');
    const r = await lab(['init', '--from', course], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(['course.config', 'lab.json', 'manual.md', 'zone-order.md']);
    expect(readFileSync(path.join(cwd, 'course.config'), 'utf8')).toBe('CONFIG_COMPACTION=y\n');
  });

  it("sets --profile in the course's lab.json", async () => {
    const cwd = tempDir('course-profile');
    const r = await lab(['init', '--from', makeCourse(), '--profile', '6.6', '--json'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).profile).toBe('6.6');
    expect(readFileSync(path.join(cwd, 'lab.json'), 'utf8')).toContain('"profile": "6.6"');
  });

  it('never follows a text that links out of DIR; a link inside DIR is copied as its file', async () => {
    const course = makeCourse();
    symlinkSync(path.join(outside, 'secret.md'), path.join(course, 'untold.md'));
    const cwd = tempDir('course-link');
    const r = await lab(['init', '--from', course], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`no text for untold: ${course}/untold.md is a link out of ${course}: not followed`);
    expect(existsSync(path.join(cwd, 'untold.md'))).toBe(false);

    const inside = makeCourse();
    symlinkSync('answers.md', path.join(inside, 'untold.md'));
    const cwd2 = tempDir('course-link-in');
    expect((await lab(['init', '--from', inside], { cwd: cwd2 })).exitCode).toBe(0);
    expect(readFileSync(path.join(cwd2, 'untold.md'), 'utf8')).toBe('not for students\n');
  });

  it('refuses a bad lab.json in one line naming it, and writes nothing', async () => {
    const course = makeCourse();
    writeFileSync(path.join(course, 'lab.json'), COURSE_LAB.replace('"count": 5', '"count": "five"'));
    const cwd = tempDir('course-bad');
    const r = await lab(['init', '--from', course], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${course}/lab.json: exercises.0.debug.count`);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses a course naming a scenario lab does not have', async () => {
    const course = makeCourse();
    writeFileSync(path.join(course, 'lab.json'), COURSE_LAB.replace('"scenario": "direct"', '"scenario": "nosuch"'));
    const r = await lab(['init', '--from', course], { cwd: tempDir('course-scenario') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no scenario named "nosuch"');
  });

  it('says in one line when DIR is missing or holds no lab.json', async () => {
    const cwd = tempDir('course-missing');
    const missing = await lab(['init', '--from', path.join(cwd, 'nowhere')], { cwd });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(
      `lab: the course ${cwd}/nowhere does not exist: ` +
        'a course is a directory holding lab.json and one NAME.md per exercise\n',
    );
    const empty = tempDir('course-empty');
    const none = await lab(['init', '--from', empty], { cwd });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(new RegExp(`^lab: there is no lab\\.json in ${empty}: a course is a directory`));
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('writes nothing when an exercise text is in the way', async () => {
    const cwd = tempDir('course-in-the-way');
    writeFileSync(path.join(cwd, 'manual.md'), 'my own notes\n');
    const r = await lab(['init', '--from', makeCourse()], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${cwd}/manual.md already exists: pass --force`);
    expect(readdirSync(cwd)).toEqual(['manual.md']);
    expect(readFileSync(path.join(cwd, 'manual.md'), 'utf8')).toBe('my own notes\n');
  });
});

/** Runs copied into a lab directory as lab would have left them, under ids of their own. */
function copyRun(cwd: string, fixture: string, id: string, change?: (dir: string) => void): void {
  const dir = path.join(cwd, '.lab', 'runs', id);
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(path.join(RUNS, fixture), dir, { recursive: true });
  change?.(dir);
}

/** The proactive run made a quiet run of the direct scenario: a try that misses. */
function asFailedDirect(dir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  manifest.request.scenario.name = 'direct';
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const verdicts = JSON.parse(readFileSync(path.join(dir, 'verdicts.json'), 'utf8'));
  verdicts.verdicts = verdicts.verdicts.map((v: object) => ({ ...v, path: 'direct', ok: false, fired: false }));
  writeFileSync(path.join(dir, 'verdicts.json'), JSON.stringify(verdicts));
}

describe('lab exercises', () => {
  it('lists every exercise of a fresh lab as not run yet, and exits 0', async () => {
    const cwd = await initFrom(makeCourse());
    const r = await lab(['exercises'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^zone-order +no run yet +- +no debug run with the breakpoints compact_zone$/m);
    expect(r.stdout).toMatch(/^untold +no run yet +- +no run of the direct scenario$/m);
    expect(r.stdout).toContain('0 of 3 done');
    const json = JSON.parse((await lab(['exercises', '--json'], { cwd })).stdout);
    expect(json.runs).toBe(0);
    expect(json.vmlinux).toBeNull();
    expect(json.exercises.map((x: { state: string }) => x.state)).toEqual(['no run yet', 'no run yet', 'no run yet']);
  });

  it("judges the lab's runs as lab check does: done with its run, not done with what is missing", async () => {
    const cwd = tempDir('course-runs');
    expect((await lab(['init'], { cwd })).exitCode).toBe(0);
    copyRun(cwd, 'debug', '20261128-023354066Z-debug');
    copyRun(cwd, 'scenario', '20261128-023401002Z-proactive');
    copyRun(cwd, 'scenario', '20261128-023501002Z-direct', asFailedDirect);
    copyRun(cwd, 'trace', '20261128-023426305Z-trace');
    const r = await lab(['exercises', '--json'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const byName = Object.fromEntries(
      JSON.parse(r.stdout).exercises.map((x: { name: string }) => [x.name, x] as const),
    ) as Record<string, { state: string; run?: string; evidence: string }>;
    expect(byName['seed-breakpoints']).toMatchObject({ state: 'done', run: '20261128-023354066Z-debug' });
    expect(byName['seed-breakpoints']!.evidence).toContain('frames have compact_zone, sysctl_compaction_handler');
    expect(byName.proactive).toMatchObject({ state: 'done', run: '20261128-023401002Z-proactive' });
    expect(byName.direct).toMatchObject({ state: 'not done', run: '20261128-023501002Z-direct' });
    expect(byName.direct!.evidence).toMatch(/^direct quiet \(not as expected\): /);
    expect(byName.stress).toMatchObject({ state: 'no run yet', evidence: 'no run of the stress scenario' });
    const table = await lab(['exercises'], { cwd });
    expect(table.stdout).toMatch(/^seed-breakpoints +done +20261128-023354066Z-debug +hits: /m);
    expect(table.stdout).toContain('2 of 6 done, judged as lab check judges, on 4 run(s)');
  });

  it('tells them to run lab init when there is no lab.json', async () => {
    const r = await lab(['exercises'], { cwd: tempDir('course-none') });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lab: there is no .*lab\.json listing the exercises: run lab init/);
  });
});

describe('lab exercise NAME', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await initFrom(makeCourse());
  });

  it('prints the text, the state, and lab debug with its breakpoints, captures, trigger and count', async () => {
    const r = await lab(['exercise', 'zone-order'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`zone-order: The order compact_zone is asked for\n\n${ZONE_TEXT}`);
    expect(r.stdout).toContain('state: no run yet: no debug run with the breakpoints compact_zone');
    expect(r.stdout).toContain(
      "do it: lab debug --break compact_zone --capture 'cc->order' --trigger compact --count 5",
    );
    expect(r.stdout).toContain('lab debug --exercise zone-order runs the same');
    expect(r.stdout).not.toContain('lab demo');
  });

  it('escapes the control characters of a text, and points a scenario at lab run', async () => {
    const r = await lab(['exercise', 'manual'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Write 1 to compact_memory.\n\\x1b[2Jcleared?\n\\u202eevil\n');
    expect(r.stdout.includes('\u001b') || r.stdout.includes('\u202e')).toBe(false);
    expect(r.stdout).toContain('do it: lab run manual');
  });

  it('gives {name, about, text, state, command} with --json, the text as written', async () => {
    const r = await lab(['exercise', 'manual', '--json'], { cwd });
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'manual',
      about: 'A manual compaction, traced',
      text: MANUAL_TEXT,
      state: { state: 'no run yet', evidence: 'no run of the manual scenario' },
      command: 'lab run manual',
    });
  });

  it('says where to write a missing text', async () => {
    const r = await lab(['exercise', 'untold'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('no text for this exercise: write untold.md beside lab.json');
    expect(JSON.parse((await lab(['exercise', 'untold', '--json'], { cwd })).stdout).text).toBeNull();
  });

  it("notes that lab demo records the seed exercise, whose breakpoints are the demo's", async () => {
    const seed = tempDir('course-seed');
    expect((await lab(['init'], { cwd: seed })).exitCode).toBe(0);
    const r = await lab(['exercise', 'seed-breakpoints'], { cwd: seed });
    expect(r.stdout).toContain(
      'do it: lab debug --break kcompactd --break kcompactd_do_work --break compact_zone ' +
        '--break compact_unlock_should_abort --break isolate_freepages_block --trigger compact --count 20',
    );
    expect(r.stdout).toContain('lab demo records it too');
  });

  it('lists the known names in one line for an unknown one (EXERCISE_UNKNOWN, exit 2)', async () => {
    const r = await lab(['exercise', 'nosuch'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`lab: ${cwd}/lab.json has no exercise "nosuch": choose one of zone-order, manual, untold\n`);
  });
});
