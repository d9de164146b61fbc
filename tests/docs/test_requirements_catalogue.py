"""Every promise of the requirements catalogue is accounted for (#17): a test cites it, or
docs/declined.toml says why not, and docs/requirements.md is the generated table."""

from __future__ import annotations

from tools import requirements_doc as catalogue_doc


def test_every_requirement_has_a_test_or_a_reason() -> None:
    catalogue = catalogue_doc.load()
    assert len(catalogue.requirements) == 221
    assert catalogue.problems() == []


def test_the_generated_table_is_up_to_date() -> None:
    expected = catalogue_doc.render(catalogue_doc.load())
    assert catalogue_doc.OUTPUT.read_text(encoding="utf-8") == expected, (
        "docs/requirements.md is out of date: python -m tools.requirements_doc --write"
    )


def test_an_id_in_a_name_a_list_or_a_range_counts() -> None:
    pattern = catalogue_doc._id_pattern({"RGT", "PRX"})
    assert catalogue_doc._cited("test_rgt_11_cancel PRX-1/2 RGT-18..20", pattern) == {
        "RGT-11",
        "PRX-1",
        "PRX-2",
        "RGT-18",
        "RGT-19",
        "RGT-20",
    }


def test_an_open_requirement_a_test_now_cites_must_leave_the_declined_list() -> None:
    catalogue = catalogue_doc.load()
    met = next(iter(catalogue.tests))
    catalogue.declined[met] = ("open", "not built")
    assert any(problem.startswith(f"{met}:") for problem in catalogue.problems())


def test_the_copy_of_the_catalogue_is_the_shared_one_where_it_is_present() -> None:
    if catalogue_doc.SHARED.exists():
        assert catalogue_doc.SHARED.read_bytes() == catalogue_doc.CATALOGUE.read_bytes()
