import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import tmp from 'tmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareGroups } from '../../src/compare/compare.js';
import { readRunFigures } from '../../src/compare/read.js';
import { writeExports } from '../../src/export/write.js';
import { readRunContents } from '../../src/record/read-run.js';
import { writeCompareReport, writeRunReport } from '../../src/lab/report.js';
import { foldedFrames } from '../helpers/folded.js';
import { FIXTURES, hasShared, sharedSkipReason } from '../helpers/shared.js';
import { TraceFileSchema, unbalancedSlices } from '../helpers/trace-event-schema.js';
import { closeServer } from '../helpers/http.js';

/**
 * The reports in a real browser: Debian's chromium, driven headless by
 * puppeteer-core (no browser download). Each report kind is drawn from real
 * runs' data (test/data/runs, recorded by scripts/pictures-check.sh); the
 * exports are loaded into speedscope's own release build. LAB_SCREENSHOTS=DIR
 * keeps the screenshots (README's come from there).
 */
const RUNS = path.resolve(import.meta.dirname, '..', 'data', 'runs');
const SPEEDSCOPE = path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'speedscope', 'dist', 'release');
const CHROMIUM = [process.env.LAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);

tmp.setGracefulCleanup();
const work = tmp.dirSync({ prefix: 'lab-report-browser-', unsafeCleanup: true }).name;
const shots = process.env.LAB_SCREENSHOTS ? path.resolve(process.env.LAB_SCREENSHOTS) : path.join(work, 'screenshots');
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM)
    throw new Error(
      'chromium is not installed: bash scripts/install-deps.sh tests (or set LAB_CHROMIUM to a chromium binary)',
    );
  mkdirSync(shots, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // root has no user namespace sandbox to give; speedscope draws with WebGL, which swiftshader provides headless
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** A page that records everything that went wrong in it, and every request it made. */
async function openPage(url: string): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests };
}

interface Drawn {
  ready?: boolean;
  flameFrames: number;
  charts: Array<{ id: string; points: number }>;
  heatmaps: number;
  tables: number;
}

/** A committed run copied to a scratch directory, its exports and report.html written by the code under test. */
async function reportOf(kind: string): Promise<{ dir: string; file: string; bytes: number }> {
  const dir = path.join(work, kind);
  cpSync(path.join(RUNS, kind), dir, { recursive: true });
  await writeExports(dir, await readRunContents(dir));
  const r = await writeRunReport(dir);
  return { dir, file: r.file, bytes: r.bytes };
}

