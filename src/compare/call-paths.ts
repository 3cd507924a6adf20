/**
 * How two kernels reach the same code (pure): the call paths one side took
 * and the other did not, and each function the two compiled differently
 * (a .isra/.constprop clone on one, inlined into its caller on the other).
 * The seed saw this between its ARM VM and its x86 server and could not
 * say why; lab compare names it.
 */
/** FlameGraph's mark of an inlined frame in collapsed stacks (export/folded.ts writes it). */
const INLINED = '_[i]';

/** GCC's clone suffixes: foo.isra.0, foo.constprop.0, foo.part.0, foo.cold, and chains of them. */
const CLONE = /((?:\.(?:isra|constprop|part|cold|lto_priv|localalias)(?:\.\d+)?)+)$/;

/**
 * ftrace's own frames, which gdb unwinds into when function_graph has
 * swapped a return address: the frames outside them are not the caller's.
 */
const FTRACE_FRAMES = new Set([
  'return_to_handler',
  'ftrace_stub_graph',
  'ftrace_graph_caller',
  'ftrace_caller',
  'ftrace_caller_end',
  'ftrace_regs_caller',
  'ftrace_regs_caller_end',
  'ftrace_common',
  'ftrace_stub',
]);

/** What stands for the frames cut from a path's root: unknown, or ftrace's. */
export const CUT = '…';

export interface FunctionDiff {
  /** The function as the source names it, without a clone suffix. */
  function: string;
  /** How each side has it: "called", "called as f.isra.0 (isra clone)", "inlined into g", or why it is not seen. */
  a: string;
  b: string;
  /** Where each kernel's code has the function, from its DWARF: "own copy; inlined into g (2), h". */
  copiesA?: string;
  copiesB?: string;
}

export interface CallPaths {
  /** Paths (outermost first, clone suffixes dropped) seen on one side only. */
  onlyA: string[];
  onlyB: string[];
  /** Functions seen on both sides in different forms, then functions seen on one side only. */
  functions: FunctionDiff[];
}

interface Frame {
  base: string;
  form: string;
}

function frameOf(name: string, caller: string | undefined): Frame {
  if (name.endsWith(INLINED)) {
    const base = name.slice(0, -INLINED.length);
    return { base, form: caller ? `inlined into ${caller}` : 'inlined' };
  }
  const clone = CLONE.exec(name);
  if (!clone) return { base: name, form: 'called' };
  const kind = clone[1]!.split('.')[1]!;
  return { base: name.slice(0, clone.index), form: `called as ${name} (${kind} clone)` };
}

/** A collapsed stack's frames from the last unknown or ftrace frame on, each with its base name and form. */
export function pathFrames(stack: string): { cut: boolean; frames: Frame[] } {
  const names = stack.split(';');
  let start = 0;
  names.forEach((n, i) => {
    if (n === '??' || FTRACE_FRAMES.has(n)) start = i + 1;
  });
  const frames: Frame[] = [];
  for (const name of names.slice(start)) frames.push(frameOf(name, frames.at(-1)?.base));
  return { cut: start > 0, frames };
}

/** The path as both kernels would write it: clones and inline marks dropped, a cut root as "…". */
function normalPath(stack: string): string | undefined {
  const { cut, frames } = pathFrames(stack);
  if (frames.length === 0) return undefined;
  return [...(cut ? [CUT] : []), ...frames.map((f) => f.base)].join(';');
}

/** Every path and each of its leading parts. */
function prefixes(paths: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const frames = p.split(';');
    for (let n = 1; n <= frames.length; n++) out.add(frames.slice(0, n).join(';'));
  }
  return out;
}

/** Each function a side's stacks show, with the forms it takes there. */
function formsOf(stacks: string[]): Map<string, Set<string>> {
  const forms = new Map<string, Set<string>>();
  for (const stack of stacks)
    for (const f of pathFrames(stack).frames) {
      const seen = forms.get(f.base) ?? new Set<string>();
      seen.add(f.form);
      forms.set(f.base, seen);
    }
  return forms;
}

/** Why a side does not show a function: what its kernel's symbols say, when they are at hand. */
function absence(fn: string, symbols: Set<string> | undefined): string {
  if (!symbols) return 'not seen';
  return symbols.has(fn)
    ? 'not seen (its kernel has the symbol: inlined where these paths call it, or not called)'
    : 'not seen, no symbol (inlined everywhere, or not built)';
}

/**
 * The call paths and functions that differ between two sides' collapsed
 * stacks; symbols, each side's kernel's function names (System.map), tell a
 * function inlined everywhere from one not called.
 */
export function compareCallPaths(
  stacksA: string[],
  stacksB: string[],
  symbols: { a?: Set<string>; b?: Set<string> } = {},
): CallPaths {
  const paths = (stacks: string[]) => new Set(stacks.map(normalPath).filter((p): p is string => p !== undefined));
  const pathsA = paths(stacksA);
  const pathsB = paths(stacksB);
  // a path taken implies each of its callers' paths: a trace that weighs calls by their own time leaves those out
  const reachedA = prefixes(pathsA);
  const reachedB = prefixes(pathsB);
  const formsA = formsOf(stacksA);
  const formsB = formsOf(stacksB);
  const text = (forms: Set<string>) => [...forms].sort().join('; ');
  const differing: FunctionDiff[] = [];
  const oneSided: FunctionDiff[] = [];
  for (const fn of [...new Set([...formsA.keys(), ...formsB.keys()])].sort()) {
    const a = formsA.get(fn);
    const b = formsB.get(fn);
    if (a && b) {
      if (text(a) !== text(b)) differing.push({ function: fn, a: text(a), b: text(b) });
    } else if (a) oneSided.push({ function: fn, a: text(a), b: absence(fn, symbols.b) });
    else if (b) oneSided.push({ function: fn, a: absence(fn, symbols.a), b: text(b) });
  }
  return {
    onlyA: [...pathsA].filter((p) => !reachedB.has(p)).sort(),
    onlyB: [...pathsB].filter((p) => !reachedA.has(p)).sort(),
    functions: [...differing, ...oneSided],
  };
}

/**
 * Where a kernel's DWARF puts a function's code (pure), from the sites a
 * breakpoint on it gets: its own copy (arm64 gives one two sites, before
 * and after the patchable entry), and each function it is inlined into.
 */
export function describeCopies(fn: string, containers: Array<string | null>): string {
  let own = false;
  const inlined = new Map<string, number>();
  for (const c of containers) {
    const name = c ?? '??';
    if (name.replace(CLONE, '') === fn) own = true;
    else inlined.set(name, (inlined.get(name) ?? 0) + 1);
  }
  const into = [...inlined].sort(([x], [y]) => (x < y ? -1 : 1)).map(([name, n]) => (n > 1 ? `${name} (${n})` : name));
  const parts = [...(own ? ['own copy'] : []), ...(into.length ? [`inlined into ${into.join(', ')}`] : [])];
  return parts.length ? parts.join('; ') : 'no code';
}
