"""No silent overwrite of a deal: every write checks the version the writer saw."""

import re

from app.deals.models import Deal


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_an_edit_from_a_page_opened_before_a_quick_entry_next_step_is_refused(
    client_for, seller, session, make_deal, make_contact
):
    contact = make_contact()
    deal = make_deal(contact_id=contact.id)
    client = client_for(seller)
    stale = client.get(f"/deals/{deal.id}/edit").text
    r = client.post(
        "/activities",
        data={
            "kind": "call",
            "contact_id": str(contact.id),
            "deal_id": str(deal.id),
            "text": "Called",
            "next_step": "Send the contract",
            "next_step_due": "+2d",
        },
    )
    assert r.status_code == 303
    r = client.post(
        f"/deals/{deal.id}",
        data={"title": "Ovens", "version": _version(stale), "next_step": "Old idea"},
    )
    assert r.status_code == 409, r.text[:300]
    session.expire_all()
    assert session.get(Deal, deal.id).next_step == "Send the contract"


def test_a_stale_api_write_gets_409_with_what_changed_and_the_current_version(
    api_for, client_for, seller, session, make_deal
):
    deal = make_deal()
    api = api_for(seller)
    seen = api.get(f"/api/v1/deals/{deal.id}").json()["version"]
    assert (
        api.patch(
            f"/api/v1/deals/{deal.id}",
            json={"version": seen, "next_step": "Call", "next_step_due": "2030-01-02"},
        ).status_code
        == 200
    )
    r = api.patch(f"/api/v1/deals/{deal.id}", json={"version": seen, "next_step": "Mine"})
    assert r.status_code == 409
    assert r.json()["changed"] == {"next_step": "Call"} and r.json()["version"] == seen + 1
    session.expire_all()
    assert session.get(Deal, deal.id).next_step == "Call"


def test_a_stale_page_is_told_what_was_saved_meanwhile(client_for, seller, make_deal):
    deal = make_deal()
    client = client_for(seller)
    stale = _version(client.get(f"/deals/{deal.id}/edit").text)
    fresh = {"title": "New ovens", "version": stale}
    assert client.post(f"/deals/{deal.id}", data=fresh).status_code == 303
    r = client.post(
        f"/deals/{deal.id}",
        data={"title": "Mine", "version": stale},
        headers={"Referer": f"http://testserver/deals/{deal.id}/edit"},
    )
    assert r.status_code == 409
    assert "New ovens" in r.text and f'href="/deals/{deal.id}/edit"' in r.text
