"""schemathesis hooks for tests/contract/fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Two rules, both about what the fuzzer cannot know from schemas alone:

1. A run never revokes the token it runs with. `DELETE /api/v1/tokens/{token_id}` with the run's
   own token id would succeed (an admin may revoke any token, its own included), and every later
   request would get 401, so the rest of the run would test nothing. Other token ids, including
   the tokens the stateful phase creates and then revokes, are sent as generated. fuzz.py names
   the run's token id in PCMH_FUZZ_TOKEN_ID, and checks after the run that the token still works.

2. A rule no schema can state (a staff member of another practice, a term missing from the
   practice's catalog version, `to` before `from`...) is documented in the operation's
   description, after the words "Rules no schema can state", each rule's name in backquotes in
   parentheses: "`staff_id` not on this practice's staff (`same_practice`)". Schema-valid data
   refused with 422 (or a 400 naming its code) is accepted when every rule the answer names is one the description
   declares; any other refusal stays a failure (of positive_data_acceptance, ST202). The run's
   summary counts the failures dropped this way.
"""

from __future__ import annotations

import json
import os
import re

import schemathesis

REVOKE_PATH = "/api/v1/tokens/{token_id}"
DECLARATION = "Rules no schema can state"
PARENTHESES = re.compile(r"\(([^()]*)\)")
RULE_NAME = re.compile(r"`([a-z][a-z0-9_]*)`")


def _own_token_id() -> int | None:
    value = os.environ.get("PCMH_FUZZ_TOKEN_ID", "").strip()
    return int(value) if value.isdigit() else None


def _as_id(value: object) -> int | None:
    """The id the server would read from a path segment, as far as Python can tell."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    operation = case.operation
    if operation.method.upper() != "DELETE" or operation.path != REVOKE_PATH:
        return True
    own = _own_token_id()
    if own is None:
        return True
    return _as_id((case.path_parameters or {}).get("token_id")) != own


def declared_rules(description: str) -> set[str]:
    """The rule names an operation's description declares beyond its schemas."""
    start = description.find(DECLARATION)
    if start < 0:
        return set()
    return {name for group in PARENTHESES.findall(description[start:]) for name in RULE_NAME.findall(group)}


def refused_rules(content: bytes) -> set[str]:
    """The rules a refusal names (`error.fields[].rule`; a 400 without fields names its
    `error.code`, e.g. `malformed_csv`), or none when it names none."""
    try:
        error = json.loads(content)["error"]
        rules = {field["rule"] for field in error.get("fields") or []}
        return rules or {error["code"]}
    except (ValueError, KeyError, TypeError):
        return set()


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    if failure.code != "ST202" or response.status_code not in (400, 422):
        return True
    rules = refused_rules(response.content)
    description = (case.operation.definition.raw or {}).get("description") or ""
    return not rules or not rules <= declared_rules(description)