async function drawReport(
  file: string,
  shot: string,
): Promise<{ drawn: Drawn; problems: string[]; requests: string[]; page: Page }> {
  const { page, problems, requests } = await openPage(`file://${file}`);
  await page
    .waitForFunction(() => (window as unknown as { labReport?: Drawn }).labReport?.ready === true, { timeout: 20_000 })
    .catch(() => problems.push('the page never said it was drawn'));
  const drawn = await page.evaluate(() => (window as unknown as { labReport: Drawn }).labReport);
  const png = path.join(shots, shot);
  await page.screenshot({ path: png, fullPage: true });
  const head = readFileSync(png).subarray(0, 8);
  expect(head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(statSync(png).size).toBeGreaterThan(20_000);
  return { drawn, problems, requests, page };
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim()).length;

describe('report.html in chromium', () => {
  it(
    'a debug run (lab demo): no errors, nothing fetched, ' + 'a frame per call path of hits.folded, a point per hit',
    async () => {
      const { dir, file } = await reportOf('debug');
      const { drawn, problems, requests, page } = await drawReport(file, 'report-debug.png');
      expect(problems).toEqual([]);
      expect(requests).toEqual([`file://${file}`]);
      expect(drawn.flameFrames).toBe(foldedFrames(readFileSync(path.join(dir, 'hits.folded'), 'utf8')) + 1);
      expect(drawn.charts).toEqual([{ id: 'hits', points: lines(path.join(dir, 'hits.jsonl')) }]);
      // the hits table sorts: a first click on "seconds" puts the latest hit first, a second the earliest
      const firstSeq = () =>
        page.evaluate(() => {
          const th = [...document.querySelectorAll('table.data th')].find(
            (t) => t.textContent === 'seconds',
          ) as HTMLElement;
          th.click();
          return Number(th.closest('table')!.querySelector('tbody tr td')!.textContent);
        });
      expect(await firstSeq()).toBe(lines(path.join(dir, 'hits.jsonl')));
      expect(await firstSeq()).toBe(1);
      await page.close();
    },
  );

  it(
    'a scenario run (lab run proactive): the verdicts, a point ' +
      'per sample in every series, the free lists before and after',
    async () => {
      const { dir, file } = await reportOf('scenario');
      const { drawn, problems, page } = await drawReport(file, 'report-scenario.png');
      expect(problems).toEqual([]);
      const samples = lines(path.join(dir, 'samples.jsonl'));
      const series = drawn.charts.filter((c) => c.id === 'score' || c.id.startsWith('counter '));
      expect(series.length).toBeGreaterThanOrEqual(2);
      for (const c of series) expect(c.points).toBe(samples);
      expect(drawn.flameFrames).toBe(foldedFrames(readFileSync(path.join(dir, 'hits.folded'), 'utf8')) + 1);
      expect(drawn.heatmaps).toBeGreaterThanOrEqual(4);
      const verdicts = JSON.parse(readFileSync(path.join(dir, 'verdicts.json'), 'utf8')) as {
        verdicts: Array<{ path: string }>;
      };
      const text = await page.evaluate(() => document.body.innerText);
      for (const v of verdicts.verdicts) expect(text).toContain(`${v.path}: fired`);
      await page.close();
    },
  );

  it(
    'a trace run (lab trace --filter *compact*): the call tree ' +
      'drawn as a flame graph, opening a node shows its callees',
    async () => {
      const { file } = await reportOf('trace');
      const { drawn, problems, page } = await drawReport(file, 'report-trace.png');
      expect(problems).toEqual([]);
      const nodes = await page.evaluate(() => {
        const data = JSON.parse(document.getElementById('lab-data')!.textContent) as {
          report: { callTree: Array<{ children: unknown[] }> };
        };
        const count = (ns: Array<{ children: unknown[] }>): number =>
          ns.reduce((n, c) => n + 1 + count(c.children as Array<{ children: unknown[] }>), 0);
        return count(data.report.callTree);
      });
      expect(drawn.flameFrames).toBe(nodes + 1);
      const before = await page.evaluate(() => document.querySelectorAll('.tree details, .tree .leaf').length);
      await page.evaluate(() => document.querySelector('.tree details')?.setAttribute('open', ''));
      await page.waitForFunction((n) => document.querySelectorAll('.tree details, .tree .leaf').length > n, {}, before);
      await page.close();
    },
  );

  it('a debug run with --snapshot buddy: a heatmap per snapshot and zone, as many as snapshots.jsonl has', async () => {
    const { dir, file } = await reportOf('debug-snapshots');
    const { drawn, problems, page } = await drawReport(file, 'report-debug-snapshots.png');
    expect(problems).toEqual([]);
    const zones = readFileSync(path.join(dir, 'snapshots.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { kind: string; data: unknown[] })
      .filter((s) => s.kind === 'buddy')
      .reduce((n, s) => n + s.data.length, 0);
    expect(zones).toBeGreaterThan(0);
    expect(drawn.heatmaps).toBe(zones);
    await page.close();
  });

  // LAB_REPORT_FILES=a.html,b.html: reports a real run just wrote (scripts/pictures-check.sh passes them)
  const given = (process.env.LAB_REPORT_FILES ?? '').split(',').filter(Boolean);
  it.runIf(given.length > 0).each(given)('%s opens and draws without errors', async (file) => {
    const { drawn, problems, page } = await drawReport(
      path.resolve(file),
      `given-${path.basename(path.dirname(file))}.png`,
    );
    expect(problems).toEqual([]);
    expect(drawn.ready).toBe(true);
    await page.close();
  });

  it('compare.html: a row per figure both runs have', async () => {
    const a = await readRunFigures(path.join(RUNS, 'debug'));
    const b = await readRunFigures(path.join(RUNS, 'scenario'));
    const comparison = compareGroups([a], [b]);
    const { file } = await writeCompareReport(path.join(work, 'compare.html'), comparison);
    const { problems, page } = await openPage(`file://${file}`);
    await page.screenshot({ path: path.join(shots, 'compare.png'), fullPage: true });
    expect(problems).toEqual([]);
    const rows = await page.evaluate(() => document.querySelector('section:nth-of-type(2) tbody')!.children.length);
    expect(rows).toBe(comparison.figures.length);
    await page.close();
  });

  it("compare.html: the functions two kernels compiled differently, each side's code beside", async () => {
    const side = (id: string, stack: string) => ({
      id,
      kind: 'scenario',
      what: 'scenario manual',
      kernel: `6.6 ${id}`,
      figures: { 'wall time (s)': 1 },
      stacks: [stack],
      verdicts: {},
    });
    const path0 = 'compact_zone;isolate_freepages_block;compact_unlock_should_abort';
    const comparison = compareGroups([side('x86_64', `${path0}.isra.0`)], [side('arm64', `${path0}_[i]`)]);
    comparison.functions[0]!.copiesB = 'inlined into isolate_freepages_block';
    const { file } = await writeCompareReport(path.join(work, 'compare-functions.html'), comparison);
    const { problems, page } = await openPage(`file://${file}`);
    expect(problems).toEqual([]);
    const rows = await page.evaluate(() => {
      const section = [...document.querySelectorAll('section')].find((s) =>
        (s.textContent ?? '').startsWith('Functions the two kernels show differently'),
      );
      return [...section!.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent));
    });
    expect(rows).toEqual([
      [
        'compact_unlock_should_abort',
        'called as compact_unlock_should_abort.isra.0 (isra clone)',
        expect.any(String),
        'inlined into isolate_freepages_block',
        'inlined into isolate_freepages_block',
      ],
    ]);
    await page.close();
  });

  it.skipIf(!hasShared)('the 40,482-line fixture trace: a page under 3 MB that draws without errors', async () => {
    const dir = path.join(work, 'fixture');
    mkdirSync(dir);
    cpSync(path.join(FIXTURES, 'ftrace', 'function_graph_manual_compaction_x86.txt'), path.join(dir, 'trace.txt'));
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        id: 'fixture',
        kind: 'trace',
        command: ['lab', 'trace'],
        request: { tracer: 'function_graph' },
      }),
    );
    const r = await writeRunReport(dir);
    expect(r.bytes).toBeLessThan(3 * 1024 * 1024);
    const { problems, page } = await drawReport(r.file, 'report-fixture.png');
    expect(problems).toEqual([]);
    await page.close();
  });
  if (!hasShared) it.skip(sharedSkipReason, () => {});
});

