"""The scenario library's index: questions, bases and the headline table."""

from __future__ import annotations

from pathlib import Path

from sim.studies.library import entries, headline_table, question_of


def test_every_library_file_states_its_question() -> None:
    for entry in entries():
        if entry.base is not None:
            assert entry.question, f"{entry.path.name} has no '# Question:' comment"
    assert {e.path.name for e in entries()} >= {"baseline.yaml", "small-company.yaml"}


def test_question_joins_comment_lines_until_look_at(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("# Question: what if\n# we wait?\n# Look at: revenue.\nname: x\n")
    assert question_of(path) == "what if we wait?"


def test_headline_table_compares_each_file_with_its_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: base\nhorizon_days: 60\n")
    (tmp_path / "more.yaml").write_text(
        "# Question: more reps?\nextends: base.yaml\nname: more\nsales: {reps: 12}\n")
    table = headline_table(replications=2, folder=tmp_path)
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| `base.yaml` | the reference |")
    assert lines[3].startswith("| `more.yaml` (vs `base.yaml`) | more reps? |")

