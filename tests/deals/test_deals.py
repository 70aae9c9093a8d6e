"""Deals: money, guardrails on stage moves, conflicts, stages, history (service level)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from app.audit.trail import history
from app.core.errors import FormErrors
from app.deals import queries, service
from app.deals import stages as stage_list
from app.deals.models import Deal, DealMove, DealUpdate, Stage
from app.documents import service as documents
from tests.factories import upload


def test_a_new_deal_starts_in_the_first_open_stage_owned_by_its_creator(
    make_deal, seller, stage_by_key
):
    deal = make_deal(amount=Decimal("1200.50"), currency="eur")
    assert deal.stage_id == stage_by_key("lead").id
    assert deal.owner_id == seller.id
    assert (deal.amount_minor, deal.currency, deal.status) == (120050, "EUR", "open")


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("12.345", "EUR", "EUR amounts have at most 2 decimals."),
        ("100.5", "JPY", "JPY amounts have no decimals."),
        ("10", "XYZ", "Unknown currency"),
        ("-5", "EUR", "cannot be negative"),
    ],
)
def test_an_amount_that_does_not_fit_its_currency_is_refused(
    make_deal, session, amount, currency, message
):
    with pytest.raises(FormErrors) as caught:
        make_deal(amount=Decimal(amount), currency=currency)
    text = " ".join(
        m % m.params if m.params else m for ms in caught.value.fields.values() for m in ms
    )
    assert message in text
    assert session.exec(select(Deal)).first() is None


def test_a_move_into_quote_sent_without_a_quote_names_exactly_what_is_missing(
    make_deal, session, seller, stage_by_key
):
    deal = make_deal()
    with pytest.raises(service.MissingFacts) as caught:
        service.move_deal(session, seller, deal, DealMove(stage_id=stage_by_key("quote_sent").id))
    assert caught.value.missing == ["quote"]
    session.refresh(deal)
    assert deal.stage_id == stage_by_key("lead").id


def test_uploading_the_quote_with_the_move_completes_it(
    make_deal, session, seller, stage_by_key, store
):
    deal = make_deal()
    moved = service.move_deal(
        session,
        seller,
        deal,
        DealMove(stage_id=stage_by_key("quote_sent").id, version=deal.version),
        store=store,
        quote=upload(),
    )
    assert moved.stage_id == stage_by_key("quote_sent").id
    docs = documents.documents_of(session, seller, deal_id=deal.id)
    assert [(d.document.kind, d.filename) for d in docs] == [("quote", "quote.pdf")]
    fields = [e.field for e in history(session, "deal", deal.id).items]
    assert "stage" in fields and "document:quote" in fields


def test_won_needs_amount_and_close_date_and_records_the_win(
    make_deal, session, seller, stage_by_key
):
    deal = make_deal()
    won = stage_by_key("won")
    with pytest.raises(service.MissingFacts) as caught:
        service.move_deal(session, seller, deal, DealMove(stage_id=won.id))
    assert caught.value.missing == ["amount", "close_date"]
    session.refresh(deal)
    service.move_deal(
        session,
        seller,
        deal,
        DealMove(stage_id=won.id, amount=Decimal("5000"), expected_close_on=date(2026, 12, 1)),
    )
    assert (deal.status, deal.won_amount_minor) == ("won", 500000)
    assert deal.won_on is not None


def test_lost_needs_a_reason(make_deal, session, seller, stage_by_key):
    deal = make_deal()
    lost = stage_by_key("lost")
    with pytest.raises(service.MissingFacts):
        service.move_deal(session, seller, deal, DealMove(stage_id=lost.id))
    session.refresh(deal)
    service.move_deal(session, seller, deal, DealMove(stage_id=lost.id, lost_reason="Too dear"))
    assert (deal.status, deal.lost_reason) == ("lost", "Too dear")


def test_a_move_based_on_an_old_version_is_a_conflict_not_a_silent_undo(
    make_deal, session, seller, other_seller, stage_by_key
):
    deal = make_deal()
    read_version = deal.version
    service.move_deal(
        session,
        other_seller,
        deal,
        DealMove(stage_id=stage_by_key("meeting").id, version=read_version),
    )
    with pytest.raises(service.Conflict):
        service.move_deal(
            session,
            seller,
            deal,
            DealMove(stage_id=stage_by_key("qualified").id, version=read_version),
        )
    assert session.get(Deal, deal.id).stage_id == stage_by_key("meeting").id


def test_every_change_to_a_deal_is_in_its_history(make_deal, session, seller):
    deal = make_deal()
    service.update_deal(
        session, seller, deal, DealUpdate(amount=Decimal("99.90"), title="Ovens x2")
    )
    entries = {
        e.field: (e.old_value, e.new_value, e.actor_name)
        for e in history(session, "deal", deal.id).items
    }
    assert entries["amount"] == ("", "99.90 EUR", seller.name)
    assert entries["title"] == ("Bread ovens", "Ovens x2", seller.name)


def test_a_stage_holding_deals_is_removed_only_with_somewhere_to_move_them(
    make_deal, session, admin, stage_by_key
):
    deal = make_deal()
    lead, qualified = stage_by_key("lead"), stage_by_key("qualified")
    with pytest.raises(FormErrors) as caught:
        stage_list.remove_stage(session, admin, lead, None)
    assert "move_to" in caught.value.fields
    stage_list.remove_stage(session, admin, lead, qualified.id)
    session.refresh(deal)
    assert deal.stage_id == qualified.id
    assert session.get(Stage, lead.id) is None
    assert [e.field for e in history(session, "deal", deal.id).items][0] == "stage"


def test_a_pipeline_has_at_most_eight_stages(session, admin):
    stage_list.create_stage(session, admin, "Pilot", "open", [])
    with pytest.raises(FormErrors):
        stage_list.create_stage(session, admin, "Ninth", "open", [])


def test_renaming_a_default_stage_keeps_its_deals(make_deal, session, admin, stage_by_key):
    deal = make_deal()
    lead = stage_by_key("lead")
    stage_list.update_stage(session, admin, lead, "Prospect", "open", ["contact"])
    session.refresh(deal)
    assert deal.stage_id == lead.id and lead.name == "Prospect" and lead.facts == ["contact"]


def test_the_board_totals_each_currency_apart(make_deal, session, seller, other_seller):
    make_deal(amount=Decimal("100"), currency="EUR")
    make_deal(amount=Decimal("50.25"), currency="EUR")
    make_deal(amount=Decimal("70"), currency="USD")
    make_deal(owner=other_seller, amount=Decimal("1000"), currency="EUR")
    mine = queries.board(session, seller, "mine")[0]
    assert mine.count == 3 and sorted(mine.totals) == [("EUR", 15025), ("USD", 7000)]
    team = queries.board(session, seller, "team")[0]
    assert team.count == 4 and ("EUR", 115025) in team.totals


def test_today_lists_my_deals_without_a_next_step_and_overdue_ones(
    make_deal, session, seller, other_seller
):
    bare = make_deal("No plan")
    late = make_deal("Late", next_step="Call", next_step_due=date(2020, 1, 1))
    make_deal("Someone else's", owner=other_seller)
    today = queries.deals_today(session, seller, quote_wait_days=7)
    assert [d.id for d in today.no_next_step] == [bare.id]
    assert [d.id for d in today.overdue] == [late.id]
