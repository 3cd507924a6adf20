"""The page allocator read through gdb: zones, free lists, pageblocks.

Everything is read from the kernel's own structures in memory (no help from
the guest), so it works on a guest stopped at a breakpoint or hung. The
arithmetic (scores, summaries) is in plain functions the tests call directly.
"""
import gdb

# include/linux/pageblock-flags.h: 3 bits of migratetype, then the skip bit
PB_MIGRATE_BITS = 3
PB_SKIP_BIT = 3
NR_PAGEBLOCK_BITS = 4
# arch/x86/include/asm/sparsemem.h (x86_64), and the page size
SECTION_SIZE_BITS = 27
PAGE_SHIFT = 12
PAGES_PER_SECTION = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT)


# ---- pure arithmetic, as the kernel does it -------------------------------

def extfrag_for_order(nr_free, order):
    """mm/vmstat.c extfrag_for_order(): the share of free pages in blocks smaller than 2^order, 0..100."""
    free_pages = sum(n << o for o, n in enumerate(nr_free))
    if free_pages == 0:
        return 0
    suitable = sum(n << (o - order) for o, n in enumerate(nr_free) if o >= order)
    return (free_pages - (suitable << order)) * 100 // free_pages


def node_score(zones, order):
    """mm/compaction.c fragmentation_score_node(): each zone's score weighted by its share of the node."""
    node_present = sum(z["present"] for z in zones)
    score = 0
    for z in zones:
        if not z["populated"]:
            continue
        score += z["present"] * extfrag_for_order(z["nr_free"], order) // (node_present + 1)
    return score


def runs(values):
    """[(first index, last index, value)] for each run of equal values."""
    out = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v:
            out[-1] = (out[-1][0], i, v)
        else:
            out.append((i, i, v))
    return out


# ---- reading the kernel ---------------------------------------------------

def node0():
    for name in ("contig_page_data", "node_data[0]"):
        try:
            v = gdb.parse_and_eval(name)
            return v.dereference() if v.type.strip_typedefs().code == gdb.TYPE_CODE_PTR else v
        except gdb.error:
            continue
    raise gdb.GdbError("no pglist_data found (contig_page_data, node_data): is this a kernel's vmlinux?")


def array_len(value):
    lo, hi = value.type.strip_typedefs().range()
    return hi - lo + 1


def migratetype_names():
    names = gdb.parse_and_eval("migratetype_names")
    return [names[i].string() for i in range(array_len(names))]


def zones():
    """The populated and empty zones of node 0 as gdb values, with their names."""
    pgdat = node0()
    out = []
    for i in range(int(pgdat["nr_zones"])):
        zone = pgdat["node_zones"][i]
        out.append((zone["name"].string(), zone))
    return out


def find_zone(name):
    for zname, zone in zones():
        if name is None or zname.lower() == name.lower():
            yield zname, zone
    if name is not None and not any(z.lower() == name.lower() for z, _ in zones()):
        raise gdb.GdbError("no zone named %s (zones: %s)" % (name, ", ".join(z for z, _ in zones())))


def list_length(head, limit=10_000_000):
    """Entries of a struct list_head ring, read node by node."""
    first = int(head.address)
    node = head["next"]
    n = 0
    while int(node) != first:
        n += 1
        if n > limit:
            raise gdb.GdbError("a free list longer than %d: corrupt?" % limit)
        node = node["next"]
    return n


def free_area(zone):
    """{order: {"nr_free": n, "by_type": [count per migratetype]}} walked from the free lists."""
    area = zone["free_area"]
    out = []
    for order in range(array_len(area)):
        fa = area[order]
        lists = fa["free_list"]
        by_type = [list_length(lists[mt]) for mt in range(array_len(lists))]
        out.append({"nr_free": int(fa["nr_free"]), "by_type": by_type})
    return out


def atomic_long(v):
    return int(v["counter"])


def zone_facts(zone):
    facts = {
        "present": int(zone["present_pages"]),
        "managed": atomic_long(zone["managed_pages"]),
        "free": atomic_long(zone["vm_stat"][0]),  # NR_FREE_PAGES is item 0 of enum zone_stat_item
        "watermarks": [int(zone["_watermark"][i]) for i in range(3)],
        "watermark_boost": int(zone["watermark_boost"]),
    }
    for field in ("compact_considered", "compact_defer_shift", "compact_order_failed"):
        try:
            facts[field] = int(zone[field])
        except gdb.error:
            facts[field] = None
    return facts


def hpage_order(max_order):
    """COMPACTION_HPAGE_ORDER: the THP order (9 on x86_64) with THP, else pageblock_order."""
    try:
        gdb.parse_and_eval("transparent_hugepage_flags")
        return 9
    except gdb.error:
        return pageblock_order(max_order)


def pageblock_order(max_order):
    """HUGETLB_PAGE_ORDER (9 on x86_64) with CONFIG_HUGETLB_PAGE, else MAX_ORDER - 1."""
    try:
        gdb.parse_and_eval("hstates")
        return 9
    except gdb.error:
        return max_order - 1


def section_flags(pfn, cache):
    """The pageblock bitmap of pfn's memory section (SPARSEMEM), read once per section."""
    nr = pfn // PAGES_PER_SECTION
    if nr in cache:
        return cache[nr]
    ms_root = gdb.parse_and_eval("mem_section")
    per_root = 4096 // gdb.lookup_type("struct mem_section").sizeof
    if ms_root.type.strip_typedefs().code == gdb.TYPE_CODE_PTR:  # SPARSEMEM_EXTREME
        root = ms_root[nr // per_root]
        section = root[nr % per_root] if int(root) else None
    else:
        section = ms_root[nr // per_root][nr % per_root]
    flags = None
    if section is not None and int(section["usage"]):
        blocks = PAGES_PER_SECTION >> cache["order"]
        nbytes = (blocks * NR_PAGEBLOCK_BITS + 7) // 8
        addr = int(section["usage"]["pageblock_flags"].address)
        flags = bytes(gdb.selected_inferior().read_memory(addr, nbytes))
    cache[nr] = flags
    return flags


def pageblock_bits(flags, index):
    bit = index * NR_PAGEBLOCK_BITS
    word = int.from_bytes(flags[bit // 8: bit // 8 + 1], "little") >> (bit % 8)
    return word & ((1 << PB_MIGRATE_BITS) - 1), bool(word & (1 << PB_SKIP_BIT))
