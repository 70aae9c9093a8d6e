"""A seller leaves: customers, deals and open follow-ups go to colleagues; nothing is lost."""

from sqlmodel import select

from app.activities.models import FollowUp
from app.audit.trail import history
from app.customers.models import Contact, ContactCreate, Organization, OrganizationCreate
from app.customers.service import create_contact, create_organization
from app.deals.models import Deal


def test_an_admin_hands_a_departing_sellers_customers_to_two_colleagues(
    client_for, session, seller, admin, make_user, make_activity, make_deal
):
    alice = make_user("alice@example.test", is_seller=True)
    bob = make_user("bob@example.test", is_seller=True)
    orgs = [
        create_organization(session, seller, OrganizationCreate(name=f"Org {i}")) for i in range(4)
    ]
    people = [
        create_contact(
            session, seller, ContactCreate(name=f"Person {i}", organization_id=orgs[i].id)
        )
        for i in range(4)
    ]
    loner = create_contact(session, seller, ContactCreate(name="No org"))
    deals = [make_deal(f"Deal {i}", organization_id=orgs[i].id) for i in range(4)]
    make_activity(seller, people[0], next_step="Team step", next_step_due="+2d")
    make_activity(
        seller, people[1], visibility="private", next_step="Private step", next_step_due="+2d"
    )

    client = client_for(admin)
    preview_url = f"/admin/handover?departing={seller.id}&colleagues={alice.id}&colleagues={bob.id}"
    refused = client.get(preview_url)
    assert refused.status_code == 400 and "Mark this account as leaving" in refused.text
    assert "handover-preview" not in refused.text  # no one's counts behind their back
    marked = client.post(
        f"/admin/users/{seller.id}",
        data={"is_seller": "on", "is_active": "on", "is_leaving": "on"},
    )
    assert marked.status_code == 303
    assert "marked your account as leaving" in client_for(seller).get("/account").text
    preview = client.get(preview_url)
    assert preview.status_code == 200
    table = preview.text.split('id="handover-preview"')[1]
    assert "Alice" in table and "Bob" in table and "Private step" not in table
    r = client.post(
        "/admin/handover",
        data={"departing": str(seller.id), "colleagues": [str(alice.id), str(bob.id)]},
    )
    assert r.status_code == 303
    session.expire_all()
    for org, person, deal in zip(orgs, people, deals, strict=True):
        owner = session.get(Organization, org.id).owner_id
        assert owner in (alice.id, bob.id)
        # A customer stays in one pair of hands: its people and deals go with it.
        assert session.get(Contact, person.id).owner_id == owner
        assert session.get(Deal, deal.id).owner_id == owner
    assert {session.get(Organization, o.id).owner_id for o in orgs} == {alice.id, bob.id}
    assert session.get(Contact, loner.id).owner_id in (alice.id, bob.id)
    steps = {f.what: f.owner_id for f in session.exec(select(FollowUp))}
    assert steps["Team step"] == session.get(Contact, people[0].id).owner_id
    assert steps["Private step"] == seller.id  # stays with its author, unseen
    session.refresh(seller)
    assert seller.is_active is False
    entries = history(session, "deal", deals[0].id).items
    assert entries[0].field == "owner" and entries[0].old_value == "Seller"


def test_a_hand_over_needs_a_colleague(client_for, admin, seller):
    r = client_for(admin).post("/admin/handover", data={"departing": str(seller.id)})
    assert r.status_code == 400 and "at least one active colleague" in r.text


def test_a_seller_cannot_hand_over_anyone(client_for, seller, other_seller):
    r = client_for(seller).post(
        "/admin/handover", data={"departing": str(other_seller.id), "colleagues": str(seller.id)}
    )
    assert r.status_code == 403
