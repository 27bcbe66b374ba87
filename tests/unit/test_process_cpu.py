"""The bench's CPU-per-process reading: labels, and a child's CPU counted under its parent's tree."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from jointaid.process_cpu import difference, label, tree_cpu


def test_labels_name_services_by_their_run_argument_and_others_by_program():
    assert label(("/v/bin/python3.11", "-m", "jointaid.cli", "run", "disbursement")) == "disbursement"
    assert label(("/v/bin/python3.11", "-m", "jointaid.cli", "up", "--data-dir", "d")) == "supervisor"
    assert label(("postgres: postgres postgres [local] idle",)) == "postgres"
    assert label(("/w/tansu-v0.6.0-510f3e2", "broker")) == "tansu"


def test_a_childs_cpu_is_counted_in_the_tree():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ninput()"
    before = tree_cpu(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while sum(tree_cpu(child.pid).values()) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)  # until the child has burnt its 0.3 s (it then waits on stdin, still alive)
        used = difference(tree_cpu(os.getpid()), before)
        assert sum(used.values()) >= 0.3
    finally:
        child.communicate(b"\n", timeout=10)
