"""A client generated from openapi/openapi.json by a second, independent generator
(openapi-python-client) talks to the real `pcmh serve --demo`.

It must generate (with only the gaps the generator itself has, listed in GENERATOR_GAPS), record a
training of a staff member, read it back, and read the practice's compliance; every answer is
parsed by the generated models, which fail on a field the document describes otherwise. Every
instant read (tokens, audit events, attestations, documents, compliance) must carry its UTC
offset, and a document's content must be the bytes its record describes. The client is generated
into a temporary folder at each run.

Environment:
    PCMH_BIN   the pcmh binary (default target/debug/pcmh)
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from demo_server import REPO, Server, pcmh_binary

HERE = Path(__file__).resolve().parent
DOCUMENT = REPO / "openapi" / "openapi.json"
GENERATOR_CONFIG = HERE / "openapi-python-client.yaml"
PACKAGE = "pcmh_client"
DEMO_ORGANIZATION = "Lakeside Physician Organization (demo)"
DEMO_PRACTICE = "Maple Street Family Medicine"  # the demo practice manager's practice

# What openapi-python-client cannot generate, whatever the document says: it writes request
# bodies only as JSON, forms, multipart and application/octet-stream, so it leaves out the CSV
# import. Each entry: (method, path, words of its warning). (Answers of other media types are
# read as bytes: see content_type_overrides in openapi-python-client.yaml.)
GENERATOR_GAPS = [
    ("POST", "/api/v1/practices/{practice_id}/trainings/import", "Unsupported content type text/csv"),
]

WARNING_HEAD = re.compile(r"^WARNING parsing (\w+) (\S+) within", re.MULTILINE)


@dataclasses.dataclass
class Generated:
    package: Any
    output: str
    warnings: list[tuple[str, str, str]]  # (method, path, the warning's text)


def generator() -> Path:
    command = Path(sys.executable).parent / "openapi-python-client"
    if not command.exists():
        pytest.fail(f"openapi-python-client is not installed beside {sys.executable} (see tests/contract/README.md)")
    return command


def parse_warnings(output: str) -> list[tuple[str, str, str]]:
    """Each `WARNING parsing METHOD PATH within ...` block of the generator's output."""
    heads = list(WARNING_HEAD.finditer(output))
    found = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(output)
        found.append((head.group(1), head.group(2), output[head.end() : end]))
    return found


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    folder = tmp_path_factory.mktemp("generated")
    result = subprocess.run(
        [
            str(generator()),
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--config",
            str(GENERATOR_CONFIG),
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"openapi-python-client failed ({result.returncode}):\n{output}"
    sys.path.insert(0, str(folder))
    package = importlib.import_module(PACKAGE)
    return Generated(package=package, output=output, warnings=parse_warnings(output))


@pytest.fixture(scope="module")
def server():
    running = Server(pcmh_binary())
    yield running
    running.stop()


def client(generated: Generated, server: Server, role: str):
    return generated.package.AuthenticatedClient(
        base_url=server.base,
        token=server.token(role),
        raise_on_unexpected_status=True,
        timeout=30.0,
    )


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def expect(answer: Any, model: str) -> Any:
    """`answer` when the generated client parsed it as `model` (an error is parsed as ErrorBody)."""
    if type(answer).__name__ != model:
        error = getattr(answer, "error", None)
        detail = error.to_dict() if hasattr(error, "to_dict") else answer
        pytest.fail(f"expected a {model}, got {type(answer).__name__}: {detail}")
    return answer


def instants(value: Any, path: str = "") -> list[tuple[str, datetime.datetime]]:
    """Every datetime in a parsed answer (the generated models and what they hold), with its place."""
    if isinstance(value, datetime.datetime):
        return [(path, value)]
    if isinstance(value, (list, tuple)):
        return [found for i, item in enumerate(value) for found in instants(item, f"{path}[{i}]")]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in instants(item, f"{path}.{key}")]
    fields = getattr(type(value), "__attrs_attrs__", None)
    if fields is None:
        return []
    return [found for field in fields for found in instants(getattr(value, field.name), f"{path}.{field.name}")]


def assert_instants_have_offsets(answer: Any, what: str) -> int:
    naive = [f"{place} = {value.isoformat()}" for place, value in instants(answer) if value.utcoffset() is None]
    assert not naive, f"{what}: instants without a UTC offset (RFC 3339 needs one):\n" + "\n".join(naive[:20])
    return len(instants(answer))


def demo_practice_id(generated: Generated, server: Server) -> int:
    admin = client(generated, server, "admin")
    organizations = expect(
        module("api.organizations.list_organizations").sync(client=admin, limit=500), "ListingOrganization"
    )
    organization = next((o for o in organizations.items if o.name == DEMO_ORGANIZATION), None)
    assert organization is not None, [o.name for o in organizations.items]
    practices = expect(
        module("api.practices.list_practices").sync(organization.id, client=admin, limit=500), "ListingPractice"
    )
    practice = next((p for p in practices.items if p.name == DEMO_PRACTICE), None)
    assert practice is not None, [p.name for p in practices.items]
    return practice.id


def test_the_document_generates_a_client(generated: Generated):
    unexpected = [
        f"{method} {path}:{text}"
        for method, path, text in generated.warnings
        if not any(
            (method, path) == (gap_method, gap_path) and words in text for gap_method, gap_path, words in GENERATOR_GAPS
        )
    ]
    assert not unexpected, "the generator could not read parts of the document:\n" + "\n".join(unexpected)
    for name in (
        "api.trainings.create_training",
        "api.trainings.get_training",
        "api.staff.list_staff",
        "api.practices.get_practice_compliance",
        "models.new_training",
    ):
        module(name)


def test_a_practice_manager_records_a_training_and_reads_compliance(generated: Generated, server: Server):
    practice_id = demo_practice_id(generated, server)
    manager = client(generated, server, "practice_manager")

    practice = expect(module("api.practices.get_practice").sync(practice_id, client=manager), "Practice")
    assert practice.id == practice_id and practice.name == DEMO_PRACTICE
    catalog = module("api.catalogs.get_catalog").sync(practice.catalog_id, practice.catalog_version, client=manager)
    topics = sorted(catalog.additional_properties["vocabulary"]["training_topics"])
    assert topics, catalog.additional_properties.get("vocabulary")

    staff = expect(module("api.staff.list_staff").sync(practice_id, client=manager, limit=500), "ListingStaff")
    assert staff.total >= len(staff.items) > 0
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    active = [s for s in staff.items if s.started_on <= yesterday and not s.ended_on]
    assert active, [(s.name, s.started_on, s.ended_on) for s in staff.items]
    member = active[0]

    new_training = module("models.new_training").NewTraining(
        staff_id=member.id,
        topic=topics[0],
        completed_on=yesterday,
        hours=1.5,
        trainer="Contract test trainer",
    )
    answer = module("api.trainings.create_training").sync_detailed(practice_id, client=manager, body=new_training)
    assert answer.status_code == 201, answer.content
    record = answer.parsed
    assert type(record).__name__ == "TrainingRecord", answer.content
    assert (record.staff_id, record.topic, record.completed_on, record.hours, record.trainer) == (
        member.id,
        topics[0],
        yesterday,
        1.5,
        "Contract test trainer",
    )

    again = expect(module("api.trainings.get_training").sync(practice_id, record.id, client=manager), "TrainingRecord")
    assert again.to_dict() == record.to_dict()
    listed = expect(
        module("api.trainings.list_trainings").sync(
            practice_id, client=manager, staff_id=member.id, topic=topics[0], limit=500
        ),
        "ListingTrainingRecord",
    )
    assert record.id in [t.id for t in listed.items]

    compliance = expect(
        module("api.practices.get_practice_compliance").sync(practice_id, client=manager), "PracticeCompliance"
    )
    assert compliance.practice.id == practice_id
    assert (compliance.catalog_id, compliance.catalog_version) == (practice.catalog_id, practice.catalog_version)
    assert compliance.criteria, "a compliance with no criterion"
    counted = sum(
        [
            compliance.summary.met,
            compliance.summary.partially_met,
            compliance.summary.not_met,
            compliance.summary.not_applicable,
        ]
    )
    assert counted == len(compliance.criteria), compliance.summary
    assert_instants_have_offsets(compliance, "GET /api/v1/practices/{id}/compliance")


def test_every_instant_a_client_reads_carries_its_offset(generated: Generated, server: Server):
    admin = client(generated, server, "admin")
    read = 0
    tokens = expect(module("api.tokens.list_tokens").sync(client=admin, limit=500), "ListingTokenInfo")
    read += assert_instants_have_offsets(tokens, "GET /api/v1/tokens")
    events = expect(module("api.audit.list_audit_events").sync(client=admin, limit=500), "ListingAuditEvent")
    read += assert_instants_have_offsets(events, "GET /api/v1/audit-events")
    practice_id = demo_practice_id(generated, server)
    attestations = expect(
        module("api.attestations.list_practice_attestations").sync(practice_id, client=admin, limit=500),
        "ListingAttestationRecord",
    )
    read += assert_instants_have_offsets(attestations, "GET /api/v1/practices/{id}/attestations")
    documents = expect(
        module("api.documents.list_practice_documents").sync(practice_id, client=admin, limit=500),
        "ListingStoredDocument",
    )
    read += assert_instants_have_offsets(documents, "GET /api/v1/practices/{id}/documents")
    assert read > 0, "the demo's tokens, events, attestations and documents carried no instant at all"


def test_a_document_downloads_as_the_bytes_recorded(generated: Generated, server: Server):
    practice_id = demo_practice_id(generated, server)
    manager = client(generated, server, "practice_manager")
    documents = expect(
        module("api.documents.list_practice_documents").sync(practice_id, client=manager, limit=500),
        "ListingStoredDocument",
    )
    assert documents.items, "the demo practice has no document"
    document = documents.items[0]
    answer = module("api.documents.get_practice_document_content").sync_detailed(
        practice_id, document.id, client=manager
    )
    assert answer.status_code == 200, answer.content
    content = expect(answer.parsed, "File").payload.read()
    assert len(content) == document.size_bytes
    assert hashlib.sha256(content).hexdigest() == document.sha256
    assert answer.headers["content-type"].split(";")[0].strip() == document.media_type
