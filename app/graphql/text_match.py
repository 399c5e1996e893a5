"""Text filters of search and `query:` arguments, safe for every length of text.

Tortoise refuses, while building the query, to compare a `CharField(max_length=n)` with a longer
string (and an exact match could never succeed anyway): exact and prefix comparisons on such
columns are left out when the text cannot fit. Substring matches (`icontains`) are not checked.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.models import Model

# A condition no row satisfies, for a search section whose every comparison was left out.
NOTHING = Q(pk__in=[])


def fits(model: type[Model], field: str, text: str) -> bool:
    """Whether `text` could be a value of `model.field` (no longer than its max_length)."""
    max_length = getattr(model._meta.fields_map[field], "max_length", None)
    return max_length is None or len(text) <= max_length


def any_of(model: type[Model], **lookups: str) -> Q:
    """OR of the lookups (`field` or `field__operator` = text) whose column can hold their text.

    `contains` lookups are always kept; NOTHING when every lookup was left out.
    """
    conditions = [
        Q(**{lookup: text})
        for lookup, text in lookups.items()
        if "contains" in lookup or fits(model, lookup.split("__")[0], text)
    ]
    if not conditions:
        return NOTHING
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined
