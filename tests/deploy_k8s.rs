//! `deploy/k8s` checked against itself, against the Strimzi and KEDA fields that matter, and
//! against the real `leakwatch` binary: each Deployment's ConfigMap is run through
//! `leakwatch config check --role ROLE` (the role taken from the container's args), and the
//! topics, consumer groups, listen ports and files that the binary reports are compared with the
//! KafkaTopics, ScaledObjects, HPAs, probes and volumes. So the manifests and the program cannot
//! drift apart. (`scripts/k8s-check.sh` validates the built-in kinds against the Kubernetes
//! schemas; this test needs no network and no cluster.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Value, json};

const LEAKWATCH: &str = env!("CARGO_BIN_EXE_leakwatch");

fn k8s_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s")
}

/// One YAML document of a file under deploy/k8s.
struct Doc {
    file: PathBuf,
    value: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }
    fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }
    fn what(&self) -> String {
        format!("{} {} ({})", self.kind(), self.name(), self.file.display())
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

fn parse_docs(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// Every document of every manifest (kustomizations apart).
fn docs() -> &'static [Doc] {
    static DOCS: OnceLock<Vec<Doc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut files = Vec::new();
        yaml_files(&k8s_dir(), &mut files);
        files
            .into_iter()
            .filter(|f| f.file_name().unwrap() != "kustomization.yaml")
            .flat_map(|file| {
                parse_docs(&file).into_iter().map(move |value| Doc {
                    file: file.clone(),
                    value,
                })
            })
            .collect()
    })
}

fn of_kind(kind: &str) -> Vec<&'static Doc> {
    docs().iter().filter(|d| d.kind() == kind).collect()
}

fn find(kind: &str, name: &str) -> &'static Doc {
    docs()
        .iter()
        .find(|d| d.kind() == kind && d.name() == name)
        .unwrap_or_else(|| panic!("no {kind} named {name:?} under deploy/k8s"))
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// A Deployment's one container, its role, and what `leakwatch config check` said of its config.
struct Role {
    deployment: &'static Doc,
    role: &'static str,
    summary: Value,
}

impl Role {
    fn pod(&self) -> &'static Value {
        &self.deployment.value["spec"]["template"]["spec"]
    }
    fn container(&self) -> &'static Value {
        &self.pod()["containers"][0]
    }
    /// The volume mounted at the longest mount path that holds `path`: (mount, volume).
    fn volume_of(&self, path: &str) -> (&'static Value, &'static Value) {
        let mount = arr(&self.container()["volumeMounts"])
            .iter()
            .filter(|m| {
                let mp = m["mountPath"].as_str().unwrap();
                path.starts_with(&format!("{}/", mp.trim_end_matches('/')))
            })
            .max_by_key(|m| m["mountPath"].as_str().unwrap().len())
            .unwrap_or_else(|| panic!("{}: {path} is on no volume", self.deployment.what()));
        let volume = arr(&self.pod()["volumes"])
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap_or_else(|| panic!("{}: no volume {}", self.deployment.what(), mount["name"]));
        (mount, volume)
    }
}

fn run_leakwatch(args: &[&str]) -> Output {
    Command::new(LEAKWATCH).args(args).output().unwrap()
}

fn role_of(args: &[&str]) -> &'static str {
    match args {
        ["crawl", ..] => "crawl",
        ["match", ..] => "match",
        ["alerts", "serve", ..] => "alerts",
        other => panic!("container args {other:?} start no known leakwatch role"),
    }
}

