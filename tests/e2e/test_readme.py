"""The README's commands and Python snippets run as written.

Every fenced ``sh`` block's commands and every ``python`` block run here, in a
scratch folder that sees the repository's ``scenarios/`` (so relative paths in
the README work and nothing is written into the repository). A block can be
marked by an HTML comment on the line before it:

- ``<!-- skip-test: REASON -->``: not run (a synopsis with placeholders, say);
  the reason must be given;
- ``<!-- test-with: OPTIONS -->``: each ``run.py`` command of the block runs with
  OPTIONS appended (later options win), so a command that takes minutes runs
  in seconds with the same flags otherwise.

Some commands are never run from a test, each for the reason in
:data:`NOT_RUN`; any other command must be ``python``: a new kind of command
fails here until it is marked.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
TIMEOUT = 600

# Commands that a test does not run, by how they start, and why.
NOT_RUN: tuple[tuple[str, str], ...] = (
    ("make", "make targets install the environment or run the whole test suite"),
    ("python run.py workshop", "starts a web server that runs until Ctrl-C "
                               "(tests/e2e/test_workshop_e2e.py drives it)"),
    ("python -m pytest", "the test suite would run itself from inside a test"),
    ("python -m sim.studies.", "regenerates the library and calibration tables (minutes; "
                               "tests/validation checks the figures they print)"),
    ("hostname", "a system command, shown for people"),
)


@dataclass(frozen=True)
class Block:
    """A fenced block of the README and the marker before it."""

    line: int
    language: str
    text: str
    skip: str | None = None
    extra: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"README.md:{self.line}:{self.language}"


def blocks(text: str) -> list[Block]:
    """The fenced ``sh`` and ``python`` blocks, with their markers."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w+)?\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        language = fence.group(1) or ""
        marker = lines[i - 1].strip() if i else ""
        skip = re.fullmatch(r"<!-- skip-test: (.+?) -->", marker)
        extra = re.fullmatch(r"<!-- test-with: (.+?) -->", marker)
        if language in ("sh", "python"):
            out.append(Block(i + 1, language, "\n".join(lines[i + 1:end]),
                             skip.group(1) if skip else None,
                             tuple(shlex.split(extra.group(1))) if extra else ()))
        i = end + 1
    return out


def commands(block: Block) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments dropped."""
    joined = re.sub(r"\s*\\\n\s*", " ", block.text)
    out = []
    for line in joined.splitlines():
        command = line.split(" #", 1)[0].strip()
        if command and not command.startswith("#"):
            out.append(re.sub(r"^\.venv/bin/python\b", "python", command))
    return out


def not_run(command: str) -> str | None:
    """Why a command is not run, or ``None``."""
    return next((why for start, why in NOT_RUN if command.startswith(start)), None)


def argv(command: str, extra: tuple[str, ...]) -> list[str]:
    """The command as an argument list for this interpreter."""
    words = shlex.split(command)
    if words[0] != "python":
        raise AssertionError(f"{command!r}: not a python command; mark its block with "
                             "<!-- skip-test: REASON --> or list it in NOT_RUN")
    words[0] = sys.executable
    if len(words) > 1 and words[1] == "run.py":
        words[1] = str(REPO / "run.py")
        words += list(extra)
    return words


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    return tmp_path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


README_BLOCKS = blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_blocks_and_links_inside_the_repository() -> None:
    assert any(b.language == "python" for b in README_BLOCKS)
    assert any(b.extra for b in README_BLOCKS)  # the flagship optimize, reduced
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)]+)\)|`(\.\./[^`]+)`", text):
        path = next(t for t in target if t)
        assert not path.startswith(".."), f"a link outside the repository: {path}"
        if not path.startswith(("http", "#")):
            assert (REPO / path.split("#")[0]).exists(), path
    for block in README_BLOCKS:
        if block.skip is not None:
            assert block.skip.strip(), f"{block.name}: skip-test needs a reason"


def runnable(block: Block) -> list[str]:
    """The commands of a shell block that this test runs."""
    if block.skip is not None:
        return []
    return [c for c in commands(block) if not not_run(c)]


SHELL = [b for b in README_BLOCKS if b.language == "sh" and runnable(b)]
PYTHON = [b for b in README_BLOCKS if b.language == "python" and b.skip is None]


def test_what_is_kept_out_is_kept_out_for_a_reason() -> None:
    kept_out = {b.name: b.skip for b in README_BLOCKS if b.skip is not None}
    kept_out |= {f"{b.name}: {c}": not_run(c) for b in README_BLOCKS if b.language == "sh"
                 and b.skip is None for c in commands(b) if not_run(c)}
    assert all(kept_out.values()), kept_out
    assert SHELL and PYTHON  # and the rest is run, below


@pytest.mark.parametrize("block", SHELL, ids=lambda b: b.name)
def test_shell_commands_run(block: Block, scratch: Path) -> None:
    for command in runnable(block):
        result = run(argv(command, block.extra), scratch)
        assert result.returncode == 0, f"{command}\n{result.stderr[-3000:]}"
        assert "Traceback" not in result.stderr, command


@pytest.mark.parametrize("block", PYTHON, ids=lambda b: b.name)
def test_python_snippets_run(block: Block, scratch: Path) -> None:
    result = run([sys.executable, "-c", block.text], scratch)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_parser_reads_markers_and_continuations() -> None:
    text = ("<!-- test-with: --replications 2 -->\n```sh\npython run.py optimize f.yaml \\\n"
            "    --objective revenue   # a comment\nmake run\n```\n"
            "<!-- skip-test: placeholders -->\n```sh\npython run.py run FILE\n```\n")
    first, second = blocks(text)
    assert first.extra == ("--replications", "2") and second.skip == "placeholders"
    assert commands(first) == ["python run.py optimize f.yaml --objective revenue", "make run"]
    assert not_run("make run") and not not_run("python run.py validate x.yaml")
    assert argv(commands(first)[0], first.extra)[-2:] == ["--replications", "2"]
    with pytest.raises(AssertionError, match="not a python command"):
        argv("curl http://example.org", ())
