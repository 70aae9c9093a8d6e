"""Moves made from the board by script: the answer is the board itself (the deal in its new
column, counts and totals updated, a sentence for the live region), the dialog's form for
exactly the missing facts, or the board as it now is when someone else moved first."""

import re

from sqlmodel import select

from app.deals.models import Deal
from app.documents.models import Document

BOARD = {"HX-Request": "true", "HX-Target": "board"}
PDF = ("quote.pdf", b"%PDF-1.4 first quote", "application/pdf")


def _move(client, deal, stage, version=None, files=None, **fields):
    data = {
        "stage_id": str(stage.id),
        "version": str(deal.version if version is None else version),
        "scope": "mine",
        **fields,
    }
    return client.post(f"/deals/{deal.id}/move", data=data, files=files, headers=BOARD)


def _column_of(board: str, deal: Deal) -> int:
    """The stage id of the column that holds the deal's card in a board fragment."""
    for column in board.split('<section class="board-column"')[1:]:
        if f'data-deal-id="{deal.id}"' in column:
            return int(re.search(r'data-stage-id="(\d+)"', column).group(1))
    raise AssertionError("the deal is not on the board")


def _count(board: str, stage) -> int:
    return int(re.search(rf'id="stage-{stage.id}">[^<]*<span class="count">(\d+)<', board)[1])


def test_a_board_move_answers_with_the_board_showing_the_deal_in_its_new_column(
    client_for, seller, make_deal, stage_by_key, session
):
    from decimal import Decimal

    deal = make_deal("Pétrin", amount=Decimal("1200"))
    make_deal("Stays")
    meeting, lead = stage_by_key("meeting"), stage_by_key("lead")
    r = _move(client_for(seller), deal, meeting)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div class="board" id="board"')
    assert "<html" not in r.text  # the board alone, not a page
    assert _column_of(r.text, deal) == meeting.id
    assert (_count(r.text, meeting), _count(r.text, lead)) == (1, 1)
    meeting_column = r.text.split(f'id="stage-{meeting.id}"')[1].split("</section>")[0]
    assert "€1,200.00" in meeting_column.split('class="totals"')[1].split("</p>")[0]
    assert 'data-status="Moved “Pétrin” to Meeting."' in r.text
    session.refresh(deal)
    assert deal.stage_id == meeting.id


def test_a_board_move_keeps_the_team_scope_it_was_made_from(
    client_for, seller, other_seller, make_deal, stage_by_key
):
    deal = make_deal("Mine")
    make_deal("Theirs", owner=other_seller)
    r = _move(client_for(seller), deal, stage_by_key("qualified"), scope="team")
    assert r.status_code == 200 and "Theirs" in r.text and 'data-scope="team"' in r.text


def test_a_guarded_board_move_answers_with_the_dialog_form_for_exactly_the_missing_facts(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    r = _move(client_for(seller), deal, stage_by_key("won"))
    assert r.status_code == 422
    assert "<html" not in r.text and "data-board-move" in r.text
    assert 'name="amount"' in r.text and 'name="expected_close_on"' in r.text
    assert 'name="quote"' not in r.text and 'name="lost_reason"' not in r.text
    assert "data-close-dialog" in r.text  # Cancel closes the dialog, it does not leave
    assert f'name="stage_id" value="{stage_by_key("won").id}"' in r.text
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("lead").id


def test_the_dialog_form_completes_the_guarded_move_and_answers_with_the_board(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal("Four")
    won = stage_by_key("won")
    r = _move(
        client_for(seller),
        deal,
        won,
        amount="2,500",
        currency="EUR",
        expected_close_on="2026-12-31",
    )
    assert r.status_code == 200, r.text
    assert _column_of(r.text, deal) == won.id
    assert 'data-status="Moved “Four” to Won."' in r.text
    session.refresh(deal)
    assert (deal.stage_id, deal.amount_minor, deal.status) == (won.id, 250000, "won")


def test_a_wrong_amount_in_the_dialog_comes_back_in_the_dialog_with_its_message(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    won = stage_by_key("won")
    r = _move(client_for(seller), deal, won, amount="lots", expected_close_on="2026-12-31")
    assert r.status_code == 400
    assert "data-board-move" in r.text and 'aria-invalid="true"' in r.text
    assert 'value="lots"' in r.text and 'value="2026-12-31"' in r.text  # the input is kept
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("lead").id and deal.amount_minor is None


def test_lost_asks_the_board_only_for_a_reason_and_quote_sent_for_a_file_it_then_keeps(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    client = client_for(seller)
    lost = _move(client, deal, stage_by_key("lost"))
    assert lost.status_code == 422 and 'name="lost_reason"' in lost.text
    assert 'name="amount"' not in lost.text
    quote_sent = stage_by_key("quote_sent")
    asked = _move(client, deal, quote_sent)
    assert asked.status_code == 422 and 'name="quote" type="file"' in asked.text
    done = _move(client, deal, quote_sent, files={"quote": PDF})
    assert done.status_code == 200 and _column_of(done.text, deal) == quote_sent.id
    assert session.exec(select(Document).where(Document.deal_id == deal.id)).one()


def test_a_board_move_to_a_stage_that_does_not_exist_is_told_in_the_dialog(
    client_for, seller, make_deal, stage_by_key, session
):
    deal = make_deal()
    r = client_for(seller).post(
        f"/deals/{deal.id}/move",
        data={"stage_id": "999999", "version": str(deal.version), "scope": "mine"},
        headers=BOARD,
    )
    assert r.status_code == 400 and "This stage does not exist." in r.text
    assert "<html" not in r.text


def test_the_second_of_two_boards_moving_the_same_deal_is_told_and_overwrites_nothing(
    client_for, seller, other_seller, make_deal, stage_by_key, session
):
    deal = make_deal("Contested")
    seen = deal.version
    meeting, qualified = stage_by_key("meeting"), stage_by_key("qualified")
    first = _move(client_for(seller), deal, meeting, version=seen)
    second = _move(client_for(other_seller), deal, qualified, version=seen, scope="team")
    assert first.status_code == 200
    assert second.status_code == 409
    assert "<html" not in second.text  # told in place, not a whole error page
    assert "Someone else changed “Contested” meanwhile: nothing was saved." in second.text
    assert "data-status-problem" in second.text
    assert _column_of(second.text, deal) == meeting.id  # the board shows where it now is
    session.refresh(deal)
    assert deal.stage_id == meeting.id


def test_without_script_a_board_move_still_posts_and_comes_back_to_the_board(
    client_for, seller, make_deal, stage_by_key
):
    deal = make_deal()
    r = client_for(seller).post(
        f"/deals/{deal.id}/move",
        data={
            "stage_id": str(stage_by_key("qualified").id),
            "version": str(deal.version),
            "scope": "team",
            "next": "/deals/board?scope=team",
        },
    )
    assert (r.status_code, r.headers["location"]) == (303, "/deals/board?scope=team")


def test_every_card_has_a_move_to_list_of_the_other_stages(
    client_for, seller, make_deal, stage_by_key
):
    deal = make_deal()
    page = client_for(seller).get("/deals/board").text
    assert 'class="board-page wide-page"' in page
    assert '<dialog id="move-dialog"' in page and 'id="board-status"' in page
    select_ = page.split(f'id="move-to-{deal.id}"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="(\d+)"', select_)
    lead = stage_by_key("lead").id
    assert str(lead) not in offered and str(stage_by_key("won").id) in offered
    assert len(offered) == 6  # the default pipeline's seven stages, less the current one