/// Every Deployment, with its ConfigMap checked by the binary as its role.
fn roles() -> &'static [Role] {
    static ROLES: OnceLock<Vec<Role>> = OnceLock::new();
    ROLES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        of_kind("Deployment")
            .into_iter()
            .map(|d| {
                let pod = &d.value["spec"]["template"]["spec"];
                let containers = arr(&pod["containers"]);
                assert_eq!(containers.len(), 1, "{}: one container", d.what());
                let c = &containers[0];
                assert!(
                    c["command"].is_null(),
                    "{}: the image's entrypoint (leakwatch) runs; give args only",
                    d.what()
                );
                let args: Vec<&str> = arr(&c["args"])
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                let role = role_of(&args);
                // The args are a command line the binary accepts.
                let mut help = args.clone();
                help.push("--help");
                let out = run_leakwatch(&help);
                assert!(
                    out.status.success(),
                    "{}: `leakwatch {}` is not a valid command line: {}",
                    d.what(),
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
                let at = args
                    .iter()
                    .position(|a| *a == "--config")
                    .unwrap_or_else(|| panic!("{}: no --config in {args:?}", d.what()));
                let config_path = args[at + 1];
                // The ConfigMap behind that path.
                let r = Role {
                    deployment: d,
                    role,
                    summary: Value::Null,
                };
                let (mount, volume) = r.volume_of(config_path);
                assert_eq!(mount["readOnly"], true, "{}: config mount", d.what());
                let cm_name = volume["configMap"]["name"].as_str().unwrap_or_else(|| {
                    panic!("{}: {config_path} is not from a ConfigMap", d.what())
                });
                let key = config_path
                    .strip_prefix(mount["mountPath"].as_str().unwrap())
                    .unwrap()
                    .trim_start_matches('/');
                let toml = find("ConfigMap", cm_name).value["data"][key]
                    .as_str()
                    .unwrap_or_else(|| panic!("ConfigMap {cm_name} has no key {key}"));
                let file = dir.path().join(format!("{cm_name}.toml"));
                std::fs::write(&file, toml).unwrap();
                let out = run_leakwatch(&[
                    "config",
                    "check",
                    "--role",
                    role,
                    "--config",
                    file.to_str().unwrap(),
                ]);
                assert!(
                    out.status.success(),
                    "ConfigMap {cm_name} is refused by `leakwatch config check --role {role}`: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(summary["role"], role);
                Role { summary, ..r }
            })
            .collect()
    })
}

fn role(name: &str) -> &'static Role {
    roles()
        .iter()
        .find(|r| r.role == name)
        .unwrap_or_else(|| panic!("no Deployment runs `leakwatch {name}`"))
}

/// The Kafka settings every role shares (one `[transport]` table in all ConfigMaps).
fn transport() -> &'static Value {
    let t = &role("match").summary["transport"];
    assert_eq!(t["type"], "kafka");
    t
}

/// KafkaTopics by topic name: (doc, partitions).
fn topics() -> BTreeMap<String, (&'static Doc, i64)> {
    of_kind("KafkaTopic")
        .into_iter()
        .map(|d| {
            let spec = &d.value["spec"];
            let name = spec["topicName"].as_str().unwrap_or(d.name()).to_owned();
            (name, (d, int(&spec["partitions"])))
        })
        .collect()
}

