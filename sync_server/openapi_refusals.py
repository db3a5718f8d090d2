"""The refusals every operation can answer, added to /openapi.json.

Routes declare what their own code refuses (401, 403, 404, 409, 429); what middleware and
validation refuse before a route runs applies to every operation alike and is added here, so
the document lists every status code the server sends (tests/server/test_schemathesis.py checks
it against the running server). Optional headers and query parameters are documented without
the `null` FastAPI adds for their Python default: on the wire they are absent or a value.
"""

from __future__ import annotations

from typing import Any

_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}

# Refused by GuardMiddleware for any request, before routing.
_EVERY_OPERATION = {
    "400": "A header is malformed (X-Schema-Version must be a whole number).",
    "413": "The request body is larger than INSTITUTE_MAX_BODY_BYTES.",
    "426": "The client is older than the server accepts: update the app.",
}
_WITH_DATABASE = {"503": "The server cannot reach its database right now; try again soon."}
_WITH_BODY = {"415": "The request body is not JSON.",
              "422": "The request body is not valid; `fields` names each problem."}
_WITH_PARAMETERS = {"422": "A query parameter or header is not valid; `fields` names it."}
_OPERATIONS = ("get", "post", "put", "patch", "delete")
# Answered by the process alone, without the database.
_NO_DATABASE = {"/v1/health"}


def document_refusals(schema: dict[str, Any]) -> None:
    """Add the refusals above to every operation of `schema` (an OpenAPI document), keeping
    what a route declared itself."""
    for path, item in schema.get("paths", {}).items():
        for method in _OPERATIONS:
            operation = item.get(method)
            if operation is None:
                continue
            refusals = dict(_EVERY_OPERATION)
            if path not in _NO_DATABASE:
                refusals.update(_WITH_DATABASE)
            if operation.get("parameters"):
                refusals.update(_WITH_PARAMETERS)
            if "requestBody" in operation:
                refusals.update(_WITH_BODY)
            for parameter in operation.get("parameters", ()):
                _drop_null(parameter)
            responses = operation.setdefault("responses", {})
            for status, description in refusals.items():
                responses.setdefault(status, {"description": description,
                                              "content": _ERROR_BODY})


def _drop_null(parameter: dict[str, Any]) -> None:
    """`anyOf: [X, null]` -> X for an optional parameter (a header cannot carry null)."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if parameter.get("required") or not options:
        return
    kept = [option for option in options if option.get("type") != "null"]
    if len(kept) == 1:
        del schema["anyOf"]
        schema.update(kept[0])
