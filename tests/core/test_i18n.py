from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.core.i18n import Localizer, language_from_header

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _extracted_messages() -> set[str]:
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_user_visible_string_is_translated(language):
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = _extracted_messages() - translated
    assert not missing, f"untranslated in {language}: {sorted(missing)} (run `make i18n`)"


def test_the_browser_language_is_the_default():
    assert language_from_header("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert language_from_header("de-DE,en;q=0.5") == "en"
    assert language_from_header(None) == "en"


def test_times_are_shown_in_the_users_zone_and_locale():
    moment = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    fr = Localizer("fr", "Europe/Paris")
    en = Localizer("en", "America/New_York")
    assert fr.datetime(moment, "short") == "24/11/2026 00:30"
    assert en.datetime(moment, "short").startswith("11/23/26")
    assert fr.number(1234567.5) == "1\u202f234\u202f567,5"


MOMENTS = [
    datetime(2026, 11, 23, 23, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # a minute before Paris moves to summer time
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 7, 1, 12, 5),  # naive: read as UTC
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"])
def test_dates_read_exactly_as_babel_writes_them(language, zone):
    """The Localizer keeps parsed patterns for speed; what it writes must not change."""
    from babel import dates

    loc = Localizer(language, zone)
    for moment in MOMENTS:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        local = aware.astimezone(loc.tz)
        for fmt in ("full", "long", "medium", "short", "EEE d MMM", "d MMMM y HH:mm"):
            expected = dates.format_datetime(aware, fmt, tzinfo=loc.tz, locale=language)
            assert loc.datetime(moment, fmt) == expected, (moment, fmt)
            if "HH" not in fmt:
                expected_day = dates.format_date(local.date(), fmt, locale=language)
                assert loc.date(moment, fmt) == expected_day, (moment, fmt)
        expected_time = dates.format_time(aware, "short", tzinfo=loc.tz, locale=language)
        assert loc.time(moment) == expected_time


def test_a_french_user_gets_french_pages(client_for, make_user, session):
    from app.auth.service import update_preferences

    user = make_user("fr@example.test", is_seller=True)
    update_preferences(session, user, language="fr", timezone="Europe/Paris")
    page = client_for(user).get("/today")
    assert '<html lang="fr">' in page.text
    assert "Aujourd&#39;hui" in page.text and "Rien sur votre liste" in page.text


def test_without_a_choice_the_page_follows_accept_language(anon, seller):
    page = anon.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert "Se connecter à Carnet" in page.text
