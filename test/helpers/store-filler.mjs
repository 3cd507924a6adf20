// A lab process filling one store entry, for the store's lock tests: it
// appends "fill <pid>" to LOG when its fill starts, then takes FILL_MS (or
// never ends when FILL_MS is "forever", leaving a worker in the scratch directory) and prints what ensure() returned.
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Store } from '../../dist/store/store.js';

const [root, kind, key, log, fillMs] = process.argv.slice(2);
const store = new Store(root, {
  onWait: (what, holder) => appendFileSync(log, `wait ${process.pid} for ${holder?.pid}\n`),
});
const result = await store.ensure(kind, key, async (dir) => {
  appendFileSync(log, `fill ${process.pid}\n`);
  writeFileSync(path.join(dir, 'made-by'), String(process.pid));
  if (fillMs === 'forever') {
    // like make: a process group of its own, working in the scratch directory
    const worker = spawn('sleep', ['600'], { cwd: dir, detached: true, stdio: 'ignore' });
    appendFileSync(log, `worker ${worker.pid}\n`);
    await new Promise(() => setInterval(() => undefined, 1 << 30));
  }
  await new Promise((r) => setTimeout(r, Number(fillMs)));
});
process.stdout.write(`${JSON.stringify(result)}\n`);
