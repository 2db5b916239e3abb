"""Schemathesis hooks of tests/fuzz/run.mjs (loaded through SCHEMATHESIS_HOOKS).

The hosted login, signup and consent forms accept a post only when its
`csrf` field equals the browser's `tenant_csrf` cookie. The runner sends
that cookie (EDGE_TENANT_FUZZ_CSRF) with every post to those forms; here a
generated non-empty `csrf` field becomes its value, as a browser that loaded
the form would send it, so the fuzzer reaches the sign-in itself. An empty
or missing field is left alone: that is the forged post, refused with 403.

A trigger's bindings decide what every token request and sign-in runs: a
fuzzed binding of an action whose code the fuzzer wrote (and deployed)
would fail every later token request with 500, which is what that action
asks for, not a fault. So only the actions the runner keeps bound, which
do nothing (EDGE_TENANT_FUZZ_ACTIONS: `bindable`, by trigger), are ever
bound, and their code never changes. Right before each request is sent
(in every phase, whatever the values came from: dictionaries, generation,
or ids schemathesis picked up from earlier responses):
- in a `PATCH .../bindings`, every `action_id` or `action_name` reference
  is made to name the trigger's kept action (`binding_id` references can
  only name bindings that exist, which hold nothing else; other reference
  types are left as generated, 400);
- a change, deploy, roll back or deletion of a kept action is made to the
  doomed action instead (`doomed`), as every write of the run goes to
  doomed resources. Reads and tests of the kept actions stay theirs.
"""

import copy
import json
import os

import schemathesis

CSRF_TOKEN = os.environ["EDGE_TENANT_FUZZ_CSRF"]
FORMS = {"/u/login", "/u/signup", "/u/consent"}
ACTIONS = json.loads(os.environ["EDGE_TENANT_FUZZ_ACTIONS"])
BINDABLE = ACTIONS["bindable"]
KEPT_IDS = {action["id"] for action in BINDABLE.values()}
BINDINGS = "/api/v2/actions/triggers/{triggerId}/bindings"
ACTION_WRITES = {
    ("PATCH", "/api/v2/actions/actions/{id}"),
    ("DELETE", "/api/v2/actions/actions/{id}"),
    ("POST", "/api/v2/actions/actions/{id}/deploy"),
    ("POST", "/api/v2/actions/actions/{id}/versions/{versionId}/deploy"),
}


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


@schemathesis.hook
def before_call(context, case, kwargs):
    operation = case.operation
    method = operation.method.upper()
    if (method, operation.path) in ACTION_WRITES:
        parameters = case.path_parameters or {}
        if parameters.get("id") in KEPT_IDS:
            case.path_parameters = {**parameters, "id": ACTIONS["doomed"]}
        return
    if method != "PATCH" or operation.path != BINDINGS:
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("bindings"), list):
        return
    trigger = (case.path_parameters or {}).get("triggerId")
    kept = BINDABLE.get(trigger, BINDABLE["credentials-exchange"])
    body = copy.deepcopy(body)
    for binding in body["bindings"]:
        ref = binding.get("ref") if isinstance(binding, dict) else None
        if not isinstance(ref, dict):
            continue
        if ref.get("type") == "action_id":
            ref["value"] = kept["id"]
        elif ref.get("type") == "action_name":
            ref["value"] = kept["name"]
    case.body = body
