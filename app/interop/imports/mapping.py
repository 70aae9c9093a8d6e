"""Spreadsheet import, step 1: which column holds which field, guessed from the headers in
English and French, then set by the seller."""

import json

from sqlmodel import Session

from app.auth.models import User
from app.core.errors import FormErrors, Message
from app.core.i18n import N_
from app.core.text import fold
from app.interop.imports.models import ImportJob

ENTITIES = ("contacts", "organizations", "deals")


ACTIONS = ("merge", "skip", "create")


PREVIEW_ROWS = 20


BATCH = 1000


FIELDS = {
    "contacts": {
        "name": N_("Name"),
        "first_name": N_("First name"),
        "last_name": N_("Last name"),
        "email": N_("Email"),
        "phone": N_("Phone"),
        "title": N_("Job title"),
        "organization": N_("Organization"),
        "tags": N_("Tags"),
        "notes": N_("Notes"),
        "language": N_("Language"),
    },
    "organizations": {
        "name": N_("Name"),
        "website": N_("Website"),
        "phone": N_("Phone"),
        "tags": N_("Tags"),
        "notes": N_("Notes"),
    },
    "deals": {
        "title": N_("Title"),
        "organization": N_("Organization"),
        "contact_email": N_("Contact email"),
        "amount": N_("Amount"),
        "currency": N_("Currency"),
        "stage": N_("Stage"),
        "expected_close_on": N_("Expected close date"),
        "next_step": N_("Next step"),
        "next_step_due": N_("Next step due"),
    },
}


# Folded header words, French and English, for each field.
HEADER_WORDS = {
    "name": [
        "name",
        "nom",
        "nom complet",
        "full name",
        "contact",
        "raison sociale",
        "company name",
    ],
    "first_name": ["first name", "firstname", "given name", "prenom"],
    "last_name": ["last name", "lastname", "surname", "family name", "nom de famille"],
    "email": [
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse e-mail",
        "adresse email",
        "email address",
    ],
    "phone": ["phone", "telephone", "tel", "mobile", "portable", "phone number", "numero"],
    "title": ["title", "job title", "fonction", "poste", "titre"],
    "organization": [
        "organization",
        "organisation",
        "company",
        "societe",
        "entreprise",
        "compte",
        "account",
        "client",
    ],
    "tags": ["tags", "tag", "etiquettes", "labels", "categories", "segment"],
    "notes": [
        "notes",
        "note",
        "remarques",
        "commentaire",
        "commentaires",
        "comments",
        "description",
    ],
    "language": ["language", "langue", "lang"],
    "website": ["website", "site", "site web", "url", "web"],
    "contact_email": ["contact email", "email du contact", "email", "e-mail", "courriel"],
    "amount": ["amount", "montant", "value", "valeur", "montant ht"],
    "currency": ["currency", "devise", "monnaie"],
    "stage": ["stage", "etape", "statut", "status", "phase"],
    "expected_close_on": [
        "close date",
        "expected close",
        "date de cloture",
        "cloture",
        "closing date",
    ],
    "next_step": ["next step", "prochaine etape", "action"],
    "next_step_due": ["next step due", "due", "echeance", "date de relance", "relance"],
}


# Headers that mean the last name when the file also has a first-name column.
BARE_NAMES = ("name", "nom")


def guess_mapping(entity: str, headers: list[str]) -> dict[int, str]:
    """Each column to the field its header names, exact words first; unknown columns stay
    unmapped (and are listed, not silently dropped)."""
    fields = FIELDS[entity]
    if entity == "deals":
        fields = {k: v for k, v in fields.items()}
    mapping: dict[int, str] = {}
    used: set[str] = set()
    folded = [fold(h).replace("_", " ").replace("-", " ").strip(" :*") for h in headers]
    for exact in (True, False):
        for i, header in enumerate(folded):
            if i in mapping:
                continue
            for name in fields:
                if name in used and name != "tags":
                    continue
                words = [fold(w).replace("-", " ") for w in HEADER_WORDS.get(name, [name])]
                if entity == "organizations" and name == "name":
                    words = [*words, *HEADER_WORDS["organization"]]
                if entity == "deals" and name == "title":
                    words = ["title", "titre", "deal", "affaire", "opportunite", "name", "nom"]
                hit = header in words if exact else any(w in header for w in words if len(w) > 3)
                if hit:
                    mapping[i] = name
                    used.add(name)
                    break
    if entity == "contacts" and "first_name" in used and "last_name" not in used:
        # "Nom;Prénom", "Name;First name": beside a first name, a bare name is the last name.
        for i, name in mapping.items():
            if name == "name" and folded[i] in BARE_NAMES:
                mapping[i] = "last_name"
    return mapping


def set_mapping(session: Session, user: User, job: ImportJob, mapping: dict[int, str]) -> None:
    errors = FormErrors()
    fields = FIELDS[job.entity]
    clean = {int(k): v for k, v in mapping.items() if v in fields}
    required = {"contacts": "name", "organizations": "name", "deals": "title"}[job.entity]
    names = set(clean.values())
    if required not in names and not (
        job.entity == "contacts" and {"first_name", "last_name"} & names
    ):
        errors.add(
            "mapping",
            Message(
                N_("Pick the column that holds the %(field)s."), field=Message(fields[required])
            ),
        )
    errors.raise_if_any()
    job.mapping = json.dumps({str(k): v for k, v in clean.items()})
    job.status = "mapping"
    session.add(job)
    session.commit()
