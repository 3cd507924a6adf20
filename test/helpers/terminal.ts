import { LAB } from './cli.js';

/**
 * The CLI in a real terminal (node-pty): what it wrote (raw, and as a screen
 * without escape sequences), typing, and its exit code.
 */
export async function labInTerminal(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const pty = await import('node-pty');
  const term = pty.spawn(process.execPath, [LAB, ...args], {
    cwd: options.cwd,
    cols: 160,
    rows: 50,
    name: 'xterm',
    env: { ...process.env, ...options.env },
  });
  let raw = '';
  term.onData((d) => (raw += d));
  const exited = new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
  // eslint-disable-next-line no-control-regex
  const screen = () => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  /** Where the screen ends now: give it to waitFor to look only at what comes after. */
  const since = () => screen().length;
  const waitFor = async (re: RegExp, from = 0, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!re.test(screen().slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return re.test(screen().slice(from));
  };
  return { term, exited, screen, raw: () => raw, since, waitFor };
}
