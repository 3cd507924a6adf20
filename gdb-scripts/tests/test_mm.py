"""The allocator arithmetic, checked against the kernel's own formulas and /proc figures."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import stub_gdb  # noqa: E402

sys.modules["gdb"] = stub_gdb
from lab_gdb import mm  # noqa: E402


class MmTest(unittest.TestCase):
    def test_extfrag_is_the_share_of_free_pages_in_blocks_too_small(self):
        # 8 free order-0 pages and one free order-3 block: half the free pages are in blocks under order 3
        self.assertEqual(mm.extfrag_for_order([8, 0, 0, 1], 3), 50)
        self.assertEqual(mm.extfrag_for_order([0] * 11, 9), 0)
        self.assertEqual(mm.extfrag_for_order([0] * 10 + [4], 9), 0)
        self.assertEqual(mm.extfrag_for_order([100] + [0] * 10, 9), 100)

    def test_the_node_score_weighs_each_zone_by_its_size(self):
        zones = [
            {"present": 3998, "populated": True, "nr_free": [100] + [0] * 10},   # DMA: all fragmented
            {"present": 520000, "populated": True, "nr_free": [0] * 10 + [400]},  # DMA32: all in order-10 blocks
            {"present": 0, "populated": False, "nr_free": [0] * 11},
        ]
        self.assertEqual(mm.node_score(zones, 9), 3998 * 100 // (523998 + 1))

    def test_runs_of_pageblock_types(self):
        self.assertEqual(
            mm.runs(["Movable", "Movable", "Unmovable", "Movable"]),
            [(0, 1, "Movable"), (2, 2, "Unmovable"), (3, 3, "Movable")],
        )

    def test_pageblock_bits_are_four_per_block_little_endian(self):
        # block 0: Movable (1), block 1: Reclaimable (2) with the skip bit (8)
        flags = bytes([0x01 | (0x0A << 4)])
        self.assertEqual(mm.pageblock_bits(flags, 0), (1, False))
        self.assertEqual(mm.pageblock_bits(flags, 1), (2, True))


class CommandsTest(unittest.TestCase):
    def test_the_commands_register_and_a_missing_zone_is_one_error(self):
        from lab_gdb import commands
        commands.register()
        labs = sorted(n for n in stub_gdb.commands if n.startswith("lab-"))
        self.assertEqual(labs, ["lab-buddy", "lab-hold", "lab-pageblocks", "lab-zone"])
        with self.assertRaises(stub_gdb.GdbError) as err:
            stub_gdb.commands["lab-pageblocks"].invoke("--json", False)
        self.assertEqual(str(err.exception), "lab-pageblocks needs a zone: lab-pageblocks DMA32")


if __name__ == "__main__":
    unittest.main()
