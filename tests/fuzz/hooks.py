"""Schemathesis hooks of tests/fuzz/run.mjs (loaded through SCHEMATHESIS_HOOKS).

The hosted login, signup and consent forms accept a post only when its
`csrf` field equals the browser's `tenant_csrf` cookie. The runner sends
that cookie (EDGE_TENANT_FUZZ_CSRF) with every post to those forms; here a
generated non-empty `csrf` field becomes its value, as a browser that loaded
the form would send it, so the fuzzer reaches the sign-in itself. An empty
or missing field is left alone: that is the forged post, refused with 403.
"""

import os

import schemathesis

CSRF_TOKEN = os.environ["EDGE_TENANT_FUZZ_CSRF"]
FORMS = {"/u/login", "/u/signup", "/u/consent"}


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if (
        operation is not None
        and operation.method.upper() == "POST"
        and operation.path in FORMS
        and isinstance(body, dict)
        and body.get("csrf")
    ):
        return {**body, "csrf": CSRF_TOKEN}
    return body
