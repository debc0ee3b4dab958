"""The fraction bar the looks, spin and demo commands show: percent and stage on a terminal, silence elsewhere."""

from __future__ import annotations

from stylist.progress import fraction_bar


def test_a_fraction_bar_shows_the_percent_and_the_stage_only_when_enabled(capsys):
    with fraction_bar(True, "style") as show:
        show(0.25, "generate")
        show(0.5)
    shown = capsys.readouterr().err
    assert "style" in shown and "25%" in shown and "50%" in shown and "generate" in shown

    with fraction_bar(False, "style") as show:
        show(0.5, "generate")
    assert capsys.readouterr().err == ""
