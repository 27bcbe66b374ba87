"""The command line: help that helps, and a bad policy file stops start-up naming the field."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jointaid.cli import parser


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jointaid.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


@pytest.mark.parametrize("args", [["--help"], ["up", "--help"], ["run", "--help"]])
def test_help_explains_each_command(args):
    result = run_cli(*args)
    assert result.returncode == 0
    assert "usage: jointaid" in result.stdout


def test_up_defaults_follow_the_contract():
    args = parser().parse_args(["up"])
    assert (args.data_dir, args.port, args.demo) == (".jointaid", 8000, False)


def test_unknown_service_is_refused():
    result = run_cli("run", "treasury")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_bad_policy_file_stops_start_up_naming_the_field(tmp_path):
    good = (os.path.dirname(__file__) + "/../../policies/default.toml")
    text = open(good).read().replace("mla = 7000", "mla = 10001")
    assert text != open(good).read(), "the default policy changed shape: update this test"
    bad = tmp_path / "region.toml"
    bad.write_text(text)
    result = run_cli("run", "civil_affairs", env={"JOINTAID_POLICY": str(bad), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                                                  "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 2
    assert "medical_assistance" in result.stderr and "mla" in result.stderr
