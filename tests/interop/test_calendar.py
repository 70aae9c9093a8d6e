"""The calendar feed: valid iCalendar, only the user's own items, revocable."""

import re

from icalendar import Calendar


def _feed_url(client) -> str:
    client.post("/calendar")
    page = client.get("/calendar").text
    return re.search(r'value="http://testserver(/calendar/[^"]+\.ics)"', page).group(1)


def test_the_feed_is_valid_icalendar_with_my_follow_ups_deals_and_meetings(
    client_for, anon, seller, make_contact, make_activity, make_deal
):
    from datetime import date

    contact = make_contact("Zoé Petit")
    make_activity(seller, contact, next_step="Send the quote", next_step_due="+3d")
    make_activity(seller, contact, kind="meeting", text="Visit")
    deal = make_deal("Ovens", next_step="Call back", next_step_due=date(2026, 12, 24))
    url = _feed_url(client_for(seller))
    r = anon.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert "Send the quote — Zoé Petit" in events
    assert "Call back — Ovens" in events
    assert str(events["Call back — Ovens"]["url"]) == f"http://testserver/deals/{deal.id}"
    assert "Meeting — Zoé Petit" in events
    for event in events.values():
        assert event["uid"] and event["dtstamp"] and event["dtstart"]


def test_the_feed_never_holds_anyone_elses_items(
    client_for, anon, seller, other_seller, make_contact, make_activity
):
    contact = make_contact()
    make_activity(other_seller, contact, next_step="Their secret plan", next_step_due="+1d")
    make_activity(seller, contact, next_step="My plan", next_step_due="+1d")
    body = anon.get(_feed_url(client_for(seller))).text
    assert "My plan" in body and "Their secret plan" not in body


def test_a_new_address_turns_the_old_one_off_and_revoking_ends_the_feed(client_for, anon, seller):
    client = client_for(seller)
    old = _feed_url(client)
    new = _feed_url(client)
    assert old != new
    assert anon.get(old).status_code == 404 and anon.get(new).status_code == 200
    client.post("/calendar/revoke")
    assert anon.get(new).status_code == 404
    assert anon.get("/calendar/forged.ics").status_code == 404
