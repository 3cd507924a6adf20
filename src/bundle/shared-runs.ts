/** What identifies one bundle's runs: their ids, creation times and file hashes. */
export interface BundlePrint {
  bundle: string;
  student: string;
  runs: string[];
  /** sha256 -> the run file it hashes (runs/ID/FILE), for the files a run recorded. */
  files: Map<string, string>;
}

/**
 * Run files no two honest runs share: each holds times or the guest's own
 * counters. (Others, a folded stack or a verdict table, can match between
 * two real runs.)
 */
const UNIQUE = /^runs\/[^/]+\/(hits\.jsonl|samples\.jsonl|before\.txt|after\.txt|trace\.txt|manifest\.json)$/;
/** lab's run ids: the millisecond a run began (a hand-made id such as "r1" says nothing when shared). */
const LAB_RUN_ID = /^\d{8}-\d{9}Z/;
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The fingerprint of a bundle from its bundle.json (pure). */
export function bundlePrint(
  bundle: string,
  student: string,
  runs: string[],
  files: Record<string, string>,
): BundlePrint {
  const byHash = new Map<string, string>();
  for (const [file, hash] of Object.entries(files))
    if (UNIQUE.test(file) && hash !== EMPTY && !byHash.has(hash)) byHash.set(hash, file);
  return { bundle, student, runs, files: byHash };
}

/**
 * Runs two students both handed in (pure): the same run id (lab names a run
 * by the millisecond it began) or a run file of the same bytes. Each
 * bundle that shares gets one line naming what and with whom.
 */
export function sharedRuns(prints: BundlePrint[]): Map<string, string> {
  const found = new Map<string, string>();
  const note = (p: BundlePrint, what: string) => {
    if (!found.has(p.bundle)) found.set(p.bundle, what);
  };
  for (const [i, a] of prints.entries()) {
    for (const b of prints.slice(i + 1)) {
      if (a.student === b.student) continue;
      const run = a.runs.find((r) => LAB_RUN_ID.test(r) && b.runs.includes(r));
      const hash = run ? undefined : [...a.files.keys()].find((h) => b.files.has(h));
      if (!run && !hash) continue;
      const what = (x: BundlePrint, y: BundlePrint) =>
        run ? `run ${run}` : `${x.files.get(hash!)} (as ${y.files.get(hash!)})`;
      note(a, `${what(a, b)} is also in ${b.student}'s bundle ${b.bundle}`);
      note(b, `${what(b, a)} is also in ${a.student}'s bundle ${a.bundle}`);
    }
  }
  return found;
}
