"""One progress shape for every stage, and the bars a command shows: on a terminal only, per stage or in percent."""

from __future__ import annotations

from stylist.progress import Progress, progress_bars


def test_progress_says_its_share_and_a_message_for_the_job():
    assert Progress("training", 40, 200, loss=0.5).share == 0.2
    assert Progress("training", 40, 200).message == "training: 40 of 200"
    assert Progress("crawl", 12, None, unit="page").share is None
    assert Progress("crawl", 12, None, unit="page").message == "crawl: 12 pages"
    weighted = Progress("generate", 1, 4, fraction=0.6)
    assert weighted.share == 0.6 and weighted.message == "generate: 1 of 4"
    assert Progress("rank", 0, None, fraction=0.97).message == "rank"


def test_a_weighted_run_shows_one_percent_bar_with_its_stage(capsys):
    with progress_bars(True, "style") as show:
        show(Progress("retrieve", 0, None, fraction=0.25))
        show(Progress("generate", 2, 4, fraction=0.5))
    shown = capsys.readouterr().err
    assert "style" in shown and "25%" in shown and "50%" in shown and "generate" in shown


def test_stages_show_a_bar_each_in_their_units_with_loss_and_details(capsys):
    with progress_bars(True, "shop") as show:
        show(Progress("crawl", 3, 10, unit="page", details={"products": 7}))
        show(Progress("training", 5, 20, loss=0.1234, rate=2.0))
    shown = capsys.readouterr().err
    assert "shop: crawl" in shown and "3/10" in shown and "products=7" in shown
    assert "shop: training" in shown and "5/20" in shown and "loss=0.1234" in shown


def test_nothing_is_drawn_when_bars_are_off(capsys):
    with progress_bars(False, "style") as show:
        show(Progress("generate", 1, 2, fraction=0.5))
        show(Progress("crawl", 3, None, unit="page"))
    assert capsys.readouterr().err == ""
