"""The OpenAPI schema documents the error answers every operation can give (the JSON of
projects.api_base.exception_handler and projects.middleware.ApiJsonErrorsMiddleware)."""

import inspect

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .api_base import ERRORS

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _paginates(view) -> bool:
    """Does this action page its list? `list` does; an extra action only if it calls the paginator."""
    action = getattr(view, "action", None)
    if action in (None, "list"):
        return True
    func = getattr(view, action, None)
    try:
        return "paginate_queryset" in inspect.getsource(func)
    except (OSError, TypeError):
        return True


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self):
        # A detail action that answers a plain list must not be documented as a page of it.
        return super()._get_paginator() if _paginates(self.view) else None

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [400, 401, 403, 404, 429]
        if self.method in BODY_METHODS:
            codes += [409, 413]
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ERRORS[code], str(code), direction=direction)
        return responses
