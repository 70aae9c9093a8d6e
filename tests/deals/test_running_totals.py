"""The running totals (migration 0021) always equal what they sum, whatever writes the
deals: the board, a form, an organization's new tags, a hand-over, plain SQL. The revenue
tally against the won deals, the stage tally against every deal by stage."""

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from app.deals import service
from app.deals.models import DealMove

BOARD = {"HX-Request": "true", "HX-Target": "board"}

DIRECT = """
    SELECT {month}, deal.owner_id, deal.currency, coalesce(organization.tags, ''),
           sum(coalesce(deal.won_amount_minor, 0)), count(*)
    FROM deal LEFT JOIN organization ON organization.id = deal.organization_id
    WHERE deal.status = 'won' AND deal.won_on IS NOT NULL GROUP BY 1, 2, 3, 4
"""


def _sums(session) -> tuple[dict, dict]:
    dialect = session.get_bind().dialect.name
    month = (
        "strftime('%Y-%m', deal.won_on)"
        if dialect == "sqlite"
        else "to_char(deal.won_on, 'YYYY-MM')"
    )
    direct = {
        tuple(r[:4]): (int(r[4]), r[5]) for r in session.execute(text(DIRECT.format(month=month)))
    }
    kept = {
        tuple(r[:4]): (int(r[4]), r[5])
        for r in session.execute(
            text("SELECT month, seller_id, currency, tags, amount_minor, deals FROM revenue_tally")
        )
        if r[5] != 0 or r[4] != 0
    }
    return direct, kept


STAGED = """
    SELECT stage_id, owner_id, currency, count(*), sum(coalesce(amount_minor, 0))
    FROM deal GROUP BY 1, 2, 3
"""
STAGE_TALLY = "SELECT stage_id, seller_id, currency, deals, amount_minor FROM stage_tally"


def _stage_sums(session) -> tuple[dict, dict]:
    direct = {tuple(r[:3]): (r[3], int(r[4])) for r in session.execute(text(STAGED))}
    kept = {
        tuple(r[:3]): (r[3], int(r[4]))
        for r in session.execute(text(STAGE_TALLY))
        if r[3] != 0 or r[4] != 0
    }
    return direct, kept


def test_winning_on_the_board_and_retagging_the_customer_move_the_revenue(
    client_for, seller, make_org, make_deal, stage_by_key, session
):
    org = make_org("Boulangerie Dupont", tags="bakery")
    deal = make_deal("Ovens", organization_id=org.id)
    client = client_for(seller)
    r = client.post(
        f"/deals/{deal.id}/move",
        data={
            "stage_id": str(stage_by_key("won").id),
            "version": str(deal.version),
            "scope": "mine",
            "amount": "2,500",
            "currency": "EUR",
            "expected_close_on": "2026-11-30",
        },
        headers=BOARD,
    )
    assert r.status_code == 200
    direct, kept = _sums(session)
    assert kept == direct and [k[3] for k in kept] == ["bakery"]
    assert list(kept.values()) == [(250000, 1)]
    r = client.post(f"/organizations/{org.id}", data={"name": org.name, "tags": "bakery, vip"})
    assert r.status_code == 303
    direct, kept = _sums(session)
    assert kept == direct and [k[3] for k in kept] == ["bakery, vip"]


def test_the_tally_equals_the_won_deals_after_any_mix_of_writes(
    seller, other_seller, make_org, make_deal, stage_by_key, session
):
    rng = random.Random(14)
    won, lead = stage_by_key("won"), stage_by_key("lead")
    qualified = stage_by_key("qualified")
    orgs = [make_org(f"Org {i}", tags=rng.choice(["", "vip", "bakery"])) for i in range(4)]
    deals = [
        make_deal(f"Deal {i}", organization_id=rng.choice(orgs).id, owner=seller) for i in range(12)
    ]
    users = {seller.id: seller, other_seller.id: other_seller}

    def deal_owner(deal):
        return users[deal.owner_id]

    for step in range(80):
        deal = rng.choice(deals)
        session.refresh(deal)
        action = rng.randrange(6)
        if action == 0 and deal.status != "won":
            day = date(2026, rng.randint(1, 11), rng.randint(1, 28))
            move = DealMove(
                stage_id=won.id, amount=Decimal(rng.randint(1, 9000)), expected_close_on=day
            )
            service.move_deal(session, deal_owner(deal), deal, move)
        elif action == 1:
            stage = rng.choice([lead, qualified])
            service.move_deal(session, deal_owner(deal), deal, DealMove(stage_id=stage.id))
        elif action == 2:  # a new amount or month, written by any path
            session.execute(
                text(
                    "UPDATE deal SET won_amount_minor = :a, amount_minor = :a, won_on = :d "
                    "WHERE id = :i"
                ),
                {"a": rng.randint(0, 10**9), "d": date(2026, rng.randint(1, 12), 1), "i": deal.id},
            )
        elif action == 3:  # hand-over to a colleague
            owner = rng.choice([seller, other_seller])
            session.execute(
                text("UPDATE deal SET owner_id = :o WHERE id = :i"), {"o": owner.id, "i": deal.id}
            )
        elif action == 4:  # the customer is retagged, or the deal moves to another customer
            org = rng.choice(orgs)
            session.execute(
                text("UPDATE organization SET tags = :t WHERE id = :i"),
                {"t": rng.choice(["", "vip", "bakery", "vip, bakery"]), "i": org.id},
            )
            session.execute(
                text("UPDATE deal SET organization_id = :o WHERE id = :i"),
                {"o": org.id, "i": deal.id},
            )
        elif action == 5 and step % 10 == 5:
            session.execute(text("DELETE FROM deal_contact WHERE deal_id = :i"), {"i": deal.id})
            session.execute(text("DELETE FROM deal WHERE id = :i"), {"i": deal.id})
            deals.remove(deal)
            if not deals:
                break
        session.commit()
        direct, kept = _sums(session)
        assert kept == direct, (step, action)
        staged, kept = _stage_sums(session)
        assert kept == staged, (step, action)
    assert direct and len(staged) > 2  # revenue and several stages were counted on the way
