"""Loader dependencies: routes receive a record loaded through the scoped service."""

from typing import Annotated

from fastapi import Depends

from app.auth.deps import RecordUser, SessionDep
from app.core.ids import IdPath
from app.customers import service
from app.customers.models import Contact, Organization


def current_contact(contact_id: IdPath, session: SessionDep, user: RecordUser) -> Contact:
    return service.get_contact(session, user, contact_id)


def current_organization(
    organization_id: IdPath, session: SessionDep, user: RecordUser
) -> Organization:
    return service.get_organization(session, user, organization_id)


ContactDep = Annotated[Contact, Depends(current_contact)]
OrganizationDep = Annotated[Organization, Depends(current_organization)]
