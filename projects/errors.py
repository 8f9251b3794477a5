"""The one error type services raise. Views turn it into a form error or a 400."""


class DomainError(Exception):
    """A business rule refused the change. `message` is for a person; `field` names the input."""

    def __init__(self, message, *, field=None, code="invalid", extra=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra or {}

    def as_dict(self):
        data = {"detail": str(self.message)}
        if self.field:
            data[self.field] = [str(self.message)]
        data.update(self.extra)
        return data


def check_fields(changes, *, allowed):
    """Refuse an update that names a field the service does not change (one rule for every app)."""
    from django.utils.translation import gettext as _

    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(_("Unknown field: %(f)s") % {"f": ", ".join(sorted(unknown))})
