import { InterruptedError } from '../errors.js';

/** Waits ms milliseconds; an aborted signal ends the wait with InterruptedError. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('waiting'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new InterruptedError('waiting'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
