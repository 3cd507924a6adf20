/**
 * The wire protocol of the guest agent (image/common/agent), as
 * pure functions: requests carry each argument base64-encoded so that no byte
 * of it is ever parsed by a shell on either side.
 */
export function pingRequest(id: string): string {
  return `\n${id} ping\n`;
}

/** Each argument as an "x<base64>" word: what image/common/lab-exec decodes back into argv. */
export function argvTokens(argv: string[]): string[] {
  if (argv.length === 0) throw new Error('exec needs a command');
  return argv.map((a) => `x${Buffer.from(a, 'utf8').toString('base64')}`);
}

export function execRequest(id: string, argv: string[]): string {
  return `\n${id} exec ${argvTokens(argv).join(' ')}\n`;
}

/** A file for the guest: its path as a token, then its bytes in base64 lines, then a lone ".". */
export function putRequest(id: string, guestPath: string, data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return `\n${id} put ${argvTokens([guestPath])[0]}\n${lines.join('\n')}${lines.length ? '\n' : ''}.\n`;
}

/**
 * Resumes a guest restored from a snapshot in one step: the agent runs its
 * lab-resume with these words as they are, no lab-exec (a process fewer for
 * each argument, which under TCG is most of the time). So each word must be
 * one a shell passes untouched: digits and lowercase hex only.
 */
export function resumeRequest(id: string, words: string[]): string {
  const bad = words.find((w) => !/^[0-9a-f]+$/.test(w));
  if (bad !== undefined) throw new Error(`a resume word is digits and lowercase hex, not ${JSON.stringify(bad)}`);
  return `\n${id} resume ${words.join(' ')}\n`;
}

export interface ExecReply {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Reads the agent's lines for one request id; feed() returns true once the reply is complete. */
export class AgentReplyParser {
  private section: 'none' | 'out' | 'err' = 'none';
  private out: string[] = [];
  private err: string[] = [];
  pong = false;
  exitCode: number | undefined;

  constructor(private readonly id: string) {}

  feed(line: string): boolean {
    const text = line.replace(/\r$/, '');
    const marker = /^@lab (\S+) (pong|out|err|exit)(?: (\d+))?$/.exec(text);
    if (marker) {
      if (marker[1] !== this.id) {
        this.section = 'none'; // a reply to an earlier, abandoned request
        return false;
      }
      switch (marker[2]) {
        case 'pong':
          this.pong = true;
          return true;
        case 'out':
        case 'err':
          this.section = marker[2];
          return false;
        case 'exit':
          this.exitCode = Number(marker[3]);
          return true;
      }
    }
    if (this.section === 'out') this.out.push(text);
    else if (this.section === 'err') this.err.push(text);
    return false;
  }

  reply(): ExecReply {
    if (this.exitCode === undefined) throw new Error('reply not complete');
    return {
      exitCode: this.exitCode,
      stdout: Buffer.from(this.out.join(''), 'base64'),
      stderr: Buffer.from(this.err.join(''), 'base64'),
    };
  }
}
