"""Reading a captured mail from its raw bytes, as senders' programs write them (and break them)."""

from datetime import UTC, datetime
from email.message import EmailMessage

from app.interop.mail.parsing import html_to_text, parse, split_quote


def _mail(**headers) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_a_bccd_mail_gives_its_people_subject_date_and_text():
    message = _mail(
        From="Sam Seller <sam@team.example>",
        To="Hélène Durand <Helene@Dupont.example>, paul@dupont.example",
        Cc="Zoé <zoe@other.example>",
        Subject="Devis fours",
        Date="Mon, 23 Nov 2026 10:15:00 +0100",
        Message_ID="<abc.123@team.example>",
        Delivered_To="crm+k7f3x9@team.example",
    )
    message.set_content("Bonjour Hélène,\n\nVoici le devis.\n")
    mail = parse(message.as_bytes())
    assert mail.message_id == "abc.123@team.example"
    assert mail.subject == "Devis fours"
    assert mail.sent_at == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    assert mail.sender.email == "sam@team.example"
    assert [a.email for a in mail.to] == ["helene@dupont.example", "paul@dupont.example"]
    assert [a.email for a in mail.cc] == ["zoe@other.example"]
    assert mail.text == "Bonjour Hélène,\n\nVoici le devis."
    assert mail.delivered_to == ["crm+k7f3x9@team.example"]
    assert not mail.private and not mail.automatic


def test_the_private_marker_is_read_and_removed_from_the_subject():
    for subject in ("[private] Salaire", "Salaire [Privé]", "Re: [PRIVATE]  Salaire"):
        message = _mail(From="a@b.example", To="c@d.example", Subject=subject)
        message.set_content("x")
        mail = parse(message.as_bytes())
        assert mail.private, subject
        assert "priv" not in mail.subject.lower() and "Salaire" in mail.subject


def test_html_is_text_without_scripts_styles_or_remote_images():
    markup = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Bonjour&nbsp;Paul,</p><div>Le devis <b>v2</b> est prêt.<br>Cordialement</div>"
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:x()">lien</a>'
        "</body></html>"
    )
    text = html_to_text(markup)
    assert "alert" not in text and "color" not in text and "tracker" not in text
    assert "javascript" not in text and "<" not in text
    assert text.splitlines()[0] == "Bonjour\xa0Paul,"
    assert "Le devis v2 est prêt." in text and "Cordialement" in text
    message = _mail(From="a@b.example", To="c@d.example", Subject="html only")
    message.set_content(markup, subtype="html")
    assert parse(message.as_bytes()).text == text


def test_a_replys_quote_is_set_apart():
    body = "Merci, je valide.\n\nLe lun. 23 nov. 2026, Sam a écrit :\n> Voici le devis.\n"
    assert split_quote(body) == (
        "Merci, je valide.",
        "Le lun. 23 nov. 2026, Sam a écrit :\n> Voici le devis.",
    )
    assert split_quote("Yes.\n\n> earlier\n> more\n") == ("Yes.", "> earlier\n> more")
    assert split_quote("> a quote first\nthen my answer") == (
        "> a quote first\nthen my answer",
        "",
    )


def test_a_forwarded_mail_with_an_attachment_gives_the_customer_and_the_file():
    original = _mail(
        From="Hélène Durand <helene@dupont.example>",
        To="sam@team.example",
        Subject="Notre commande",
        Message_ID="<orig@dupont.example>",
    )
    original.set_content("Pouvez-vous confirmer ?")
    original.add_attachment(
        b"%PDF-1.4 bon", maintype="application", subtype="pdf", filename="bon.pdf"
    )
    forward = _mail(
        From="sam@team.example", To="crm+k7f3x9@team.example", Subject="Fwd: Notre commande"
    )
    forward.set_content("Pour le CRM")
    forward.add_attachment(original)
    mail = parse(forward.as_bytes())
    assert mail.forwarded.sender.email == "helene@dupont.example"
    assert mail.forwarded.subject == "Notre commande"
    assert mail.forwarded.text == "Pouvez-vous confirmer ?"
    assert [(a.filename, a.data) for a in mail.attachments] == [("bon.pdf", b"%PDF-1.4 bon")]


