"""lab-buddy for drgn: free blocks per zone, order and migratetype, walked
from the free lists of a core (lab drgn --buddy), as lab-buddy --json prints
them in gdb, so the two can be compared line for line.

    drgn -s vmlinux -c vmcore.kdump lab_buddy.py
"""
import json

from drgn.helpers.linux.list import list_for_each

# a free list longer than this is a corrupt core, not memory
LIMIT = 1 << 24


def count(head):
    n = 0
    for _ in list_for_each(head.address_of_()):
        n += 1
        if n > LIMIT:
            raise ValueError("a free list longer than %d: corrupt?" % LIMIT)
    return n


def pgdats(prog):
    try:
        return [prog["contig_page_data"].address_of_()]
    except KeyError:
        from drgn.helpers.linux.mm import for_each_online_pgdat

        return list(for_each_online_pgdat(prog))


def buddy(prog):
    names = [prog["migratetype_names"][i].string_().decode() for i in range(len(prog["migratetype_names"]))]
    out = []
    for pgdat in pgdats(prog):
        for z in range(int(pgdat.nr_zones)):
            zone = pgdat.node_zones[z]
            area = zone.free_area
            by_type = {name: [] for name in names}
            nr_free = []
            for order in range(len(area)):
                nr_free.append(int(area[order].nr_free))
                for mt, name in enumerate(names):
                    by_type[name].append(count(area[order].free_list[mt]))
            out.append({"zone": zone.name.string_().decode(), "nr_free": nr_free, "by_type": by_type})
    return out


print(json.dumps(buddy(prog)))  # noqa: F821 (drgn defines prog)
