"""deploy/: the container file, the Kubernetes manifests and the systemd unit agree with each other and with
the launcher: they parse, name the same ports everywhere, start `./pyfleet node` and hand it the token."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
GATEWAY_PORT = 7450
ARTERY_PORT = 25520


def containerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "container" / "Containerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Containerfile ends inside a continued line"
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = containerfile()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def one(instructions: list[tuple[str, str]], keyword: str) -> str:
    found = [args for k, args in instructions if k == keyword]
    assert len(found) == 1, f"{keyword}: {found}"
    return found[0]


def manifests() -> dict[tuple[str, str], dict]:
    """Every document of deploy/k8s/*.yaml, by (kind, name)."""
    documents: dict[tuple[str, str], dict] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            assert isinstance(doc, dict), f"{path.name}: a document that is not a mapping"
            assert doc.get("apiVersion"), f"{path.name}: no apiVersion"
            if doc["kind"] == "Kustomization":
                documents[("Kustomization", path.name)] = doc
                continue
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in documents, f"{key} defined twice"
            documents[key] = doc
    return documents


def option_values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == option]


def the_statefulset(docs: dict) -> dict:
    sets = [doc for (kind, _), doc in docs.items() if kind == "StatefulSet"]
    assert len(sets) == 1
    return sets[0]


def node_container(statefulset: dict) -> dict:
    containers = statefulset["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_the_container_runs_the_launcher_as_a_non_root_user() -> None:
    stage = final_stage()
    entrypoint = json.loads(one(stage, "ENTRYPOINT"))    # exec form: SIGTERM reaches the node itself
    assert entrypoint[1:] == ["node"]
    copies = [args.split() for k, args in stage if k == "COPY"]
    assert ["--from=build", "/src", "/opt/pyfleet"] in copies
    assert entrypoint[0] == "/opt/pyfleet/pyfleet"    # the repository's launcher, copied whole
    assert os.access(REPO / "pyfleet", os.X_OK)
    build_workdir = one(containerfile()[:len(containerfile()) - len(stage)], "WORKDIR")
    assert build_workdir == "/src"
    user = one(stage, "USER").split(":")[0]
    assert user not in ("0", "root")
    assert any(k == "RUN" and "python3" in args and "apt-get install" in args for k, args in stage)
    assert "-jre" in one(stage, "FROM")


def test_the_container_exposes_the_gateway_and_artery_and_binds_everywhere_inside() -> None:
    stage = final_stage()
    exposed = {int(port.split("/")[0]) for port in one(stage, "EXPOSE").split()}
    assert exposed == {GATEWAY_PORT, ARTERY_PORT}
    cmd = json.loads(one(stage, "CMD"))
    assert option_values(cmd, "--port") == [str(GATEWAY_PORT)]
    assert option_values(cmd, "--bind") == ["0.0.0.0"]


def test_the_gateway_port_is_the_nodes_default() -> None:
    conf = (REPO / "conf" / "application.conf").read_text()
    gateway = conf[conf.index("gateway {"):]
    assert re.search(r"^\s*port = (\d+)", gateway, re.MULTILINE).group(1) == str(GATEWAY_PORT)


def test_the_artery_port_is_the_nodes_default() -> None:
    conf = (REPO / "conf" / "application.conf").read_text()
    section = re.search(r"^  cluster \{(.*?)^  \}", conf, re.MULTILINE | re.DOTALL)
    if section is None:
        pytest.skip("conf/application.conf has no pyfleet.cluster section yet (cluster mode, issue 11)")
    assert re.search(r"^\s*port = (\d+)", section.group(1), re.MULTILINE).group(1) == str(ARTERY_PORT)


def test_the_manifests_parse_and_kustomize_lists_them_all() -> None:
    docs = manifests()
    kustomization = docs[("Kustomization", "kustomization.yaml")]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert {kind for kind, _ in docs} == {"Kustomization", "Secret", "Service", "StatefulSet"}
    image = node_container(the_statefulset(docs))["image"].split(":")[0]
    assert image in {entry["name"] for entry in kustomization["images"]}


def test_the_statefulset_ports_and_options_match_the_container() -> None:
    container = node_container(the_statefulset(manifests()))
    assert "command" not in container    # the image's entry point, the launcher, runs
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"gateway": GATEWAY_PORT, "artery": ARTERY_PORT}
    exposed = {int(p.split("/")[0]) for p in one(final_stage(), "EXPOSE").split()}
    assert set(ports.values()) == exposed
    args = container["args"]
    assert option_values(args, "--port") == [str(GATEWAY_PORT)]
    assert option_values(args, "--cluster-port") == [str(ARTERY_PORT)]


def test_seeds_are_the_statefulsets_stable_names_on_the_headless_service() -> None:
    docs = manifests()
    statefulset = the_statefulset(docs)
    name, headless = statefulset["metadata"]["name"], statefulset["spec"]["serviceName"]
    service = docs[("Service", headless)]["spec"]
    assert service["clusterIP"] == "None"
    assert service["publishNotReadyAddresses"] is True
    assert [(p["port"], p["targetPort"]) for p in service["ports"]] == [(ARTERY_PORT, "artery")]

    args = node_container(statefulset)["args"]
    domain = f".{headless}.$(POD_NAMESPACE).svc.cluster.local"
    assert option_values(args, "--bind") == [f"$(POD_NAME){domain}"]
    assert option_values(args, "--name") == ["$(POD_NAME)"]
    seeds = option_values(args, "--seed")
    assert seeds, "no --seed"
    assert seeds[0] == f"{name}-0{domain}:{ARTERY_PORT}"    # pod 0 forms a new cluster
    for seed in seeds:
        host, port = seed.rsplit(":", 1)
        assert port == str(ARTERY_PORT)
        ordinal = re.fullmatch(rf"{re.escape(name)}-(\d+){re.escape(domain)}", host)
        assert ordinal and int(ordinal.group(1)) < statefulset["spec"]["replicas"], seed
    env = {e["name"] for e in node_container(statefulset)["env"]}
    assert {"POD_NAME", "POD_NAMESPACE"} <= env


def test_the_gateway_service_reaches_the_gateway_port() -> None:
    docs = manifests()
    statefulset = the_statefulset(docs)
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert statefulset["spec"]["selector"]["matchLabels"].items() <= labels.items()
    gateways = [doc for (kind, name), doc in docs.items()
                if kind == "Service" and name != statefulset["spec"]["serviceName"]]
    assert len(gateways) == 1
    spec = gateways[0]["spec"]
    assert spec.get("clusterIP") != "None"
    assert [(p["port"], p["targetPort"]) for p in spec["ports"]] == [(GATEWAY_PORT, "gateway")]
    for (kind, _), doc in docs.items():
        if kind == "Service":
            assert doc["spec"]["selector"].items() <= labels.items()


def test_the_token_secret_is_consumed_as_pyfleet_token() -> None:
    docs = manifests()
    env = {e["name"]: e for e in node_container(the_statefulset(docs))["env"]}
    ref = env["PYFLEET_TOKEN"]["valueFrom"]["secretKeyRef"]
    secret = docs[("Secret", ref["name"])]
    values = {**secret.get("stringData", {}), **secret.get("data", {})}
    assert ref["key"] in values
    # The placeholder is too short for a node to accept (GatewayToken.MIN_LENGTH = 16): it cannot run as is.
    assert len(values[ref["key"]]) < 16
    assert "--token-file" not in node_container(the_statefulset(docs))["args"]


def unit() -> dict[str, dict[str, list[str]]]:
    """The systemd unit's sections: key -> every value given (keys may repeat), continuations joined."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    pending = ""
    for raw in (DEPLOY / "systemd" / "pyfleet-node.service").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def test_the_systemd_unit_runs_the_launcher_with_the_same_ports() -> None:
    service = unit()["Service"]
    command = shlex.split(service["ExecStart"][0])
    assert command[:2] == ["/opt/pyfleet/pyfleet", "node"]
    defaults = dict(item.split("=", 1) for item in service["Environment"][0].split())
    assert command[command.index("--port") + 1] == "${PYFLEET_PORT}"
    assert command[command.index("--cluster-port") + 1] == "${PYFLEET_CLUSTER_PORT}"
    assert defaults["PYFLEET_PORT"] == str(GATEWAY_PORT)
    assert defaults["PYFLEET_CLUSTER_PORT"] == str(ARTERY_PORT)
    assert defaults["PYFLEET_BIND"] == "127.0.0.1"    # only the container listens everywhere by default

    example = dict(line.split("=", 1) for line in (DEPLOY / "systemd" / "node.env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    seeds = option_values(example["PYFLEET_NODE_ARGS"].split(), "--seed")
    assert seeds and all(seed.endswith(f":{example['PYFLEET_CLUSTER_PORT']}") for seed in seeds)
    assert example["PYFLEET_PORT"] == str(GATEWAY_PORT)


def test_the_systemd_unit_is_hardened_restarts_and_gets_the_token() -> None:
    sections = unit()
    service = sections["Service"]
    assert service["User"] == ["pyfleet"]
    assert "/etc/pyfleet/token" in service["EnvironmentFile"]
    assert service["Restart"] == ["on-failure"]
    assert service["KillMode"] == ["mixed"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    # These would stop the JVM's JIT, C extensions, or the forking of Python workers.
    assert "MemoryDenyWriteExecute" not in service
    assert "SystemCallFilter" not in service
    assert int(service["TasksMax"][0]) >= 1024
    assert "pyfleet" in (DEPLOY / "systemd" / "pyfleet.sysusers.conf").read_text().split()


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The paths of an installed node, pointed at this checkout and at empty files.
    text = (DEPLOY / "systemd" / "pyfleet-node.service").read_text()
    text = text.replace("/opt/pyfleet/pyfleet", str(REPO / "pyfleet")).replace("/etc/pyfleet/", f"{tmp_path}/")
    (tmp_path / "pyfleet-node.service").write_text(text)
    result = subprocess.run([analyze, "verify", str(tmp_path / "pyfleet-node.service")], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    problems = [line for line in result.stderr.splitlines() if "pyfleet-node.service" in line]
    assert problems == []


def test_kustomize_renders_the_manifests() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    rendered = list(yaml.safe_load_all(result.stdout))
    assert sorted(doc["kind"] for doc in rendered) == ["Secret", "Service", "Service", "StatefulSet"]
