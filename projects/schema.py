"""The OpenAPI schema documents the error answers every operation can give (the JSON of
projects.api_base.exception_handler and projects.middleware.ApiJsonErrorsMiddleware)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .api_base import ERRORS

BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = [400, 401, 403, 404, 429]
        if self.method in BODY_METHODS:
            codes.append(413)
        for code in codes:
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(ERRORS[code], str(code), direction=direction)
        return responses
