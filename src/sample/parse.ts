/**
 * Parsers for the kernel's memory files (pure). Split on whitespace, never on
 * column positions: the number of orders and zones varies by kernel and box.
 */

/** /proc/vmstat: "name value" lines. */
export function parseVmstat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined && /^-?\d+$/.test(value)) out[name] = Number(value);
  }
  return out;
}

/**
 * The /proc/vmstat counters compaction experiments watch: a scenario's
 * evidence (vmstatDelta) and trace.json's counter tracks. Compaction's own
 * (compact_*, kcompactd's are compact_daemon_*), the migration it drives
 * (pgmigrate_*), the huge-page allocations that ask for it (thp_*), the
 * reclaim that runs beside it (kswapd's, allocstall) and the free pages.
 */
export function isCompactionCounter(name: string): boolean {
  return /^(compact_|thp_|pgmigrate_|pgsteal_kswapd|pgscan_kswapd|kswapd_|allocstall|nr_free_pages$)/.test(name);
}

export function vmstatDelta(
  before: Record<string, number>,
  after: Record<string, number>,
  keep = isCompactionCounter,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) if (keep(name)) out[name] = after[name]! - (before[name] ?? 0);
  return out;
}

export interface ZoneFree {
  node: number;
  zone: string;
  /** free blocks per order, order 0 first */
  free: number[];
}

/** /proc/buddyinfo: "Node 0, zone   DMA32   n0 n1 ... nMAX". */
export function parseBuddyinfo(text: string): ZoneFree[] {
  const out: ZoneFree[] = [];
  for (const line of text.split('\n')) {
    const m = /^Node\s+(\d+),\s+zone\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) out.push({ node: Number(m[1]), zone: m[2]!, free: m[3]!.trim().split(/\s+/).map(Number) });
  }
  return out;
}

export interface ZoneIndex {
  node: number;
  zone: string;
  /** one value per order */
  values: number[];
}

/** /sys/kernel/debug/extfrag/{unusable_index,extfrag_index}: "Node 0, zone DMA32 0.000 0.012 ...". */
export function parseExtfragIndex(text: string): ZoneIndex[] {
  return parseBuddyinfo(text).map((z) => ({ node: z.node, zone: z.zone, values: z.free }));
}

export interface PagetypeFree {
  node: number;
  zone: string;
  type: string;
  /** free blocks per order; a count shown as ">100000" is capped there */
  free: number[];
}

export interface PagetypeInfo {
  pageblockOrder?: number;
  free: PagetypeFree[];
  /** pageblocks per migrate type, per zone */
  blocks: Array<{ node: number; zone: string; counts: Record<string, number> }>;
}

/** /proc/pagetypeinfo: the free lists by migrate type, then the pageblock counts. */
export function parsePagetypeinfo(text: string): PagetypeInfo {
  const info: PagetypeInfo = { free: [], blocks: [] };
  let blockTypes: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const order = /^Page block order:\s+(\d+)/.exec(line);
    if (order) info.pageblockOrder = Number(order[1]);
    const free = /^Node\s+(\d+),\s+zone\s+(\S+),\s+type\s+(\S+)\s+(.*)$/.exec(line);
    if (free) {
      info.free.push({
        node: Number(free[1]),
        zone: free[2]!,
        type: free[3]!,
        free: free[4]!
          .trim()
          .split(/\s+/)
          .map((v) => Number(v.replace('>', ''))),
      });
      continue;
    }
    const header = /^Number of blocks type\s+(.*)$/.exec(line);
    if (header) {
      blockTypes = header[1]!.trim().split(/\s+/);
      continue;
    }
    const blocks = /^Node\s+(\d+),\s+zone\s+(\S+)\s+([\d\s]+)$/.exec(line);
    if (blocks && blockTypes.length) {
      const counts: Record<string, number> = {};
      blocks[3]!
        .trim()
        .split(/\s+/)
        .forEach((v, i) => {
          if (blockTypes[i]) counts[blockTypes[i]] = Number(v);
        });
      info.blocks.push({ node: Number(blocks[1]), zone: blocks[2]!, counts });
    }
  }
  return info;
}

/** Free pages in a zone, and how many of them sit in blocks of at least `order`. */
export function freePages(zone: ZoneFree, order = 0): number {
  return zone.free.reduce((sum, n, o) => (o >= order ? sum + n * 2 ** o : sum), 0);
}

/**
 * The zone's fragmentation score as the kernel computes it
 * (mm/compaction.c: fragmentation_score_zone → extfrag_for_order at
 * COMPACTION_HPAGE_ORDER): the share of free pages not in blocks of order 9
 * or more, in percent.
 */
export function zoneFragmentationScore(zone: ZoneFree, order = 9): number {
  const total = freePages(zone);
  if (total === 0) return 0;
  return Math.floor((100 * (total - freePages(zone, order))) / total);
}

/**
 * The node's score: Σ over zones of ⌊zone present pages × zone score /
 * (node present pages + 1)⌋, each term rounded down on its own as
 * fragmentation_score_zone_weighted does.
 */
export function nodeFragmentationScore(zones: Array<ZoneFree & { present: number }>, order = 9): number {
  const nodePresent = zones.reduce((s, z) => s + z.present, 0);
  return zones.reduce((s, z) => s + Math.floor((z.present * zoneFragmentationScore(z, order)) / (nodePresent + 1)), 0);
}

/** "present" pages per zone from /proc/zoneinfo. */
export function parseZoneinfoPresent(text: string): Array<{ node: number; zone: string; present: number }> {
  const out: Array<{ node: number; zone: string; present: number }> = [];
  let current: { node: number; zone: string } | undefined;
  for (const raw of text.split('\n')) {
    const head = /^Node\s+(\d+),\s+zone\s+(\S+)/.exec(raw.trim());
    if (head) {
      current = { node: Number(head[1]), zone: head[2]! };
      continue;
    }
    const present = /^\s+present\s+(\d+)/.exec(raw);
    if (present && current) {
      out.push({ ...current, present: Number(present[1]) });
      current = undefined;
    }
  }
  return out;
}
