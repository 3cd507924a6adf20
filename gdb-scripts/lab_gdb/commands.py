"""lab-buddy, lab-pageblocks, lab-zone: the allocator at a breakpoint, in gdb.

Each prints text as /proc would, or JSON with --json (what lab debug
--snapshot records).
"""
import json
import os
import time

import gdb

from . import mm


def parse_args(arg):
    words = gdb.string_to_argv(arg)
    as_json = "--json" in words
    words = [w for w in words if w != "--json"]
    return (words[0] if words else None), as_json


def buddy(zone_name=None):
    """Free blocks per zone, order and migratetype, walked from the free lists and checked against nr_free."""
    names = mm.migratetype_names()
    out = []
    for zname, zone in mm.find_zone(zone_name):
        area = mm.free_area(zone)
        mismatches = [
            {"order": o, "nr_free": a["nr_free"], "listed": sum(a["by_type"])}
            for o, a in enumerate(area)
            if a["nr_free"] != sum(a["by_type"])
        ]
        out.append({
            "zone": zname,
            "nr_free": [a["nr_free"] for a in area],
            "by_type": {names[mt]: [a["by_type"][mt] for a in area] for mt in range(len(names))},
            "mismatches": mismatches,
        })
    return out


def zone_report(zone_name=None):
    pgdat_zones = mm.zones()
    max_order = mm.array_len(pgdat_zones[0][1]["free_area"])
    order = mm.hpage_order(max_order)
    rows = []
    for zname, zone in pgdat_zones:
        facts = mm.zone_facts(zone)
        nr_free = [int(zone["free_area"][o]["nr_free"]) for o in range(max_order)]
        facts.update(
            zone=zname, populated=facts["managed"] > 0, nr_free=nr_free, score=mm.extfrag_for_order(nr_free, order)
        )
        rows.append(facts)
    node = mm.node_score(rows, order)
    chosen = [r for r in rows if zone_name is None or r["zone"].lower() == zone_name.lower()]
    if not chosen:
        raise gdb.GdbError("no zone named %s" % zone_name)
    return {"order": order, "node_score": node, "zones": chosen}


def pageblocks(zone_name):
    zone = next(mm.find_zone(zone_name))[1]
    max_order = mm.array_len(zone["free_area"])
    order = mm.pageblock_order(max_order)
    names = mm.migratetype_names()
    start = int(zone["zone_start_pfn"])
    end = start + int(zone["spanned_pages"])
    cache = {"order": order}
    blocks = []
    for pfn in range(start - start % (1 << order), end, 1 << order):
        flags = mm.section_flags(pfn, cache)
        if flags is None:
            blocks.append(("absent", False))
            continue
        index = (pfn % mm.PAGES_PER_SECTION) >> order
        mt, skip = mm.pageblock_bits(flags, index)
        blocks.append((names[mt] if mt < len(names) else "type%d" % mt, skip))
    first = start - start % (1 << order)
    summary = [
        {"first_pfn": first + (a << order), "last_pfn": first + ((b + 1) << order) - 1, "type": t, "blocks": b - a + 1}
        for a, b, t in mm.runs([t for t, _ in blocks])
    ]
    result = {
        "zone": zone_name,
        "pageblock_order": order,
        "blocks": len(blocks),
        "by_type": {t: sum(1 for x, _ in blocks if x == t) for t in sorted({t for t, _ in blocks})},
        "skip": sum(1 for _, s in blocks if s),
        "runs": summary,
    }
    scanners = compaction_scanners()
    if scanners:
        result["scanners"] = scanners
    return result


def compaction_scanners():
    """The migrate and free scanners of a compact_control in the selected frame, if one is in scope."""
    try:
        cc = gdb.parse_and_eval("cc")
    except gdb.error:
        return None
    try:
        return {"migrate_pfn": int(cc["migrate_pfn"]), "free_pfn": int(cc["free_pfn"]), "order": int(cc["order"])}
    except gdb.error:
        return None


def print_buddy(rows):
    for r in rows:
        print("Node 0, zone %8s %s" % (r["zone"], " ".join("%6d" % n for n in r["nr_free"])))
    for r in rows:
        for t, counts in r["by_type"].items():
            print("Node 0, zone %8s, type %12s %s" % (r["zone"], t, " ".join("%6d" % n for n in counts)))
        for m in r["mismatches"]:
            print("zone %s order %d: nr_free %d, but the lists hold %d"
                  % (r["zone"], m["order"], m["nr_free"], m["listed"]))
        if not r["mismatches"]:
            print("zone %s: every order's nr_free equals its lists" % r["zone"])