/** speedscope's release build and a run's exports, served on 127.0.0.1 as speedscope loads profiles by URL. */
async function serve(files: Record<string, string>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split(/[?#]/)[0]!);
    const file = files[name] ?? path.join(SPEEDSCOPE, path.normalize(name === '/' ? 'index.html' : name));
    if (!files[name] && !file.startsWith(SPEEDSCOPE + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      res.writeHead(200).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

interface SpeedscopeExport {
  shared: { frames: Array<{ name: string }> };
  profiles: Array<{ type: string; name: string; endValue: number; events?: Array<{ type: 'O' | 'C'; frame: number }> }>;
}

/**
 * Loads a profile into speedscope, then saves it with speedscope's Export button: what its importer made of the file.
 */
async function importInSpeedscope(
  name: string,
  file: string,
): Promise<{ exported: SpeedscopeExport; problems: string[] }> {
  const server = await serve({ [`/profile/${name}`]: file });
  const downloads = path.join(work, `speedscope-${name}`);
  mkdirSync(downloads, { recursive: true });
  try {
    const { page, problems } = await openPage(
      `${server.url}/index.html#profileURL=${encodeURIComponent(`/profile/${name}`)}`,
    );
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('div')].some(
          (d) => d.textContent?.trim().endsWith('Export') && d.children.length <= 2,
        ),
      { timeout: 20_000 },
    );
    await page.evaluate(() => {
      const button = [...document.querySelectorAll('div')].find(
        (d) => d.textContent?.trim().endsWith('Export') && d.children.length <= 2,
      )!;
      button.click();
    });
    const deadline = Date.now() + 20_000;
    let saved: string | undefined;
    while (!saved && Date.now() < deadline) {
      saved = readdirSync(downloads).find((f) => f.endsWith('.speedscope.json'));
      if (!saved) await new Promise((r) => setTimeout(r, 100));
    }
    await page.close();
    if (!saved) throw new Error(`speedscope exported nothing for ${name}: ${problems.join('; ')}`);
    return { exported: JSON.parse(readFileSync(path.join(downloads, saved), 'utf8')) as SpeedscopeExport, problems };
  } finally {
    await server.close();
  }
}

describe('exports in speedscope', () => {
  it('trace.json (Trace Event format) passes the schema and imports with one frame opened per slice', async () => {
    const dir = path.join(work, 'speedscope-scenario');
    cpSync(path.join(RUNS, 'scenario'), dir, { recursive: true });
    await writeExports(dir, await readRunContents(dir));
    const trace = JSON.parse(readFileSync(path.join(dir, 'trace.json'), 'utf8')) as {
      traceEvents: Array<{ ph: string; name: string; pid: number; tid: number; ts: number }>;
    };
    const parsed = TraceFileSchema.safeParse(trace);
    expect(
      parsed.success ? [] : parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual([]);
    expect(unbalancedSlices(trace.traceEvents)).toEqual([]);
    const slices = trace.traceEvents.filter((e) => e.ph === 'B' || e.ph === 'X').length;
    expect(slices).toBeGreaterThan(0);
    const { exported, problems } = await importInSpeedscope('trace.json', path.join(dir, 'trace.json'));
    expect(problems).toEqual([]);
    const opened = exported.profiles.reduce((n, p) => n + (p.events ?? []).filter((e) => e.type === 'O').length, 0);
    expect(opened).toBe(slices);
  });

  it('hits.folded imports with every hit and every function of it', async () => {
    const dir = path.join(work, 'speedscope-debug');
    cpSync(path.join(RUNS, 'debug'), dir, { recursive: true });
    await writeExports(dir, await readRunContents(dir));
    const folded = readFileSync(path.join(dir, 'hits.folded'), 'utf8');
    const { exported, problems } = await importInSpeedscope('hits.folded', path.join(dir, 'hits.folded'));
    expect(problems).toEqual([]);
    expect(exported.profiles.reduce((n, p) => n + p.endValue, 0)).toBe(lines(path.join(dir, 'hits.jsonl')));
    const names = new Set(
      folded
        .trim()
        .split('\n')
        .flatMap((l) => l.slice(0, l.lastIndexOf(' ')).split(';')),
    );
    expect(new Set(exported.shared.frames.map((f) => f.name))).toEqual(names);
  });
});
