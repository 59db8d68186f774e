"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document (Schemathesis).

Every operation of ``/api/openapi.json`` gets generated requests, valid and invalid (the
parameters' types, bounds and enums, bodies, headers, undeclared methods), against the real app
over the test collection. Each answer must be: no 5xx; a status, content type, headers and body
the document declares; a 4xx for a request the document forbids; and every 4xx the JSON error
shape ``{"error", "message"}``.

Not checked: that every request the document allows gets a 2xx (Schemathesis'
``positive_data_acceptance``). Some 400s depend on several parameters together, which the
document cannot say: ``end`` after ``start``, ``min_duration`` <= ``max_duration``, a tag of
the chosen model, enough points for an on-demand t-SNE.

Deterministic: Hypothesis derandomized (its seed comes from the test's name), Schemathesis
seeded, no example database, a fixed number of examples per operation.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from tagscape.web.openapi import spec

#: Examples per operation and kind (valid, invalid): the module takes about 30 s on 2 cores, 20 s
#: of it building the test collection (shared with the other web tests of a session).
EXAMPLES = 60


# The document the app serves at /api/openapi.json (test_api checks that they are the same),
# loaded at import so that pytest lists one test per operation; the requests go to the `app`
# fixture in-process. (Schemathesis' loader from a fixture, from_fixture, fails under pytest 9.)
schema = schemathesis.openapi.from_dict(spec(), config=schemathesis.Config.from_dict({
    "seed": 0,
    "generation": {"deterministic": True, "max-examples": EXAMPLES, "database": "none"},
}))


def errors_are_json(ctx, response, case) -> bool | None:
    """Every 4xx and 5xx is the JSON error shape (redirects and successes are checked by the schema)."""
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error", "message"}, body
        assert isinstance(body["error"], str) and isinstance(body["message"], str) and "Traceback" not in body["message"]
    return None


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_answers_as_documented(case, app):
    # identity: answers are checked as the app makes them (the test client would not undo a compression).
    # buffered: werkzeug's client reads and closes each answer (Schemathesis' WSGI transport reads the
    # body but leaves an audio file's answer open: a ResourceWarning, an error under our filterwarnings).
    case.call_and_validate(app=app, buffered=True, headers={"Accept-Encoding": "identity"}, additional_checks=[errors_are_json],
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])
