"""How ``pos`` is started and asked about itself: -h, --version, shell completion, the
console script and ``python -m pos``; and that a command's database is closed when the
command ends, however it ends."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

import pos.cli.common
from pos.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_h_is_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["-h"], prog_name="pos", catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("Usage: pos [OPTIONS] [COMMAND] [ARGS]...")
    assert "-h, --help" in result.output
    assert result.output == runner.invoke(cli, ["--help"], prog_name="pos").output


@pytest.mark.parametrize(
    ("words", "usage"),
    [
        (["products", "import"], "Usage: pos products import [OPTIONS] FILE"),
        (["audit", "verify"], "Usage: pos audit verify [OPTIONS]"),
        (["basket"], "Usage: pos basket [OPTIONS] [ITEMS]..."),
    ],
)
def test_h_reaches_the_subcommands(runner: CliRunner, words: list[str], usage: str) -> None:
    result = runner.invoke(cli, [*words, "-h"], prog_name="pos", catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(usage)


def test_version_is_the_installed_distributions(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"], prog_name="pos", catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == f"pos, version {version('pos-till')}\n"


def complete(runner: CliRunner, line: str) -> list[str]:
    """What bash completion offers after ``line`` (a word is completed at its end), as
    ``_POS_COMPLETE=bash_source pos`` asks for it: click's ``type,value`` lines."""
    words = line.split(" ")
    result = runner.invoke(
        cli,
        [],
        prog_name="pos",
        env={
            "_POS_COMPLETE": "bash_complete",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    return result.output.split()


def test_subcommand_names_complete(runner: CliRunner) -> None:
    assert complete(runner, "pos op") == ["plain,operators"]
    assert complete(runner, "pos operators s") == ["plain,set-pin"]
    offered = complete(runner, "pos ")
    assert {"plain,init", "plain,products", "plain,report", "plain,demo-data"} <= set(offered)


def test_the_database_is_closed_when_the_command_ends(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``open_db`` hands the database to click (``Context.with_resource``): it is closed
    after the command, whether it succeeded or failed with a message."""
    db = tmp_path / "till.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(db), "--demo"]).exit_code == 0
    opened = []
    real = pos.cli.common.open_database

    def recording(path: Path):
        database = real(path)
        opened.append(database)
        return database

    monkeypatch.setattr(pos.cli.common, "open_database", recording)
    ok = runner.invoke(cli, ["basket", "--db", str(db), "0036000291452"])
    assert ok.exit_code == 0, ok.output
    failed = runner.invoke(cli, ["basket", "--db", str(db), "no-such-item"])
    assert failed.exit_code == 1
    assert failed.output.startswith("Error: ")
    assert len(opened) == 2
    assert all(database.is_closed() for database in opened)


@pytest.mark.slow
@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "pos"], [str(Path(sys.executable).parent / "pos")]],
    ids=["python -m pos", "console script"],
)
def test_both_ways_of_starting_pos(command: list[str]) -> None:
    result = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pos, version {version('pos-till')}\n"
    result = subprocess.run([*command, "-h"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: pos [OPTIONS] [COMMAND] [ARGS]...")
