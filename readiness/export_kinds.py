"""The risk export kind (see projects.export_registry): the risk register with the page's filters,
as exports.risk_rows writes it for the register's own CSV and Excel buttons."""

from django.utils.translation import gettext_lazy

from projects import export_registry as registry

from .exports import risk_rows
from .selectors import RISK_FILTERS, risk_register


def risk_table(*, user, project, params):
    params = params or {}
    return risk_rows(risk_register(project=project, filters={key: params.get(key, "") for key in RISK_FILTERS}))


RISKS_EXPORT = registry.register(registry.ExportKind(
    key="risks", label=gettext_lazy("Risks"), table=risk_table, rule="readiness.risk_view",
    widths=(6, 44, 14, 10, 8, 7, 10, 12, 14, 50, 36, 12, 12, 16, 36, 36)))
