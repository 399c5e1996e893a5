"""Creators and their account memberships."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app import models
from app.metrics import versions
from app.services.outcomes import Outcome, Problem
from app.services.tenancy import Tenant, pluck_ids

MAX_NAME_LENGTH = 200
MAX_MEMBERS_PER_CALL = 200


def _check_name(name: str | None) -> tuple[str | None, list[Problem]]:
    if name is None:
        return None, []
    cleaned = " ".join(name.split())
    if not cleaned:
        return None, [Problem("BLANK", "The name must not be blank", ("name",))]
    if len(cleaned) > MAX_NAME_LENGTH:
        return None, [
            Problem("TOO_LONG", f"The name is limited to {MAX_NAME_LENGTH} characters", ("name",))
        ]
    return cleaned, []


async def _owned_accounts(
    tenant: Tenant, account_ids: list[int | None], field: str
) -> tuple[list[int], list[Problem]]:
    """The ids that name accounts of the organization, and a problem for each other one."""
    if len(account_ids) > MAX_MEMBERS_PER_CALL:
        return [], [
            Problem("LIMIT_EXCEEDED", f"At most {MAX_MEMBERS_PER_CALL} accounts per call", (field,))
        ]
    wanted = [pk for pk in account_ids if pk is not None]
    found = set(await pluck_ids(tenant.accounts().filter(id__in=wanted)))
    problems = [
        Problem("NOT_FOUND", "No such account", (field, str(index)))
        for index, pk in enumerate(account_ids)
        if pk is None or pk not in found
    ]
    return list(dict.fromkeys(pk for pk in wanted if pk in found)), problems


async def create_creator(
    tenant: Tenant, *, name: str, description: str | None, account_ids: list[int | None]
) -> Outcome[models.Creator]:
    """Create a creator with its first member accounts."""
    cleaned, problems = _check_name(name)
    if not account_ids:
        problems.append(Problem("EMPTY", "A creator needs at least one account", ("accountIds",)))
    members, member_problems = await _owned_accounts(tenant, account_ids, "accountIds")
    problems += member_problems
    if problems or cleaned is None:
        return Outcome(problems=problems)
    if await tenant.creators().filter(name=cleaned).exists():
        return Outcome.fail("DUPLICATE", f"A creator named {cleaned!r} already exists", "name")
    try:
        async with versions.writing(tenant.organization_id):
            creator = await models.Creator.create(
                organization_id=tenant.organization_id, name=cleaned, description=description
            )
            await models.CreatorAccount.bulk_create(
                [models.CreatorAccount(creator_id=creator.id, account_id=pk) for pk in members]
            )
    except IntegrityError:
        return Outcome.fail("DUPLICATE", f"A creator named {cleaned!r} already exists", "name")
    return Outcome(value=creator, created=True)


async def update_creator(
    tenant: Tenant, creator_id: int, *, name: str | None, description: str | None
) -> Outcome[models.Creator]:
    """Rename a creator or change its description."""
    creator = await tenant.creators().filter(id=creator_id).first()
    if creator is None:
        return Outcome.fail("NOT_FOUND", "No such creator", "id")
    cleaned, problems = _check_name(name)
    if problems:
        return Outcome(problems=problems)
    if cleaned is not None and cleaned != creator.name:
        if await tenant.creators().filter(name=cleaned).exclude(id=creator.id).exists():
            return Outcome.fail("DUPLICATE", f"A creator named {cleaned!r} already exists", "name")
        creator.name = cleaned
    if description is not None:
        creator.description = description or None
    try:
        async with versions.writing(tenant.organization_id):
            await creator.save()
    except IntegrityError:
        return Outcome.fail("DUPLICATE", f"A creator named {cleaned!r} already exists", "name")
    return Outcome(value=creator)


async def delete_creator(tenant: Tenant, creator_id: int) -> Outcome[int]:
    """Delete a creator; its accounts stay tracked."""
    async with versions.writing():
        deleted = await tenant.creators().filter(id=creator_id).delete()
        if deleted:
            versions.touch(tenant.organization_id)
    if not deleted:
        return Outcome.fail("NOT_FOUND", "No such creator", "id")
    return Outcome(value=creator_id)


async def add_accounts(
    tenant: Tenant, creator_id: int, account_ids: list[int | None]
) -> Outcome[models.Creator]:
    """Add member accounts; adding a member twice is harmless."""
    creator = await tenant.creators().filter(id=creator_id).first()
    if creator is None:
        return Outcome.fail("NOT_FOUND", "No such creator", "creatorId")
    members, problems = await _owned_accounts(tenant, account_ids, "accountIds")
    if problems:
        return Outcome(problems=problems)
    present = set(
        await pluck_ids(models.CreatorAccount.filter(creator_id=creator.id), "account_id")
    )
    new = [pk for pk in members if pk not in present]
    async with versions.batched(tenant.organization_id):
        try:
            await models.CreatorAccount.bulk_create(
                [models.CreatorAccount(creator_id=creator.id, account_id=pk) for pk in new]
            )
        except IntegrityError:
            pass  # a concurrent call added the same members: the end state is the one asked for
        await creator.save(update_fields=["updated_at"])
    return Outcome(value=creator)


async def remove_accounts(
    tenant: Tenant, creator_id: int, account_ids: list[int | None]
) -> Outcome[models.Creator]:
    """Remove member accounts; removing a non-member is harmless."""
    creator = await tenant.creators().filter(id=creator_id).first()
    if creator is None:
        return Outcome.fail("NOT_FOUND", "No such creator", "creatorId")
    members, problems = await _owned_accounts(tenant, account_ids, "accountIds")
    if problems:
        return Outcome(problems=problems)
    async with versions.writing(tenant.organization_id):
        await models.CreatorAccount.filter(creator_id=creator.id, account_id__in=members).delete()
        await creator.save(update_fields=["updated_at"])
    return Outcome(value=creator)
