/**
 * The wire protocol of the initramfs guest agent (image/initramfs/agent), as
 * pure functions: requests carry each argument base64-encoded so that no byte
 * of it is ever parsed by a shell on either side.
 */
export function pingRequest(id: string): string {
  return `\n${id} ping\n`;
}

export function execRequest(id: string, argv: string[]): string {
  if (argv.length === 0) throw new Error('exec needs a command');
  const tokens = argv.map((a) => `x${Buffer.from(a, 'utf8').toString('base64')}`);
  return `\n${id} exec ${tokens.join(' ')}\n`;
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