def test_a_mail_forwarded_inline_gives_the_customer_it_came_from():
    forward = _mail(From="sam@team.example", To="crm+k7f3x9@team.example", Subject="TR: Devis")
    forward.set_content(
        "Voir plus bas\n\n---------- Forwarded message ---------\n"
        "From: Paul Martin <paul@martin.example>\nDate: Mon, 23 Nov 2026 at 10:00\n"
        "Subject: Devis\nTo: Sam <sam@team.example>\n\nC'est d'accord pour mardi.\n"
    )
    mail = parse(forward.as_bytes())
    assert mail.forwarded.sender.email == "paul@martin.example"
    assert mail.forwarded.text == "C'est d'accord pour mardi."


def test_auto_replies_bounces_and_lists_are_marked_automatic():
    cases = [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
        {"List_Id": "<news.example.com>"},
        {"From": "MAILER-DAEMON@mx.example"},
    ]
    for headers in cases:
        message = _mail(**{"From": "a@b.example", "To": "c@d.example", **headers})
        message.set_content("Je suis absent")
        assert parse(message.as_bytes()).automatic, headers
    human = _mail(From="a@b.example", To="c@d.example", Auto_Submitted="no")
    human.set_content("hello")
    assert not parse(human.as_bytes()).automatic


def test_broken_mail_is_read_as_far_as_it_goes():
    raw = (
        b"From: =?unknown-8bit?q?Ren=E9?= <rene@x.example>\r\n"
        b"To: caf\xe9 <cafe@x.example>\r\n"
        b"Subject: \xe9t\xe9 \x00 caf\xe9\r\n"
        b"Date: not a date\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
        b"Bonjour \xe9\r\n"
    )
    mail = parse(raw)
    assert mail.sent_at is None
    assert mail.sender.email == "rene@x.example"
    assert "\x00" not in mail.subject
    assert "Bonjour" in mail.text
    assert parse(b"").text == ""
    assert parse(b"x: y\r\n\r\ngarbage").text == "garbage"
    parse(b"\x00\xff not a mail at all")  # read, not raised


def test_an_attachment_named_like_a_path_keeps_a_name_a_document_can_carry():
    message = _mail(From="a@x.test", To="b@y.test", Subject="Files")
    message.set_content("See attached.")
    message.add_attachment(b"x", maintype="text", subtype="plain", filename="../../etc/passwd.txt")
    message.add_attachment(b"y", maintype="text", subtype="plain", filename="<b>x</b>.txt")
    names = [a.filename for a in parse(message.as_bytes()).attachments]
    assert names == ["_._etc_passwd.txt", "<b>x<_b>.txt"]


def test_a_mail_that_is_only_a_forwarded_mail_is_read_as_the_forward():
    inner = _mail(From="Stranger <stranger@unknown.example>", To="sam@team.example")
    inner["Subject"] = "Hello from a stranger"
    inner.set_content("Could you send a quote?")
    raw = (
        b"From: sam@team.example\r\nTo: crm+k@team.example\r\nSubject: Fwd: Hello\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner.as_bytes()
    )
    mail = parse(raw)
    assert mail.forwarded.sender.email == "stranger@unknown.example"
    assert mail.forwarded.text == "Could you send a quote?"


def test_outlook_and_french_thunderbird_forwards_give_the_original_people():
    outlook = _mail(From="sam@team.example", To="crm+k@team.example", Subject="FW: Prix")
    outlook.set_content(
        "Pour info.\n\n-----Original Message-----\nFrom: Zed Other [mailto:zed@other.example]\n"
        "Sent: Monday, November 23, 2026 10:15 AM\nTo: Sam <sam@team.example>\n"
        "Subject: Prix\n\nQuel est votre prix ?\n"
    )
    mail = parse(outlook.as_bytes())
    assert mail.forwarded.sender.email == "zed@other.example"
    assert mail.forwarded.subject == "Prix" and mail.forwarded.text == "Quel est votre prix ?"
    thunderbird = _mail(From="sam@team.example", To="crm+k@team.example", Subject="Fwd: Prix")
    thunderbird.set_content(
        "-------- Message transféré --------\nSujet : \tPrix\nDate : \tLun, 23 Nov 2026\n"
        "De : \tZed <zed@other.example>\nPour : \tSam <sam@team.example>\n\nQuel prix ?\n"
    )
    mail = parse(thunderbird.as_bytes())
    assert mail.forwarded.subject == "Prix" and mail.forwarded.text == "Quel prix ?"
    assert mail.forwarded.sender.email == "zed@other.example"
