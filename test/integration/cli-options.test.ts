/**
 * Every option a command's --help lists reaches the use case: each is given a
 * value unlike its default, and the request the command's argv mapping builds
 * must change and carry it. An option declared and dropped fails here.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandOf, defineCommand } from '../../src/cli/command.js';
import { buildCommand } from '../../src/cli/commands/build.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { CONTEXT_OPTIONS, commandsOfHelp, droppedEntries, requestOf } from '../helpers/cli-help.js';
import { LAB, lab } from '../helpers/cli.js';

/** The commands that read lab.json, so take the global --lab. */
const LAB_FILE_READERS = [
  'build',
  'demo',
  'debug',
  'doctor',
  'lock',
  'verify',
  'publish',
  'pack',
  'check',
  'exercises',
  'exercise',
];

const helps = new Map<string, string>();

beforeAll(async () => {
  if (!existsSync(LAB)) throw new Error(`${LAB} is missing: build it with npx tsc -p tsconfig.json`);
  const names = commandsOfHelp((await lab(['--help'])).stdout);
  for (const name of names) {
    const r = await lab([name, '--help']);
    expect(r.exitCode, `lab ${name} --help`).toBe(0);
    helps.set(name, r.stdout);
  }
}, 120_000);

const nameOf = (c: { command: string }) => c.command.split(' ')[0]!;

describe('lab CMD --help: every declared option reaches the use case', () => {
  it('lists exactly the commands lab registers', () => {
    expect([...helps.keys()]).toEqual(COMMANDS.map(nameOf));
  });

  it.each(COMMANDS.map((c) => [nameOf(c), c] as const))('lab %s', async (name, command) => {
    const skip = [...CONTEXT_OPTIONS, ...(LAB_FILE_READERS.includes(name) ? [] : ['lab'])];
    expect(await droppedEntries(command, helps.get(name)!, skip)).toEqual([]);
  });

  it('lab build --fragment X: the fragments of the build', async () => {
    const build = COMMANDS.find((c) => nameOf(c) === 'build')!;
    expect(await requestOf(build, ['--fragment', 'extra.config', '--configure-only'])).toMatchObject({
      fragments: ['extra.config'],
      configureOnly: true,
    });
  });

  it('fails for an option declared and dropped: --fragment as it was', async () => {
    const dropping = commandOf(
      defineCommand({ ...buildCommand, request: (a) => ({ ...buildCommand.request(a), fragments: undefined }) }),
    );
    expect(await droppedEntries(dropping, helps.get('build')!, CONTEXT_OPTIONS)).toEqual(['fragment']);
  });
});
