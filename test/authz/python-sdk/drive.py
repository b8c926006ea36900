"""Drives an OpenFGA-compatible /stores API with OpenFGA's official Python SDK (openfga-sdk).

Reads one JSON request on stdin and prints one JSON report on stdout; test/authz/python-sdk.test.ts
asserts on it. Scenarios:
  sequence  (platform key)  create a store, write the given model, then every call an app makes
  tenant    (tenant key)    what a read-only tenant key sees of its own and of another store
  revoked   (any key)       one call, expected to fail authentication
Every SDK error is reported as {type, status, code, message} so the caller can assert on
OpenFGA's error codes as the SDK parsed them.
"""

import json
import sys

from openfga_sdk import (
    ConsistencyPreference,
    CreateStoreRequest,
    FgaObject,
    ReadRequestTupleKey,
    RelationshipCondition,
    UserTypeFilter,
)
from openfga_sdk.client import ClientConfiguration
from openfga_sdk.client.models import (
    ClientBatchCheckItem,
    ClientBatchCheckRequest,
    ClientCheckRequest,
    ClientAssertion,
    ClientExpandRequest,
    ClientListObjectsRequest,
    ClientListRelationsRequest,
    ClientReadChangesRequest,
    ClientTuple,
    ClientWriteRequest,
    WriteTransactionOpts,
)
from openfga_sdk.client.models.write_conflict_opts import (
    ClientWriteRequestOnDuplicateWrites,
    ClientWriteRequestOnMissingDeletes,
    ConflictOptions,
)
from openfga_sdk.client.models.list_users_request import ClientListUsersRequest
from openfga_sdk.credentials import CredentialConfiguration, Credentials
from openfga_sdk.exceptions import ApiException
from openfga_sdk.sync import OpenFgaClient


def client(req, store_id=None, model_id=None):
    return OpenFgaClient(
        ClientConfiguration(
            api_url=req["api_url"],
            store_id=store_id,
            authorization_model_id=model_id,
            credentials=Credentials(
                method="api_token",
                configuration=CredentialConfiguration(api_token=req["token"]),
            ),
        )
    )


def plain(value):
    """SDK models to JSON-ready data."""
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def outcome(written):
    """A ClientWriteResponse as {"writes": [ok...], "deletes": [ok...]}."""
    return {
        "writes": [w.success for w in written.writes or []],
        "deletes": [d.success for d in written.deletes or []],
    }


def failure(err):
    return {
        "type": type(err).__name__,
        "status": getattr(err, "status", None),
        "code": getattr(err, "code", None),
        "message": getattr(err, "error_message", str(err)),
    }


def attempt(fn):
    """{"ok": result} or {"error": ...} for an SDK ApiException (anything else propagates)."""
    try:
        return {"ok": plain(fn())}
    except ApiException as err:
        return {"error": failure(err)}


def t(user, relation, obj, condition=None, context=None):
    cond = RelationshipCondition(name=condition, context=context) if condition else None
    return ClientTuple(user=user, relation=relation, object=obj, condition=cond)


