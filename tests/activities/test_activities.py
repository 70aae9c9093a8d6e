from datetime import date, timedelta

from sqlmodel import select

from app.activities.models import Activity, FollowUp


def test_quick_entry_logs_a_call_and_its_next_step_in_one_request(
    client_for, seller, make_contact, session
):
    contact = make_contact("Hélène Durand")
    client = client_for(seller)
    r = client.post(
        "/activities",
        data={
            "contact_query": "hel",
            "kind": "call",
            "text": "Talked about the oven",
            "next_step": "Send the quote",
            "next_step_due": "+3d",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "activity-logged" in r.headers["HX-Trigger"]
    activity = session.exec(select(Activity)).one()
    assert (activity.contact_id, activity.author_id, activity.visibility) == (
        contact.id,
        seller.id,
        "team",
    )
    follow_up = session.exec(select(FollowUp)).one()
    assert follow_up.what == "Send the quote"
    assert follow_up.owner_id == seller.id
    assert date.today() + timedelta(days=2) <= follow_up.due_on <= date.today() + timedelta(days=4)
    today = client.get("/today").text
    assert "Send the quote" in today and "Talked about the oven" in today


def test_without_javascript_quick_entry_posts_and_redirects(client_for, seller, make_contact):
    contact = make_contact("Marc Petit")
    client = client_for(seller)
    r = client.post("/activities", data={"contact_id": contact.id, "text": "Left a message"})
    assert r.status_code == 303 and r.headers["location"] == f"/contacts/{contact.id}"
    assert "Left a message" in client.get(f"/contacts/{contact.id}").text


def test_ambiguous_letters_ask_which_contact(client_for, seller, make_contact, session):
    make_contact("Anne Martin")
    make_contact("Anne Moreau")
    r = client_for(seller).post("/activities", data={"contact_query": "anne", "text": "Hi"})
    assert r.status_code == 422
    assert "Several contacts match" in r.text
    assert "Anne Martin" in r.text and "Anne Moreau" in r.text
    assert 'value="Hi"' in r.text or ">Hi</textarea>" in r.text
    assert session.exec(select(Activity)).first() is None


def test_a_bad_due_date_is_explained_and_nothing_is_saved(
    client_for, seller, make_contact, session
):
    contact = make_contact()
    r = client_for(seller).post(
        "/activities",
        data={"contact_id": contact.id, "next_step": "Call", "next_step_due": "someday"},
    )
    assert r.status_code == 422
    assert "Write a date like +3d" in r.text
    assert 'value="someday"' in r.text
    assert session.exec(select(Activity)).first() is None


def test_a_private_activity_is_hidden_from_colleagues_and_admins(
    client_for, seller, other_seller, admin, make_contact, make_activity
):
    contact = make_contact()
    private = make_activity(seller, contact, text="Personal remark", visibility="private")
    make_activity(seller, contact, text="Team call")
    for viewer in (other_seller, admin):
        client = client_for(viewer)
        page = client.get(f"/contacts/{contact.id}").text
        assert "Team call" in page and "Personal remark" not in page
        assert client.get(f"/activities/{private.id}").status_code == 404
        assert client.get(f"/api/v1/activities/{private.id}").status_code == 404
        api_list = client.get("/api/v1/activities", params={"contact_id": contact.id}).json()
        assert [a["text"] for a in api_list["items"]] == ["Team call"]
    mine = client_for(seller).get(f"/contacts/{contact.id}").text
    assert "Personal remark" in mine


def test_the_follow_up_of_a_private_activity_is_private_too(
    client_for, seller, other_seller, make_contact, make_activity
):
    contact = make_contact()
    make_activity(
        seller, contact, visibility="private", next_step="Secret plan", next_step_due="+1d"
    )
    assert "Secret plan" not in client_for(other_seller).get(f"/contacts/{contact.id}").text
    assert "Secret plan" in client_for(seller).get(f"/contacts/{contact.id}").text


def test_today_shows_only_my_follow_ups(
    client_for, seller, other_seller, make_contact, make_activity
):
    contact = make_contact()
    make_activity(seller, contact, next_step="My step", next_step_due="today")
    make_activity(other_seller, contact, next_step="Their step", next_step_due="today")
    today = client_for(seller).get("/today").text
    assert "My step" in today and "Their step" not in today


def test_today_sorts_overdue_today_and_next_days(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    for what, due in (("Late", "-2"), ("Now", "today"), ("Soon", "+5d"), ("Later", "+20d")):
        activity = make_activity(seller, contact, next_step=what, next_step_due="today")
        follow_up = session.exec(select(FollowUp).where(FollowUp.activity_id == activity.id)).one()
        if due == "-2":
            follow_up.due_on -= timedelta(days=2)
        elif due == "+5d":
            follow_up.due_on += timedelta(days=5)
        elif due == "+20d":
            follow_up.due_on += timedelta(days=20)
        session.add(follow_up)
    session.commit()
    page = client_for(seller).get("/today").text
    overdue = page.split('id="h-overdue"')[1].split("</section>")[0]
    due_today = page.split('id="h-today"')[1].split("</section>")[0]
    soon = page.split('id="h-soon"')[1].split("</section>")[0]
    assert "Late" in overdue and "Now" in due_today and "Soon" in soon
    assert "<strong>Later</strong>" not in page


def test_a_follow_up_is_marked_done_and_rescheduled_in_place(
    client_for, seller, make_contact, make_activity, session
):
    contact = make_contact()
    activity = make_activity(seller, contact, next_step="Call back", next_step_due="today")
    follow_up = session.exec(select(FollowUp).where(FollowUp.activity_id == activity.id)).one()
    client = client_for(seller)
    htmx = {"HX-Request": "true"}
    r = client.post(f"/follow-ups/{follow_up.id}/reschedule", data={"due": "+2d"}, headers=htmx)
    assert r.status_code == 200 and f'id="follow-up-{follow_up.id}"' in r.text
    session.refresh(follow_up)
    assert follow_up.due_on > date.today()
    bad = client.post(f"/follow-ups/{follow_up.id}/reschedule", data={"due": "??"}, headers=htmx)
    assert bad.status_code == 422 and "Write a date like" in bad.text
    r = client.post(f"/follow-ups/{follow_up.id}/done", headers=htmx)
    assert r.status_code == 200 and "Undo" in r.text
    session.refresh(follow_up)
    assert follow_up.done_at is not None
    assert "Call back" not in client.get("/today").text.split("My recent activities")[0]


def test_someone_elses_follow_up_cannot_be_touched(
    client_for, seller, other_seller, make_contact, make_activity, session
):
    activity = make_activity(seller, make_contact(), next_step="Mine", next_step_due="today")
    follow_up = session.exec(select(FollowUp).where(FollowUp.activity_id == activity.id)).one()
    r = client_for(other_seller).post(f"/follow-ups/{follow_up.id}/done")
    assert r.status_code == 404
    session.refresh(follow_up)
    assert follow_up.done_at is None


def test_only_the_author_edits_an_activity(
    client_for, seller, other_seller, make_contact, make_activity
):
    activity = make_activity(seller, make_contact(), text="Original")
    r = client_for(other_seller).post(f"/activities/{activity.id}", data={"text": "Changed"})
    assert r.status_code == 403
    r = client_for(seller).post(
        f"/activities/{activity.id}",
        data={"kind": "meeting", "text": "Changed", "visibility": "team"},
    )
    assert r.status_code == 303


def test_my_activities_lists_only_mine(
    client_for, seller, other_seller, make_contact, make_activity
):
    contact = make_contact()
    make_activity(seller, contact, text="Mine")
    make_activity(other_seller, contact, text="Not mine")
    page = client_for(seller).get("/activities").text
    assert "Mine" in page and "Not mine" not in page


def test_a_long_history_opens_on_the_latest_and_older_pages_bring_the_rest_once(
    client_for, seller, make_contact, make_activity
):
    import re
    from datetime import UTC, datetime

    contact = make_contact()
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    for n in range(75):
        # Pairs share a moment: the cursor must tell them apart by id.
        make_activity(
            seller, contact, text=f"Call {n:02}", occurred_at=start + timedelta(hours=n // 2)
        )
    client = client_for(seller)
    page = client.get(f"/contacts/{contact.id}").text
    shown = re.findall(r"Call (\d\d)", page)
    assert shown == [f"{n:02}" for n in range(74, 54, -1)]  # the latest 20, newest first
    more = re.search(r'href="(/contacts/\d+/timeline\?cursor=[^"]+)"', page).group(1)
    while more:
        fragment = client.get(more.replace("&amp;", "&"), headers={"HX-Request": "true"}).text
        shown += re.findall(r"Call (\d\d)", fragment)
        found = re.search(r'href="(/contacts/\d+/timeline\?cursor=[^"]+)"', fragment)
        more = found and found.group(1)
    assert shown == [f"{n:02}" for n in range(74, -1, -1)]


def test_a_forged_timeline_cursor_never_breaks_the_page(
    client_for, seller, make_contact, make_activity
):
    import base64
    import json

    contact = make_contact()
    make_activity(seller, contact, text="Only call")
    client = client_for(seller)

    def cursor(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    forged = [
        json.dumps(["2026-01-19T18:00:00+00:00", 2**31]),  # past PostgreSQL's integer ids
        json.dumps(["2026-01-19T18:00:00+00:00", 2**63 - 1]),
        "[" * 1000 + "]" * 1000,  # nested past Python's recursion limit
    ]
    for raw in forged:
        r = client.get(f"/contacts/{contact.id}/timeline", params={"cursor": cursor(raw)})
        assert r.status_code == 200, raw[:40]
