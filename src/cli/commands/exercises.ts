import { defineCommand } from '../command.js';
import { renderExercise, renderExercises } from '../render-exercises.js';

/** A course followed alone: what lab.json asks, and what this machine's runs already show. */
export const exercisesCommand = defineCommand({
  command: 'exercises',
  describe: "list lab.json's exercises and their state here: judged on this lab's runs as lab check judges",
  options: (y) => y,
  request: (a) => ({ lab: a.lab }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/exercises.js')).listExercises(cli.lab, flags);
    cli.out(cli.json ? JSON.stringify(r, null, 2) : renderExercises(r));
  },
});

export const exerciseCommand = defineCommand({
  command: 'exercise <name>',
  describe: "an exercise's text (NAME.md beside lab.json), its state here, and the command that does it",
  options: (y) => y.positional('name', { type: 'string', demandOption: true, describe: 'an exercise lab.json lists' }),
  request: (a) => ({ name: a.name, lab: a.lab }),
  run: async (cli, flags) => {
    const r = await (await import('../../lab/exercises.js')).showExercise(cli.lab, flags);
    cli.out(cli.json ? JSON.stringify(r, null, 2) : renderExercise(r));
  },
});
