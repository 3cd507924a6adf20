import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InterruptedError, LabError } from '../errors.js';
import { qmpCommand } from '../qemu/qmp.js';
import type { Store } from '../store/store.js';
import { agentExec, agentPing, agentResume } from '../guest/serial-agent.js';
import { guestToolDir } from '../image/guest-tools.js';
import { sleep } from '../util/sleep.js';
import { BOOT_SNAPSHOT_FORMAT, type BootShape } from './boot-snapshot-key.js';

/** A saved guest's files in its store entry: a boot snapshot (snapshots/KEY) or a start moment (starts/KEY). */
export interface SnapshotFiles {
  memory: string;
  disk: string;
  serialLog: string;
  record: string;
}

export function snapshotFiles(dir: string): SnapshotFiles {
  return {
    // the console's output up to that moment: a restored VM's serial log starts with its boot
    serialLog: path.join(dir, 'serial.log'),
    // QEMU's migration stream: devices, then the guest's non-zero pages
    memory: path.join(dir, 'memory'),
    // the Debian overlay at the same moment, backed by the stored image
    disk: path.join(dir, 'disk.qcow2'),
    record: path.join(dir, 'snapshot.json'),
  };
}

/** The QEMU side of a save or a restore: its QMP socket, and a socket path for the stream. */
export interface SnapshotVm {
  qmpSocket: string;
  streamSocket: string;
}

const MIGRATION_LIMIT_MS = 120_000;

/** Polls query-migrate until the stream is written (or QEMU gives up). */
async function migrationDone(qmp: string, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + MIGRATION_LIMIT_MS;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new InterruptedError('saving the boot snapshot');
    const r = (await qmpCommand(qmp, 'query-migrate', 5000)) as { status?: string; 'error-desc'?: string };
    if (r.status === 'completed') return;
    if (r.status === 'failed' || r.status === 'cancelled')
      throw new LabError('SNAPSHOT_FAILED', `QEMU's migration ${r.status}: ${r['error-desc'] ?? 'no reason given'}`);
    await sleep(50);
  }
  await qmpCommand(qmp, 'migrate_cancel').catch(() => undefined);
  throw new LabError('SNAPSHOT_FAILED', `QEMU did not write the snapshot within ${MIGRATION_LIMIT_MS / 1000} s`);
}

/** Listens on socketPath for QEMU's one connection and writes what it sends to file. */
async function receiveStream(socketPath: string, file: string): Promise<{ done: Promise<void>; close(): void }> {
  await rm(socketPath, { force: true });
  const server = net.createServer();
  const done = new Promise<void>((resolve, reject) => {
    server.once('connection', (socket) => {
      server.close();
      pipeline(socket, createWriteStream(file)).then(resolve, reject);
    });
    server.once('error', reject);
  });
  done.catch(() => undefined);
  await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once('error', reject));
  return { done, close: () => server.close() };
}

/** Where a saved guest goes, and what its record says of it beyond the format and when. */
export interface GuestSnapshotEntry {
  kind: 'snapshots' | 'starts';
  key: string;
  about: { shape: BootShape } & Record<string, unknown>;
}

/**
 * Saves the running guest as a store entry: paused, its memory streamed to
 * the entry, the disk overlay copied while QEMU holds it flushed and
 * inactive, then resumed. The entry appears whole or not at all; undefined
 * when another lab saved it meanwhile.
 */
export async function saveGuestSnapshot(
  store: Store,
  entry: GuestSnapshotEntry,
  vm: SnapshotVm & { disk?: string; serialLog: string },
  signal?: AbortSignal,
): Promise<{ bytes: number; ms: number; savedAt: string } | undefined> {
  const started = Date.now();
  let bytes = 0;
  const savedAt = new Date().toISOString();
  const { hit } = await store.ensure(entry.kind, entry.key, async (dir) => {
    const files = snapshotFiles(dir);
    const stream = await receiveStream(vm.streamSocket, files.memory);
    await qmpCommand(vm.qmpSocket, 'stop');
    try {
      await qmpCommand(vm.qmpSocket, 'migrate', 5000, { uri: `unix:${vm.streamSocket}` });
      await migrationDone(vm.qmpSocket, signal);
      await stream.done;
      if (vm.disk) await copyFile(vm.disk, files.disk);
      await copyFile(vm.serialLog, files.serialLog).catch(() => writeFile(files.serialLog, ''));
      bytes = (await stat(files.memory)).size;
      const record = { format: BOOT_SNAPSHOT_FORMAT, ...entry.about, savedAt, bytes };
      await writeFile(files.record, JSON.stringify(record, null, 2) + '\n');
    } finally {
      stream.close();
      await rm(vm.streamSocket, { force: true });
      await qmpCommand(vm.qmpSocket, 'cont');
    }
  });
  return hit ? undefined : { bytes, ms: Date.now() - started, savedAt };
}

/**
 * Waits until a QEMU started with -incoming has read the snapshot's stream
 * from its file, and resumes the guest.
 */
export async function loadBootSnapshot(
  qmpSocket: string,
  alive: () => Promise<boolean>,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    if (!(await alive())) throw new LabError('SNAPSHOT_FAILED', 'QEMU stopped while loading the snapshot');
    const r = (await qmpCommand(qmpSocket, 'query-status', 5000)) as { status?: string };
    // the stream was saved from a paused guest: loaded, it waits paused
    if (r.status === 'paused' || r.status === 'running') break;
    await sleep(10);
  }
  if (Date.now() >= deadline) throw new LabError('SNAPSHOT_FAILED', 'QEMU did not finish loading the snapshot');
  await qmpCommand(qmpSocket, 'cont');
}

/** The guest tool that resumes a restored guest, where its rootfs kind keeps lab's tools. */
function resumeTool(rootfsKind: string): string {
  return `${guestToolDir(rootfsKind)}/lab-resume`;
}

/** Whether the guest's agent answers before the deadline. */
export async function guestAgentAnswers(agentSocket: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await agentPing(agentSocket, 1000)) return true;
    await sleep(100);
  }
  return false;
}

/** Whether a booted guest can be resumed from a snapshot: its agent answers and it has lab-resume. */
export async function guestCanResume(agentSocket: string, rootfsKind: string, deadline: number): Promise<boolean> {
  if (!(await guestAgentAnswers(agentSocket, deadline))) return false;
  const r = await agentExec(agentSocket, ['test', '-x', resumeTool(rootfsKind)], { timeoutMs: 10_000 });
  return r.exitCode === 0;
}

/**
 * Makes a restored guest this moment's own, in one agent round trip
 * (lab-resume): the host's clock, a fresh seed for its CRNG, and on Debian
 * this lab's ssh key instead of the one of the lab that saved the snapshot.
 */
export async function resumeGuest(
  agentSocket: string,
  guest: { sshPublicKey?: string },
  timeoutMs: number,
): Promise<void> {
  const now = Date.now();
  const words = [String(Math.floor(now / 1000)), String((now % 1000) * 1e6), randomBytes(32).toString('hex')];
  if (guest.sshPublicKey) words.push(Buffer.from(guest.sshPublicKey).toString('hex'));
  const code = await agentResume(agentSocket, words, timeoutMs);
  if (code !== 0) throw new LabError('SNAPSHOT_FAILED', `lab-resume failed in the restored guest (exit code ${code})`);
}

/** Removes a snapshot entry that would not restore, so the next boot saves a good one. */
export async function forgetBootSnapshot(store: Store, key: string): Promise<void> {
  const dir = store.entry('snapshots', key);
  if (existsSync(dir)) await store.locked(`snapshots/${key}`, () => rm(dir, { recursive: true, force: true }));
}