def print_zone(rep):
    print("fragmentation score (order %d, as kcompactd computes it): node %d" % (rep["order"], rep["node_score"]))
    for z in rep["zones"]:
        wm = z["watermarks"]
        print("zone %s: free %d, min %d low %d high %d (boost %d), present %d, managed %d, score %d" % (
            z["zone"], z["free"], wm[0], wm[1], wm[2], z["watermark_boost"], z["present"], z["managed"], z["score"]))
        print("  compact_considered %s, compact_defer_shift %s, compact_order_failed %s" % (
            z["compact_considered"], z["compact_defer_shift"], z["compact_order_failed"]))


def print_pageblocks(rep):
    by_type = ", ".join("%s %d" % kv for kv in rep["by_type"].items())
    print("zone %s: %d pageblocks of order %d; %s; %d with the skip bit" % (
        rep["zone"], rep["blocks"], rep["pageblock_order"], by_type, rep["skip"]))
    for r in rep["runs"]:
        print("  pfn 0x%x-0x%x  %-12s x%d" % (r["first_pfn"], r["last_pfn"], r["type"], r["blocks"]))
    s = rep.get("scanners")
    if s:
        print("compaction (order %d): migrate scanner at pfn 0x%x, free scanner at pfn 0x%x%s" % (
            s["order"], s["migrate_pfn"], s["free_pfn"], " (met)" if s["migrate_pfn"] >= s["free_pfn"] else ""))


class LabCommand(gdb.Command):
    """One of lab's allocator commands: ZONE and --json parsed, a report made, printed as text or JSON."""

    def __init__(self, name, report, render, needs_zone=False):
        super().__init__(name, gdb.COMMAND_DATA)
        self.command_name, self.report, self.render, self.needs_zone = name, report, render, needs_zone

    def invoke(self, arg, from_tty):
        zone, as_json = parse_args(arg)
        if zone is None and self.needs_zone:
            raise gdb.GdbError("%s needs a zone: %s DMA32" % (self.command_name, self.command_name))
        rep = self.report(zone)
        print(json.dumps(rep)) if as_json else self.render(rep)


def utsname():
    """The running kernel's utsname (init_uts_ns), as makedumpfile copies it into a core's header."""
    name = gdb.parse_and_eval("init_uts_ns")["name"]
    fields = ("sysname", "nodename", "release", "version", "machine", "domainname")
    return {f: name[f].string() for f in fields}


class HoldCommand(gdb.Command):
    """lab-hold RELEASE SECONDS [LOCATION [CONDITION]]: lab dump's moment.

    Stops at LOCATION's first hit (CONDITION true), or holds the guest where
    attaching stopped it; prints "LAB-HELD" and, as JSON on the same line,
    lab-buddy's free lists and the kernel's utsname in that moment; then
    keeps the guest stopped until RELEASE exists.
    """

    def __init__(self):
        super().__init__("lab-hold", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if len(words) not in (2, 3, 4):
            raise gdb.GdbError("lab-hold RELEASE SECONDS [LOCATION [CONDITION]]")
        release, deadline = words[0], time.monotonic() + float(words[1])
        if len(words) > 2:
            gdb.execute("set breakpoint pending off")
            bp = gdb.Breakpoint(words[2])
            if len(words) > 3:
                bp.condition = words[3]
            try:
                gdb.execute("continue")
            finally:
                bp.delete()
        gdb.write("LAB-HELD %s\n" % json.dumps({"buddy": buddy(), "utsname": utsname()}))
        gdb.flush()
        while not os.path.exists(release):
            if time.monotonic() > deadline:
                raise gdb.GdbError("lab-hold: %s did not appear within %s s" % (release, words[1]))
            time.sleep(0.05)


def register():
    # lab-buddy [ZONE] [--json]: free blocks per zone, order and migratetype, walked from the free lists
    LabCommand("lab-buddy", buddy, print_buddy)
    # lab-zone [ZONE] [--json]: watermarks, free pages, compaction deferral, the fragmentation score
    LabCommand("lab-zone", zone_report, print_zone)
    # lab-pageblocks ZONE [--json]: pageblock types and skip bits as runs;
    # the scanners when a compact_control is in scope
    LabCommand("lab-pageblocks", pageblocks, print_pageblocks, needs_zone=True)
    # lab-hold RELEASE SECONDS [LOCATION [CONDITION]]: the guest held while lab writes its memory out
    HoldCommand()
