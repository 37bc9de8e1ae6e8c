"""The scenario library ships as package data and is found without the repository's layout."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sim.scenario import library
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario

REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_packaged_library_is_the_repositorys_scenarios_folder() -> None:
    names = library.packaged_scenarios()
    assert names == sorted(p.stem for p in REPO_SCENARIOS.glob("*.yaml"))
    assert "baseline" in names and len(names) > 20
    with library.packaged_folder() as folder:
        for name in names:
            assert (folder / f"{name}.yaml").read_bytes() == (
                REPO_SCENARIOS / f"{name}.yaml").read_bytes()


def test_the_default_scenario_is_the_shipped_baseline() -> None:
    assert library.DEFAULT_SCENARIO == "baseline"
    assert library.default_scenario() == load_scenario(REPO_SCENARIOS / "baseline.yaml")
    assert library.default_scenario(["sales.reps=3"]).sales.reps == 3


def test_a_packaged_scenario_loads_with_its_base() -> None:
    # small-company-integrated extends small-company: the siblings travel together.
    with library.packaged_path("small-company-integrated.yaml") as path:
        assert path.name == "small-company-integrated.yaml"
        assert "extends" in path.read_text(encoding="utf-8")
    loaded = library.load_packaged("small-company-integrated", {"seed": 5})
    assert loaded == load_scenario(REPO_SCENARIOS / "small-company-integrated.yaml", {"seed": 5})


def test_an_unknown_name_lists_the_choices() -> None:
    with pytest.raises(ScenarioError) as exc:
        library.load_packaged("basline")
    message = str(exc.value)
    assert message.startswith("unknown packaged scenario 'basline'; choose one of: ")
    assert message.endswith("did you mean 'baseline'?")
    assert "alignment-aligned" in message and "\n" not in message


def test_a_library_inside_a_zip_archive_is_copied_to_a_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "sim.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("baseline.yaml", "small-company.yaml", "small-company-integrated.yaml"):
            zf.write(REPO_SCENARIOS / name, f"data/{name}")
    with zipfile.ZipFile(archive) as zf:
        monkeypatch.setattr(library, "_folder", lambda: zipfile.Path(zf, "data/"))
        assert library.packaged_scenarios() == [
            "baseline", "small-company", "small-company-integrated"]
        with library.packaged_path("small-company-integrated") as path:
            assert path.is_file() and not path.is_relative_to(tmp_path)
            assert load_scenario(path) == load_scenario(
                REPO_SCENARIOS / "small-company-integrated.yaml")
        assert not path.exists()  # the copy is gone after the block