/// The topic a Deployment's role consumes in a consumer group, and the group.
fn consumed(deployment: &str) -> (String, String) {
    let r = roles()
        .iter()
        .find(|r| r.deployment.name() == deployment)
        .unwrap_or_else(|| panic!("no Deployment {deployment}"));
    let c = &arr(&r.summary["consumes"])[0];
    (
        c["topic"].as_str().unwrap().to_owned(),
        c["group"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn every_role_runs_with_its_configmap_accepted_by_the_binary() {
    let names: BTreeSet<&str> = roles().iter().map(|r| r.role).collect();
    assert_eq!(names, BTreeSet::from(["alerts", "crawl", "match"]));
    // One [transport] table in every ConfigMap.
    for r in roles() {
        assert_eq!(
            &r.summary["transport"],
            transport(),
            "{}",
            r.deployment.what()
        );
    }
    // The groups the scalers watch are the ones the processes join.
    let t = transport();
    assert_eq!(
        consumed("leakwatch-matcher"),
        (
            t["pages_topic"].as_str().unwrap().into(),
            t["matcher_group"].as_str().unwrap().into()
        )
    );
    assert_eq!(
        consumed("leakwatch-crawler"),
        (
            t["crawl_tasks_topic"].as_str().unwrap().into(),
            t["crawler_group"].as_str().unwrap().into()
        )
    );
    assert_eq!(
        consumed("leakwatch-alerts"),
        (
            t["alerts_topic"].as_str().unwrap().into(),
            t["store_group"].as_str().unwrap().into()
        )
    );
}

#[test]
fn files_come_from_the_right_volumes_and_secrets_never_from_the_environment() {
    for r in roles() {
        let what = r.deployment.what();
        for f in arr(&r.summary["reads"]) {
            let (key, path) = (f["key"].as_str().unwrap(), f["path"].as_str().unwrap());
            let (mount, volume) = r.volume_of(path);
            assert_eq!(
                mount["readOnly"], true,
                "{what}: {key} {path} on a writable mount"
            );
            if f["secret"] == true {
                let items = arr(&volume["secret"]["items"]);
                let file = path.rsplit('/').next().unwrap();
                assert!(
                    !volume["secret"].is_null() && items.iter().any(|i| i["path"] == file),
                    "{what}: {key} {path} is not a file of a Secret volume"
                );
                let mode = int(&volume["secret"]["defaultMode"]);
                assert_eq!(
                    mode & 0o007,
                    0,
                    "{what}: {key} readable by others ({mode:o})"
                );
            }
        }
        for f in arr(&r.summary["writes"]) {
            let (key, path) = (f["key"].as_str().unwrap(), f["path"].as_str().unwrap());
            let (mount, volume) = r.volume_of(path);
            assert_ne!(
                mount["readOnly"], true,
                "{what}: {key} {path} on a read-only mount"
            );
            assert!(
                !volume["emptyDir"].is_null() || !volume["persistentVolumeClaim"].is_null(),
                "{what}: {key} {path} is not on an emptyDir or a PersistentVolumeClaim"
            );
        }
    }
    // The matcher: the bundle from the PVC, the key from the Secret, as files.
    let m = role("match");
    let reads = arr(&m.summary["reads"]);
    let path_of = |key: &str| {
        reads
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("matcher reads no {key}"))["path"]
            .as_str()
            .unwrap()
    };
    let (_, bundle) = m.volume_of(path_of("matcher.bundle_path"));
    let claim = bundle["persistentVolumeClaim"]["claimName"]
        .as_str()
        .unwrap();
    find("PersistentVolumeClaim", claim);
    let (_, key) = m.volume_of(path_of("matcher.key_file"));
    assert_eq!(key["secret"]["secretName"], "leakwatch-key");
    // No Secret reaches any container through the environment.
    for d in docs() {
        let text = d.value.to_string();
        for needle in ["secretKeyRef", "secretRef"] {
            assert!(
                !text.contains(needle),
                "{}: {needle} (secrets go in as files)",
                d.what()
            );
        }
    }
    // Only crawlers run, or are set up to run, the embedded Tor client.
    for r in roles() {
        let onion = arr(&r.summary["writes"])
            .iter()
            .any(|f| f["key"].as_str().unwrap().starts_with("onion."));
        assert_eq!(
            onion || r.summary["tor"] == true,
            r.role == "crawl",
            "{}",
            r.deployment.what()
        );
    }
}

#[test]
fn containers_are_locked_down_and_probed_on_the_ports_they_listen_on() {
    let pods = of_kind("Deployment")
        .into_iter()
        .map(|d| (d, &d.value["spec"]["template"]["spec"]))
        .chain(of_kind("Pod").into_iter().map(|d| (d, &d.value["spec"])));
    for (d, pod) in pods {
        let what = d.what();
        let psc = &pod["securityContext"];
        assert_eq!(psc["runAsNonRoot"], true, "{what}");
        assert!(int(&psc["runAsUser"]) > 0, "{what}");
        assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{what}");
        for forbidden in ["hostNetwork", "hostPID", "hostIPC"] {
            assert_ne!(pod[forbidden], true, "{what}: {forbidden}");
        }
        for v in arr(&pod["volumes"]) {
            assert!(v["hostPath"].is_null(), "{what}: hostPath volume");
        }
        for c in arr(&pod["containers"]) {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{what}");
            assert_ne!(sc["privileged"], true, "{what}");
            assert!(
                arr(&sc["capabilities"]["drop"]).contains(&json!("ALL")),
                "{what}"
            );
            assert!(arr(&sc["capabilities"]["add"]).is_empty(), "{what}");
            assert_eq!(sc["runAsNonRoot"], true, "{what}");
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{what}");
            for bound in ["requests", "limits"] {
                for res in ["cpu", "memory"] {
                    assert!(
                        !c["resources"][bound][res].is_null(),
                        "{what}: resources.{bound}.{res}"
                    );
                }
            }
        }
    }
    for r in roles() {
        let what = r.deployment.what();
        let c = r.container();
        let listen = r.summary["listen"]
            .as_object()
            .and_then(|l| l.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| {
                panic!("{what}: the config listens nowhere ([ops] or [api] listen)")
            });
        let port: i64 = listen.rsplit(':').next().unwrap().parse().unwrap();
        let declared = arr(&c["ports"])
            .iter()
            .find(|p| int(&p["containerPort"]) == port)
            .unwrap_or_else(|| panic!("{what}: listens on {port}, which is no containerPort"));
        let port_name = &declared["name"];
        for (probe, path) in [
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
            ("startupProbe", "/healthz"),
        ] {
            let get = &c[probe]["httpGet"];
            assert_eq!(get["path"], path, "{what}: {probe}");
            assert!(
                get["port"] == *port_name || get["port"] == json!(port),
                "{what}: {probe} on {} but the process listens on {port}",
                get["port"]
            );
        }
        let annotations = &r.deployment.value["spec"]["template"]["metadata"]["annotations"];
        assert_eq!(annotations["prometheus.io/scrape"], "true", "{what}");
        assert_eq!(int(&annotations["prometheus.io/port"]), port, "{what}");
        assert_eq!(annotations["prometheus.io/path"], "/metrics", "{what}");
        // A PodDisruptionBudget selects the pods.
        let labels = &r.deployment.value["spec"]["template"]["metadata"]["labels"];
        assert!(
            of_kind("PodDisruptionBudget").iter().any(|p| {
                let sel = p.value["spec"]["selector"]["matchLabels"]
                    .as_object()
                    .unwrap();
                sel.iter().all(|(k, v)| labels[k] == *v)
            }),
            "{what}: no PodDisruptionBudget"
        );
    }
}

#[test]
fn autoscalers_target_deployments_and_stay_within_partitions() {
    let topics = topics();
    let t = transport();
    let scaled = of_kind("ScaledObject");
    let hpas = of_kind("HorizontalPodAutoscaler");
    for name in ["leakwatch-matcher", "leakwatch-crawler"] {
        assert!(
            scaled
                .iter()
                .any(|s| s.value["spec"]["scaleTargetRef"]["name"] == name),
            "no ScaledObject for {name}"
        );
        assert!(
            hpas.iter()
                .any(|h| h.value["spec"]["scaleTargetRef"]["name"] == name),
            "no HPA for {name}"
        );
    }
    for s in &scaled {
        let spec = &s.value["spec"];
        let target = spec["scaleTargetRef"]["name"].as_str().unwrap();
        find("Deployment", target);
        let (topic, group) = consumed(target);
        let max = int(&spec["maxReplicaCount"]);
        assert!(
            int(&spec["minReplicaCount"]) >= 1 && max >= 1,
            "{}",
            s.what()
        );
        let triggers = arr(&spec["triggers"]);
        assert!(!triggers.is_empty(), "{}", s.what());
        for tr in triggers {
            assert_eq!(tr["type"], "kafka", "{}", s.what());
            let m = &tr["metadata"];
            assert_eq!(
                m["consumerGroup"],
                group.as_str(),
                "{}: consumerGroup",
                s.what()
            );
            assert_eq!(m["topic"], topic.as_str(), "{}: topic", s.what());
            assert_eq!(
                m["bootstrapServers"],
                t["brokers"],
                "{}: bootstrapServers",
                s.what()
            );
            assert!(int(&m["lagThreshold"]) > 0, "{}: lagThreshold", s.what());
            assert_ne!(m["allowIdleConsumers"], "true", "{}", s.what());
        }
        let (_, partitions) = topics
            .get(&topic)
            .unwrap_or_else(|| panic!("no KafkaTopic {topic}"));
        assert!(
            max <= *partitions,
            "{}: maxReplicaCount {max} > {partitions} partitions of {topic}",
            s.what()
        );
    }
    for h in &hpas {
        let spec = &h.value["spec"];
        assert_eq!(spec["scaleTargetRef"]["kind"], "Deployment", "{}", h.what());
        let target = spec["scaleTargetRef"]["name"].as_str().unwrap();
        find("Deployment", target);
        let (topic, _) = consumed(target);
        let max = int(&spec["maxReplicas"]);
        let (_, partitions) = topics
            .get(&topic)
            .unwrap_or_else(|| panic!("no KafkaTopic {topic}"));
        assert!(
            max <= *partitions,
            "{}: maxReplicas {max} > {partitions} partitions of {topic}",
            h.what()
        );
        assert!(int(&spec["minReplicas"]) >= 1, "{}", h.what());
    }
    // Deployments without an autoscaler start no more consumers than their topic has partitions.
    for r in roles() {
        let (topic, _) = consumed(r.deployment.name());
        let replicas = int(&r.deployment.value["spec"]["replicas"]);
        assert!(replicas <= topics[&topic].1, "{}", r.deployment.what());
    }
}

#[test]
fn kafka_topics_match_the_config() {
    let t = transport();
    let topics = topics();
    let want: BTreeSet<String> = [
        "pages_topic",
        "alerts_topic",
        "crawl_tasks_topic",
        "crawl_schedule_topic",
        "dead_letter_topic",
    ]
    .iter()
    .map(|k| t[k].as_str().unwrap().to_owned())
    .collect();
    assert_eq!(topics.keys().cloned().collect::<BTreeSet<_>>(), want);
    let cfg = |topic: &str, key: &str| topics[topic].0.value["spec"]["config"][key].clone();
    let pages = t["pages_topic"].as_str().unwrap();
    // Page bodies may be leaked data: short retention, and segments that roll well within it.
    let retention = int(&cfg(pages, "retention.ms"));
    assert_eq!(
        retention,
        int(&t["pages_retention_ms"]),
        "pages retention.ms"
    );
    assert!(retention <= 86_400_000, "pages kept {retention} ms");
    let segment = int(&cfg(pages, "segment.ms"));
    assert!(
        segment < retention,
        "pages segment.ms {segment} >= retention.ms"
    );
    assert!(int(&cfg(pages, "max.message.bytes")) >= int(&t["message_max_bytes"]));
    for other in [
        "alerts_topic",
        "crawl_tasks_topic",
        "crawl_schedule_topic",
        "dead_letter_topic",
    ] {
        let name = t[other].as_str().unwrap();
        assert_eq!(
            int(&cfg(name, "retention.ms")),
            int(&t["retention_ms"]),
            "{name} retention.ms"
        );
    }
    // The topics belong to the cluster whose bootstrap Service the config names.
    let strimzi = k8s_dir().join("strimzi/kustomization.yaml");
    let namespace = parse_docs(&strimzi)[0]["namespace"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, (doc, _)) in &topics {
        let cluster = doc.value["metadata"]["labels"]["strimzi.io/cluster"]
            .as_str()
            .unwrap();
        let bootstrap = format!("{cluster}-kafka-bootstrap.{namespace}.svc:");
        assert!(
            t["brokers"].as_str().unwrap().starts_with(&bootstrap),
            "{name}: transport.brokers {} is not {bootstrap}...",
            t["brokers"]
        );
    }
    // With the topics owned by Strimzi the processes do not create their own.
    assert_eq!(t["create_topics"], false);
}

#[test]
fn network_policies_keep_matchers_and_alerts_off_the_internet() {
    let policies = of_kind("NetworkPolicy");
    assert!(
        policies.iter().any(|p| {
            let s = &p.value["spec"];
            s["podSelector"] == json!({})
                && s["ingress"].is_null()
                && s["egress"].is_null()
                && arr(&s["policyTypes"]).len() == 2
        }),
        "no default-deny policy for every pod"
    );
    let selects = |p: &Doc, name: &str| {
        let sel = &p.value["spec"]["podSelector"];
        sel == &json!({}) || sel["matchLabels"]["app.kubernetes.io/name"] == name
    };
    for name in ["leakwatch-crawler", "leakwatch-matcher", "leakwatch-alerts"] {
        let mine: Vec<_> = policies.iter().filter(|p| selects(p, name)).collect();
        let mut internet = false;
        for p in &mine {
            for rule in arr(&p.value["spec"]["egress"]) {
                assert!(
                    !rule["to"].is_null(),
                    "{}: an egress rule to everywhere",
                    p.what()
                );
                for peer in arr(&rule["to"]) {
                    internet |= !peer["ipBlock"].is_null();
                }
            }
            for rule in arr(&p.value["spec"]["ingress"]) {
                assert!(
                    !rule["from"].is_null(),
                    "{}: an ingress rule from everywhere",
                    p.what()
                );
            }
        }
        assert_eq!(
            internet,
            name == "leakwatch-crawler",
            "{name}: internet egress"
        );
    }
    // The alerts API: a ClusterIP Service, and ingress only on the port behind it.
    let service = find("Service", "leakwatch-alerts");
    assert_eq!(service.value["spec"]["type"], "ClusterIP");
    let alerts = role("alerts");
    let target = &service.value["spec"]["ports"][0]["targetPort"];
    let port = arr(&alerts.container()["ports"])
        .iter()
        .find(|p| p["name"] == *target || p["containerPort"] == *target)
        .expect("the Service's targetPort is a port of the alerts container");
    for p in policies.iter().filter(|p| selects(p, "leakwatch-alerts")) {
        for rule in arr(&p.value["spec"]["ingress"]) {
            let ports = arr(&rule["ports"]);
            assert!(!ports.is_empty(), "{}: ingress on every port", p.what());
            for q in ports {
                assert_eq!(q["port"], port["containerPort"], "{}", p.what());
            }
        }
    }
    for d in of_kind("Deployment") {
        for c in arr(&d.value["spec"]["template"]["spec"]["containers"]) {
            for p in arr(&c["ports"]) {
                assert!(p["hostPort"].is_null(), "{}: hostPort", d.what());
            }
        }
    }
}

#[test]
fn kustomizations_are_coherent() {
    let mut files = Vec::new();
    yaml_files(&k8s_dir(), &mut files);
    let mut listed = BTreeSet::new();
    for k in files
        .iter()
        .filter(|f| f.file_name().unwrap() == "kustomization.yaml")
    {
        let doc = &parse_docs(k)[0];
        let dir = k.parent().unwrap();
        for field in ["resources", "components"] {
            for entry in arr(&doc[field]) {
                let p = dir.join(entry.as_str().unwrap());
                assert!(
                    p.exists(),
                    "{}: {field} {} does not exist",
                    k.display(),
                    p.display()
                );
                listed.insert(p.canonicalize().unwrap());
            }
        }
        // KEDA and the HPA are alternatives: no kustomization takes both.
        let comps: Vec<&str> = arr(&doc["components"])
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            !(comps.iter().any(|c| c.ends_with("keda"))
                && comps.iter().any(|c| c.ends_with("hpa"))),
            "{}: both KEDA and the HPA",
            k.display()
        );
        if doc["kind"] == "Kustomization" && !doc["resources"].is_null() {
            assert!(!doc["namespace"].is_null(), "{}: no namespace", k.display());
        }
    }
    // Every manifest is applied by some kustomization (tools/ holds one-off pods).
    for f in &files {
        let name = f.file_name().unwrap();
        if name == "kustomization.yaml" || f.parent().unwrap().ends_with("tools") {
            continue;
        }
        assert!(
            listed.contains(&f.canonicalize().unwrap()),
            "{} is in no kustomization",
            f.display()
        );
    }
}

fn check(args: &[&str]) -> (bool, String) {
    let out = run_leakwatch(args);
    let code = out.status.code();
    assert!(code == Some(0) || code == Some(2), "exit {code:?}");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_refuses_what_the_role_would_refuse_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let matcher = find("ConfigMap", "leakwatch-matcher").value["data"]["leakwatch.toml"]
        .as_str()
        .unwrap();
    let cases = [
        (
            matcher.replace("key_file", "# key_file"),
            "match",
            "matcher.key_file",
        ),
        (
            matcher.replace("workers = 2", "workers = 0"),
            "match",
            "matcher.workers",
        ),
        (
            matcher.replace("workers = 2", "worker = 2"),
            "match",
            "worker",
        ),
        (
            "[matcher]\nbundle_path = \"/b\"\nkey_file = \"/k\"\n".to_owned(),
            "match",
            "transport.type",
        ),
        (
            matcher.replace("listen = \"0.0.0.0:9090\"", "listen = \"9090\""),
            "match",
            "ops.listen",
        ),
        (
            matcher.replace(
                "pages_topic = \"pages\"",
                "pages_topic = \"pages and more\"",
            ),
            "crawl",
            "transport.pages_topic",
        ),
    ];
    for (i, (text, role, key)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("{i}.toml"));
        std::fs::write(&f, text).unwrap();
        let (ok, stderr) = check(&[
            "config",
            "check",
            "--role",
            role,
            "--config",
            f.to_str().unwrap(),
        ]);
        assert!(!ok && stderr.contains(key), "case {i} ({key}): {stderr}");
    }
    // An [onion] table is checked (with arti's own config builder) before any onion source
    // uses it.
    let crawler = find("ConfigMap", "leakwatch-crawler").value["data"]["leakwatch.toml"]
        .as_str()
        .unwrap();
    let f = dir.path().join("onion.toml");
    std::fs::write(
        &f,
        crawler.replace(
            "dangerously_trust_everyone = true",
            "dangerously_trust_everyone = \"yes\"",
        ),
    )
    .unwrap();
    let (ok, stderr) = check(&[
        "config",
        "check",
        "--role",
        "crawl",
        "--config",
        f.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("onion"), "{stderr}");

    // --require-files: the bundle is opened with the key, as `leakwatch match` would.
    let d = dir.path();
    let p = |n: &str| d.join(n).to_str().unwrap().to_owned();
    for args in [
        vec![
            "demo-data",
            "--residents",
            "50",
            "--seed",
            "3",
            "--out",
            &p("reg"),
        ],
        vec!["keygen", "--out", &p("secret.key")],
        vec![
            "fingerprint",
            "build",
            "--records",
            &p("reg/residents.csv"),
            "--schema",
            &p("reg/schema.toml"),
            "--key-file",
            &p("secret.key"),
            "--out",
            &p("residents.lwfp"),
        ],
        vec!["keygen", "--out", &p("other.key")],
    ] {
        let out = run_leakwatch(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let local = matcher
        .replace(
            "/var/lib/leakwatch/bundle/residents.lwfp",
            &p("residents.lwfp"),
        )
        .replace("/run/secrets/leakwatch/key/secret.key", &p("secret.key"));
    let f = dir.path().join("local.toml");
    for (text, ok_wanted, key) in [
        (local.clone(), true, ""),
        (local.replace("secret.key", "other.key"), false, "matcher"),
        (
            local.replace("residents.lwfp", "missing.lwfp"),
            false,
            "matcher.bundle_path",
        ),
    ] {
        std::fs::write(&f, text).unwrap();
        let args = [
            "config",
            "check",
            "--role",
            "match",
            "--require-files",
            "--config",
            f.to_str().unwrap(),
        ];
        let (ok, stderr) = check(&args);
        assert_eq!(ok, ok_wanted, "{stderr}");
        assert!(stderr.contains(key), "{stderr}");
        // Without --require-files only the configuration itself is checked.
        let (ok, stderr) = check(&[
            "config",
            "check",
            "--role",
            "match",
            "--config",
            f.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
    }
}

#[test]
fn the_image_runs_leakwatch_as_the_pods_user() {
    let dockerfile =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/Dockerfile"))
            .unwrap();
    let last = |directive: &str| {
        dockerfile
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(directive))
            .unwrap_or_else(|| panic!("deploy/Dockerfile has no {directive}"))
            .trim()
            .to_owned()
    };
    assert!(
        last("ENTRYPOINT ").contains("/leakwatch\""),
        "{}",
        last("ENTRYPOINT ")
    );
    let user = last("USER ");
    let uid: i64 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("a numeric USER");
    assert!(uid > 0, "USER {user}");
    // The pods run as that user (a numeric USER lets runAsNonRoot verify it).
    for d in of_kind("Deployment") {
        let sc = &d.value["spec"]["template"]["spec"]["securityContext"];
        assert_eq!(int(&sc["runAsUser"]), uid, "{}", d.what());
    }
}
