"""Survey links: signed, single-use, expiring; the customer's language; answers on records."""

import re
from datetime import timedelta

from sqlmodel import select

from app.core.schema import utcnow
from app.satisfaction.models import SurveyLink, SurveyResponse


def _link_url(page: str) -> str:
    return re.search(r'value="http://testserver(/s/[^"]+)"', page).group(1)


def test_a_customer_answers_a_survey_the_seller_sent_and_the_seller_sees_it(
    client_for, anon, seller, make_contact, session
):
    contact = make_contact("Zoé Petit", language="fr")
    client = client_for(seller)
    r = client.post(f"/contacts/{contact.id}/surveys", data={"kind": "csat"})
    assert r.status_code == 303
    url = _link_url(client.get(f"/contacts/{contact.id}").text)
    page = anon.get(url)
    assert page.status_code == 200
    assert "Êtes-vous satisfait" in page.text and 'lang="fr"' in page.text
    r = anon.post(url, data={"score": "4", "comment": "Très bien"})
    assert r.status_code == 200 and "Merci" in r.text
    response = session.exec(select(SurveyResponse)).one()
    assert (response.score, response.seller_id, response.comment) == (4, seller.id, "Très bien")
    contact_page = client.get(f"/contacts/{contact.id}").text
    assert "4/5" in contact_page and "Très bien" in contact_page


def test_a_survey_link_works_once(anon, seller, make_contact, session, settings):
    from app.satisfaction.service import create_link, token_of

    link = create_link(session, seller, make_contact(), "nps")
    url = f"/s/{token_of(settings.secret_key, link)}"
    assert anon.post(url, data={"score": "9"}).status_code == 200
    again = anon.post(url, data={"score": "0"})
    assert again.status_code == 200 and "already answered" in again.text
    assert [r.score for r in session.exec(select(SurveyResponse))] == [9]


def test_a_tampered_or_unknown_link_gets_a_clear_page(
    anon, seller, make_contact, session, settings
):
    from app.satisfaction.service import create_link, token_of

    token = token_of(settings.secret_key, create_link(session, seller, make_contact()))
    # Two other letters at the end (a signature that happened to end in "xx" stayed valid).
    tampered = token[:-2] + ("yy" if token.endswith("xx") else "xx")
    for bad in (tampered, "nonsense", "a" * 400, "%00", token.replace(".", "..")):
        r = anon.get(f"/s/{bad}")
        assert r.status_code == 404 and "not valid" in r.text, bad
        assert anon.post(f"/s/{bad}", data={"score": "5"}).status_code == 404


def test_an_expired_link_says_so(anon, seller, make_contact, session, settings):
    from app.satisfaction.service import create_link, token_of

    link = create_link(session, seller, make_contact())
    link.expires_at = utcnow() - timedelta(days=1)
    session.add(link)
    session.commit()
    r = anon.get(f"/s/{token_of(settings.secret_key, link)}")
    assert r.status_code == 410 and "expired" in r.text


def test_a_missing_or_out_of_scale_score_is_explained(
    anon, seller, make_contact, session, settings
):
    from app.satisfaction.service import create_link, token_of

    link = create_link(session, seller, make_contact())
    url = f"/s/{token_of(settings.secret_key, link)}"
    for score in ("", "6", "-1", "abc", "99999999999999999999"):
        r = anon.post(url, data={"score": score, "comment": "kept"})
        assert r.status_code == 400 and "Choose a score." in r.text and "kept" in r.text
    assert session.exec(select(SurveyResponse)).first() is None


def test_answers_are_rate_limited_per_client(anon, seller, make_contact, session, settings):
    from app.satisfaction.service import create_link, token_of

    settings.survey_max_answers = 3
    secret = settings.secret_key
    url = f"/s/{token_of(secret, create_link(session, seller, make_contact()))}"
    codes = [anon.post(url, data={"score": ""}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


def test_winning_a_deal_prepares_a_survey_when_the_admin_asked_for_it(
    client_for, seller, admin, make_contact, make_deal, stage_by_key, session
):
    from decimal import Decimal

    client_for(admin).post("/admin/settings", data={"survey_on_win": "nps"})
    deal = make_deal(
        contact_id=make_contact().id, amount=Decimal("100"), expected_close_on=utcnow().date()
    )
    r = client_for(seller).post(
        f"/deals/{deal.id}/move",
        data={"stage_id": str(stage_by_key("won").id), "version": str(deal.version)},
    )
    assert r.status_code == 303
    link = session.exec(select(SurveyLink)).one()
    assert (link.deal_id, link.kind) == (deal.id, "nps")
    assert "/s/" in client_for(seller).get(f"/deals/{deal.id}").text


def test_the_survey_names_the_company_and_the_seller_and_nothing_else_of_them(
    anon, seller, make_org, make_contact, session, settings
):
    from app.satisfaction.service import create_link, token_of

    seller.name = "Marie Martin"
    session.add(seller)
    org = make_org("Boulangerie Dupont", phone="01 23 45 67 89")
    contact = make_contact("Hélène Durand", organization_id=org.id)
    page = anon.get(f"/s/{token_of(settings.secret_key, create_link(session, seller, contact))}")
    said = re.search(r'id="survey-from">(.*?)</p>', page.text, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", "", said).split()) == (
        "Boulangerie Dupont — your contact: Marie Martin"
    )
    assert seller.email not in page.text and "01 23 45 67 89" not in page.text


def test_a_deals_survey_names_the_deals_company_and_owner(
    anon, seller, other_seller, make_org, make_contact, make_deal, session, settings
):
    from app.satisfaction.service import create_link, token_of

    other_seller.name = "Paul Ribot"
    session.add(other_seller)
    deal = make_deal("Four", owner=other_seller, organization_id=make_org("Fournil Roux").id)
    contact = make_contact("Sans Société", language="fr")
    link = create_link(session, seller, contact, "nps", deal)
    page = anon.get(f"/s/{token_of(settings.secret_key, link)}").text
    assert "Fournil Roux</strong> — votre interlocuteur : Paul Ribot" in page
    assert other_seller.email not in page and seller.email not in page


def test_without_a_company_the_survey_names_the_seller(
    anon, seller, make_contact, session, settings
):
    from app.satisfaction.service import create_link, token_of

    page = anon.get(
        f"/s/{token_of(settings.secret_key, create_link(session, seller, make_contact()))}"
    )
    assert f"Your contact: {seller.name}" in page.text


def test_a_survey_for_a_customer_without_a_language_speaks_the_browsers(
    client_for, seller, make_contact, anon, session
):
    from app.satisfaction.service import create_link, token_of

    contact = make_contact("Sans Langue")
    assert not contact.language
    token = token_of(anon.app.state.secret_key, create_link(session, seller, contact, "csat"))
    french = anon.get(f"/s/{token}", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert '<html lang="fr"' in french
    english = anon.get(f"/s/{token}", headers={"Accept-Language": "en-GB"}).text
    assert '<html lang="en"' in english