def sequence(req):
    report = {}
    with client(req) as admin:
        store = admin.create_store(CreateStoreRequest(name=req["store_name"]))
        report["store"] = plain(store)
    with client(req, store_id=store.id) as fga:
        report["got_store"] = plain(fga.get_store())
        written = fga.write_authorization_model(req["model"])
        model_id = written.authorization_model_id
        report["model_id"] = model_id
        fga.set_authorization_model_id(model_id)

        tuples = [
            t("user:paula", "procurement_lead", "organization:acme"),
            t("user:bea", "member", "group:emea-buyers"),
            t("group:emea-buyers#member", "approver", "region:emea", "within_approval_limit", {"approval_limit": 10000}),
            t("group:emea-buyers#member", "buyer", "region:emea"),
            t("organization:acme", "organization", "region:emea"),
            t("organization:acme", "organization", "purchase_order:po-1"),
            t("region:emea", "region", "purchase_order:po-1"),
            t("user:erik", "requester", "purchase_order:po-1"),
            t("user:temp", "requester", "purchase_order:po-9"),
        ]
        report["write"] = outcome(fga.write(ClientWriteRequest(writes=tuples)))

        def check(user, relation, obj, context=None, contextual=None):
            return fga.check(ClientCheckRequest(user=user, relation=relation, object=obj, context=context, contextual_tuples=contextual)).allowed

        report["checks"] = {
            "lead_approves": check("user:paula", "can_approve", "purchase_order:po-1"),
            "bea_under_limit": check("user:bea", "can_approve", "purchase_order:po-1", {"order_amount": 9000}),
            "bea_over_limit": check("user:bea", "can_approve", "purchase_order:po-1", {"order_amount": 12000}),
            "requester_cannot_approve": check("user:erik", "can_approve", "purchase_order:po-1", {"order_amount": 10}),
            "contextual_tuple": check("user:zed", "can_view", "purchase_order:po-1", None, [t("user:zed", "requester", "purchase_order:po-1")]),
        }

        batch = fga.batch_check(
            ClientBatchCheckRequest(
                checks=[
                    ClientBatchCheckItem(user="user:bea", relation="can_view", object="purchase_order:po-1", correlation_id="bea-view"),
                    ClientBatchCheckItem(user="user:bea", relation="can_approve", object="purchase_order:po-1", correlation_id="bea-approve-small", context={"order_amount": 5}),
                    ClientBatchCheckItem(user="user:bea", relation="can_approve", object="purchase_order:po-1", correlation_id="bea-approve-big", context={"order_amount": 50000}),
                    ClientBatchCheckItem(user="user:nobody", relation="can_view", object="purchase_order:po-1", correlation_id="nobody"),
                ]
            )
        )
        report["batch_check"] = {r.correlation_id: r.allowed for r in batch.result}
        report["batch_check_errors"] = [plain(r.error) for r in batch.result if r.error]

        report["list_objects"] = fga.list_objects(
            ClientListObjectsRequest(user="user:bea", relation="can_approve", type="purchase_order", context={"order_amount": 100})
        ).objects
        report["list_objects_over_limit"] = fga.list_objects(
            ClientListObjectsRequest(user="user:bea", relation="can_approve", type="purchase_order", context={"order_amount": 100000})
        ).objects
        users = fga.list_users(
            ClientListUsersRequest(
                object=FgaObject(type="purchase_order", id="po-1"),
                relation="can_edit",
                user_filters=[UserTypeFilter(type="user")],
            )
        )
        report["list_users"] = plain(users.users)
        report["expand"] = plain(fga.expand(ClientExpandRequest(relation="approver", object="region:emea")).tree)

        report["read"] = plain(fga.read(ReadRequestTupleKey(object="region:emea")).tuples)
        report["read_all_count"] = len(fga.read(ReadRequestTupleKey()).tuples)

        report["extras"] = extras(fga, model_id, check)

        report["delete"] = outcome(fga.delete_tuples([t("user:temp", "requester", "purchase_order:po-9")]))
        report["check_after_delete"] = check("user:temp", "can_view", "purchase_order:po-9")
        changes = fga.read_changes(ClientReadChangesRequest(type="purchase_order"))
        report["changes"] = [
            {"operation": c.operation, "user": c.tuple_key.user, "relation": c.tuple_key.relation, "object": c.tuple_key.object}
            for c in changes.changes
        ]
        models = fga.read_authorization_models()
        report["models"] = [m.id for m in models.authorization_models]
        latest = fga.read_latest_authorization_model().authorization_model
        report["latest_model"] = {
            "id": latest.id,
            "types": [td.type for td in latest.type_definitions],
            "conditions": sorted((latest.conditions or {}).keys()),
        }

        report["errors"] = {
            "invalid_tuple": attempt(lambda: fga.write(ClientWriteRequest(writes=[t("user:anne", "no_such_relation", "organization:acme")]))),
            "undefined_type": attempt(lambda: check("user:anne", "member", "spaceship:x")),
            "missing_condition_on_write": attempt(lambda: fga.write(ClientWriteRequest(writes=[t("user:anne", "approver", "region:emea")]))),
            "unknown_model": attempt(lambda: fga.check(ClientCheckRequest(user="user:anne", relation="member", object="group:x"), {"authorization_model_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})),
        }
    with client(req, store_id=req["missing_store_id"]) as lost:
        report["errors"]["missing_store_get"] = attempt(lambda: lost.get_store())
        report["errors"]["missing_store_check"] = attempt(lambda: lost.check(ClientCheckRequest(user="user:anne", relation="member", object="group:x")))
    return report


def extras(fga, model_id, check):
    """The SDK's less common calls and options, on the tuples `sequence` wrote."""
    report = {}
    request = ClientListObjectsRequest(user="user:bea", relation="can_view", type="purchase_order")
    report["streamed_list_objects"] = sorted(r.object for r in fga.streamed_list_objects(request))
    report["list_relations"] = fga.list_relations(
        ClientListRelationsRequest(
            user="user:paula", object="purchase_order:po-1", relations=["can_view", "can_edit", "can_approve"], context={"order_amount": 1}
        )
    )
    report["higher_consistency"] = fga.check(
        ClientCheckRequest(user="user:paula", relation="can_edit", object="purchase_order:po-1"),
        {"consistency": ConsistencyPreference.HIGHER_CONSISTENCY},
    ).allowed

    # Pagination: every tuple exactly once, pages no larger than asked for.
    keys, sizes, token, pages = [], [], None, 0
    while pages < 20:
        pages += 1
        page = fga.read(ReadRequestTupleKey(), {"page_size": 4, **({"continuation_token": token} if token else {})})
        sizes.append(len(page.tuples))
        keys += [f"{x.key.object}#{x.key.relation}@{x.key.user}" for x in page.tuples]
        token = page.continuation_token
        if not token:
            break
    report["read_pages"] = {"keys": sorted(keys), "unique": len(set(keys)) == len(keys), "max_page": max(sizes), "ended": not token}

    # Conflict options: a duplicate write is an error unless asked to be ignored.
    dup = [t("user:erik", "requester", "purchase_order:po-1")]
    report["duplicate_write"] = attempt(lambda: fga.write(ClientWriteRequest(writes=dup)))
    ignore = {"conflict": ConflictOptions(on_duplicate_writes=ClientWriteRequestOnDuplicateWrites.IGNORE)}
    report["duplicate_write_ignored"] = attempt(lambda: outcome(fga.write(ClientWriteRequest(writes=dup), ignore)))
    missing = [t("user:ghost", "requester", "purchase_order:po-1")]
    report["missing_delete"] = attempt(lambda: fga.delete_tuples(missing))
    ignore = {"conflict": ConflictOptions(on_missing_deletes=ClientWriteRequestOnMissingDeletes.IGNORE)}
    report["missing_delete_ignored"] = attempt(lambda: outcome(fga.delete_tuples(missing, ignore)))

    # Non-transactional writes: one request per tuple, each with its own outcome.
    loose = {"transaction": WriteTransactionOpts(disabled=True, max_per_chunk=1)}
    written = fga.write(
        ClientWriteRequest(writes=[t("user:gail", "finance_reviewer", "organization:acme"), t("user:gail", "no_such_relation", "organization:acme")]),
        loose,
    )
    report["non_transactional"] = [
        {"user": w.tuple_key.user, "relation": w.tuple_key.relation, "success": w.success, "error": failure(w.error) if w.error else None}
        for w in written.writes
    ]
    report["gail_views_spend"] = check("user:gail", "can_view_spend", "organization:acme")

    fga.write_assertions(
        [
            ClientAssertion(user="user:paula", relation="can_approve", object="purchase_order:po-1", expectation=True),
            ClientAssertion(user="user:erik", relation="can_approve", object="purchase_order:po-1", expectation=False),
        ]
    )
    report["assertions"] = [
        {"user": a.tuple_key.user, "relation": a.tuple_key.relation, "object": a.tuple_key.object, "expectation": a.expectation}
        for a in fga.read_assertions().assertions
    ]
    model = fga.read_authorization_model({"authorization_model_id": model_id}).authorization_model
    condition = model.conditions["within_approval_limit"]
    report["model_by_id"] = {
        "id": model.id,
        "schema_version": model.schema_version,
        "condition": {"name": condition.name, "expression": condition.expression, "parameters": {k: {"type_name": v.type_name, "generic_types": v.generic_types} for k, v in condition.parameters.items()}},
        "approver": plain(next(td for td in model.type_definitions if td.type == "region").metadata.relations["approver"]),
    }
    changes, token, pages = [], None, 0
    while pages < 20:
        pages += 1
        page = fga.read_changes(ClientReadChangesRequest(type="organization"), {"page_size": 1, **({"continuation_token": token} if token else {})})
        changes += [f"{c.operation} {c.tuple_key.user}" for c in page.changes]
        if not page.changes:
            break
        token = page.continuation_token
    report["changes_one_per_page"] = changes
    return report


def tenant(req):
    report = {}
    with client(req) as fga:
        report["list_stores"] = [s.id for s in fga.list_stores().stores]
    with client(req, store_id=req["own_store_id"]) as own:
        report["get_own"] = attempt(lambda: own.get_store().id)
        report["check_own"] = attempt(lambda: own.check(ClientCheckRequest(user="user:paula", relation="can_approve", object="purchase_order:po-1")).allowed)
        report["write_own"] = attempt(lambda: own.write(ClientWriteRequest(writes=[t("user:mallory", "procurement_lead", "organization:acme")])))
    with client(req, store_id=req["other_store_id"]) as other:
        report["get_other"] = attempt(lambda: other.get_store().id)
        report["check_other"] = attempt(lambda: other.check(ClientCheckRequest(user="user:paula", relation="can_approve", object="purchase_order:po-1")).allowed)
        report["read_other"] = attempt(lambda: other.read(ReadRequestTupleKey()).tuples)
    return report


def revoked(req):
    with client(req) as fga:
        return {"list_stores": attempt(lambda: fga.list_stores().stores)}


SCENARIOS = {"sequence": sequence, "tenant": tenant, "revoked": revoked}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    json.dump(SCENARIOS[request["scenario"]](request), sys.stdout)
