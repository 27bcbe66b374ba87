"""jointaid.kafka_acls: each principal's ACLs follow contracts.routes, and the script grants exactly those."""
from __future__ import annotations

from contracts import routes
from jointaid import registry
from contracts.topics import DLQ
from jointaid import kafka_acls
from jointaid.kafka_acls import Acl
from services.kit.consumer import topic_of
from services.kit.settings import SERVICES


def by_operation(acls, operation: str, kind: str = "topic") -> set[str]:
    return {acl.name for acl in acls if (acl.operation, acl.resource_type) == (operation, kind)}


def test_every_service_has_acls_and_only_its_own():
    bindings = kafka_acls.bindings()
    assert set(SERVICES) <= set(bindings)
    for name, acls in bindings.items():
        assert {acl.principal for acl in acls} == {f"User:{name}"}
        assert list(acls) == sorted(set(acls)), "sorted, no duplicates"


def test_a_service_writes_only_what_it_produces_and_the_dlq():
    for service in SERVICES:
        acls = kafka_acls.bindings()[service]
        produced = {topic_of(event) for event, who in routes.PRODUCERS.items() if service in who}
        assert by_operation(acls, "Write") == produced | ({DLQ} if service in registry.dlq_producers() else set())


def test_a_consumer_reads_its_topics_and_its_own_group():
    groups = kafka_acls.group_ids()
    for service in SERVICES:
        acls = kafka_acls.bindings()[service]
        consumed = {topic_of(event) for event, who in registry.consumers().items() if service in who}
        assert by_operation(acls, "Read") == consumed
        assert by_operation(acls, "Read", "group") == ({groups[service]} if consumed else set())
        assert groups[service] == service  # the runner's group id
        assert by_operation(acls, "IdempotentWrite", "cluster") == {kafka_acls.CLUSTER}


def test_only_the_metrics_reader_describes_others():
    for service, acls in kafka_acls.bindings().items():
        described = {acl for acl in acls if acl.operation == "Describe"}
        assert bool(described) == (service == kafka_acls.METRICS_READER)
    reader = kafka_acls.bindings()[kafka_acls.METRICS_READER]
    assert kafka_acls.METRICS_READER not in by_operation(reader, "Describe", "group"), "its own group is Read already"


def test_a_new_route_is_granted_without_editing_the_acls(monkeypatch):
    monkeypatch.setitem(routes.PRODUCERS, "aid.example.made.v1", ("notification", "somebody_else"))
    acls = kafka_acls.bindings()
    assert "aid.example.made" in by_operation(acls["notification"], "Write")
    assert "aid.example.made" not in by_operation(acls["intake"], "Write")
    outsider = acls["somebody_else"]  # not one of our services: what it reads is not in this code
    assert {(acl.operation, acl.name) for acl in outsider} == {("Write", "aid.example.made"),
                                                               ("IdempotentWrite", kafka_acls.CLUSTER)}


def test_commands_grant_one_operation_each_and_expand_back_to_the_bindings():
    everything = {acl for acls in kafka_acls.bindings().values() for acl in acls}
    assert kafka_acls.parse_script(kafka_acls.render_script()) == everything
    for acls in kafka_acls.bindings().values():
        calls = kafka_acls.commands(acls)
        assert len({tuple(call[:2]) for call in calls}) == len(calls), "one call per (principal, operation)"


def test_commands_of_a_small_set():
    acls = (Acl("User:a", "Read", "group", "a"), Acl("User:a", "Read", "topic", "t1"),
            Acl("User:a", "Write", "topic", "t2"), Acl("User:a", "IdempotentWrite", "cluster", kafka_acls.CLUSTER))
    assert kafka_acls.commands(acls) == [
        ["User:a", "IdempotentWrite", "--cluster"],
        ["User:a", "Read", "--group", "a", "--topic", "t1"],
        ["User:a", "Write", "--topic", "t2"],
    ]


def test_check_and_write(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(kafka_acls, "ROOT", tmp_path)
    assert kafka_acls.main(["--check"]) == 1
    assert "drifted" in capsys.readouterr().err
    assert kafka_acls.main([]) == 0
    assert (tmp_path / kafka_acls.SCRIPT_PATH).read_text(encoding="utf-8") == kafka_acls.render_script()
    assert kafka_acls.main(["--check"]) == 0


def test_the_script_never_prints_the_admin_password():
    script = kafka_acls.render_script()
    assert "set -x" not in script
    echoed = [line for line in script.splitlines() if line.lstrip().startswith("echo")]
    assert echoed and all("password" not in line for line in echoed)
