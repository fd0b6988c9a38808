"""The fault test's short form (bench/faults.py runs the long one): random commands at
once over a loopback web, a real SMTP server and a fake Wayback Machine, random ones
killed with SIGKILL; then nothing sent twice, orphaned, lost or broken."""

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from faults import run_faults  # noqa: E402


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds orphaned processes in Linux's /proc")
def test_random_commands_killed_at_random_moments_break_no_promise(tmp_path):
    seed = random.randrange(1 << 30)
    findings = run_faults(seconds=15, sources=60, seed=seed, directory=tmp_path)
    report = "\n".join(findings.lines())
    assert findings.ok, f"python bench/faults.py --seconds 15 --sources 60 --seed {seed}\n{report}"
    assert findings.kills and findings.commands > findings.kills, report  # it did kill, and ran the rest
    assert findings.events and findings.messages, report  # and there was something to alert
