"""Small query helpers every app uses."""

from django.db.models import F, Func, IntegerField, Subquery
from django.db.models.functions import Coalesce


def count_of(queryset):
    """A correlated COUNT(*) of `queryset` (filtered on OuterRef(...)) as an expression, 0 when empty.

    Use it instead of Count() over a join when a list annotates several counts, or when it is
    paginated: a join multiplies and groups every row of the table before LIMIT; a correlated
    count runs for the rows of the page only."""
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def first_with_total(queryset, limit):
    """(the first `limit` objects of an ordered `queryset`, how many it has in all) in one query:
    the total is a window count, which the database computes before LIMIT. For "my work" sources."""
    from django.db.models import Count, Window

    rows = list(queryset.annotate(_total=Window(Count("pk")))[:limit])
    return rows, (rows[0]._total if rows else 0)
