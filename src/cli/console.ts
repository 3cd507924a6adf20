import net from 'node:net';
import { LabError } from '../errors.js';
import type { VmState } from '../vm/state.js';

export const DETACH_KEY = 0x1d; // Ctrl-]

/** Attaches this terminal, raw, to the VM's serial console until Ctrl-] or the VM goes. */
export async function attachConsole(vm: VmState): Promise<void> {
  if (!process.stdin.isTTY)
    throw new LabError('NOT_A_TTY', 'lab console needs a terminal', { hint: `read ${vm.serialLog} instead` });
  process.stderr.write('lab: attached to the serial console; Ctrl-] detaches\n');
  await new Promise<void>((resolve, reject) => {
    const socket = net.createConnection(vm.sockets.console);
    const stdin = process.stdin;
    const restore = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
    };
    const onData = (d: Buffer) => {
      if (d.includes(DETACH_KEY)) {
        restore();
        socket.end();
        resolve();
        return;
      }
      socket.write(d);
    };
    socket.on('connect', () => {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', onData);
      socket.write('\n');
    });
    socket.on('data', (d) => process.stdout.write(d));
    socket.on('error', (e) => {
      restore();
      reject(new LabError('VM_NOT_RUNNING', `the serial console ${vm.sockets.console} did not answer: ${e.message}`));
    });
    socket.on('close', () => {
      restore();
      resolve();
    });
  });
}
