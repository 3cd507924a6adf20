import yargs from 'yargs';
import type { AnyCommand } from '../../src/cli/command.js';
import { globalOptions } from '../../src/cli/options.js';

/** One option or positional as `lab CMD --help` lists it. */
export interface HelpEntry {
  name: string;
  positional: boolean;
  type: 'string' | 'number' | 'boolean' | 'array';
  choices?: string[];
  default?: string;
  required: boolean;
}

/** The options every command takes: they shape the CLI context, not a use case's flags. */
export const CONTEXT_OPTIONS = ['help', 'version', 'lab-dir', 'json', 'report'];

/** The command names `lab --help` lists. */
export function commandsOfHelp(text: string): string[] {
  return [...text.matchAll(/^ {2}lab (\S+)/gm)].map((m) => m[1]!);
}

/** The options and positionals `lab CMD --help` lists, with their types, choices and defaults. */
export function entriesOfHelp(text: string): HelpEntry[] {
  const entries: Array<{ name: string; positional: boolean; text: string }> = [];
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\S.*:$/.test(line)) section = line;
    else if (line.trim() === '') continue;
    const option = section === 'Options:' && /^ {2,6}(?:-\w, )?--([\w-]+)/.exec(line);
    const positional = section === 'Positionals:' && /^ {2}(\w[\w-]*)/.exec(line);
    const start = option || positional;
    if (start) entries.push({ name: start[1]!, positional: !!positional, text: line });
    else if (entries.length && /^\s/.test(line)) entries.at(-1)!.text += ` ${line.trim()}`;
  }
  return entries.map(({ name, positional, text }) => {
    const choices = /\[choices: ([^\]]+)\]/.exec(text)?.[1]?.match(/"[^"]*"/g);
    const type = /\[(string|number|boolean|array)\]/.exec(text)?.[1] as HelpEntry['type'] | undefined;
    return {
      name,
      positional,
      type: type ?? 'string',
      choices: choices?.map((c) => c.slice(1, -1)),
      default: /\[default: ([^\]]*)\]/.exec(text)?.[1]?.replace(/^"|"$/g, ''),
      required: text.includes('[required]'),
    };
  });
}

/** A value for the entry unlike its default, as argv words and as it should reach the request. */
export function sampleOf(e: HelpEntry): { words: string[]; value: unknown } {
  const flag = (words: string[]) => (e.positional ? words : [`--${e.name}`, ...words]);
  if (e.choices) {
    const choice = e.choices.find((c) => c !== e.default)!;
    return { words: flag([choice]), value: choice };
  }
  switch (e.type) {
    case 'boolean':
      return e.default === 'true' ? { words: [`--no-${e.name}`], value: false } : { words: flag([]), value: true };
    case 'number': {
      const n = e.default === '4242' ? 4243 : 4242;
      return { words: flag([String(n)]), value: n };
    }
    default:
      return { words: flag([`sample-${e.name}`]), value: `sample-${e.name}` };
  }
}

/** The request a command builds from argv words, through yargs as lab registers the command. */
export async function requestOf(command: AnyCommand, words: string[]): Promise<unknown> {
  let request: unknown;
  const y = command.register(globalOptions(yargs([])), async (r) => {
    request = r;
  });
  await y
    .parserConfiguration({ 'populate--': true })
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync([command.command.split(' ')[0]!, ...words]);
  return request;
}

/** True when the value appears anywhere in the request (a string may arrive as part of a path). */
export function carries(request: unknown, value: unknown): boolean {
  if (typeof value === 'string' && typeof request === 'string') return request.includes(value);
  if (request === value) return true;
  if (Array.isArray(request)) return request.some((r) => carries(r, value));
  if (request && typeof request === 'object') return Object.values(request).some((r) => carries(r, value));
  return false;
}

/**
 * The options and positionals of a command's help that do not reach its
 * request: given a value unlike the default, the request is the same as
 * without it, or the value is nowhere in it.
 */
export async function droppedEntries(command: AnyCommand, help: string, skip: string[]): Promise<string[]> {
  const entries = entriesOfHelp(help).filter((e) => !skip.includes(e.name));
  const required = entries.filter((e) => e.positional && e.required);
  const base = required.map((e) => (e.type === 'array' ? `base-${e.name}` : `base-${e.name}`));
  const without = JSON.stringify(await requestOf(command, base));
  const dropped: string[] = [];
  for (const e of entries) {
    const sample = sampleOf(e);
    const words = e.positional
      ? required.map((r) => (r === e ? sample.words[0]! : `base-${r.name}`)).concat(e.required ? [] : sample.words)
      : [...base, ...sample.words];
    const request = await requestOf(command, words);
    if (JSON.stringify(request) === without || (e.type !== 'boolean' && !carries(request, sample.value)))
      dropped.push(e.name);
  }
  return dropped;
}
