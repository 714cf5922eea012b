"""OpenAPI generation: drf-standardized-errors' AutoSchema plus what our plumbing adds."""

from drf_standardized_errors.openapi import AutoSchema

from common.pagination import DefaultPagination


class ProjectAutoSchema(AutoSchema):
    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        # DefaultPagination answers 400 for a bad limit/offset; document it on list views.
        errors = dict(super()._get_extra_validation_errors())
        paginated = isinstance(self._get_paginator(), DefaultPagination)
        if self.method == "GET" and paginated and self._is_list_view():
            for name in (DefaultPagination.limit_query_param, DefaultPagination.offset_query_param):
                errors[name] = {*errors.get(name, set()), "invalid"}
        return errors
