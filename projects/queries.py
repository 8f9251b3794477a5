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
