use super::*;

fn stream(text: &str) -> (Stream, Sources) {
    let mut sources = Sources::new();
    let s = parse("r.yaml", text.to_string(), &mut sources).expect("stream parses");
    (s, sources)
}

const CORE: &str = "# Source: harbor/templates/core/core-secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: h-core
data:
  secretKey: \"bm90LWEtc2VjdXJlLWtleQ==\"
---
# Source: harbor/templates/core/core-dpl.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: h-core
spec:
  template:
    spec:
      containers:
      - name: core
        image: goharbor/harbor-core:v2.10.2
        envFrom:
        - secretRef:
            name: h-core
        env:
        - name: JOBSERVICE_SECRET
          valueFrom:
            secretKeyRef:
              name: h-jobservice
              key: JOBSERVICE_SECRET
        volumeMounts:
        - name: secret-key
          mountPath: /etc/core/key
          subPath: key
      volumes:
      - name: secret-key
        secret:
          secretName: h-core
          items:
            - key: secretKey
              path: key
";

#[test]
fn objects_keep_their_template_and_line() {
    let (s, _) = stream(CORE);
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.objects[1].kind, "Deployment");
    assert_eq!(
        s.objects[1].template.as_deref(),
        Some("harbor/templates/core/core-dpl.yaml")
    );
    assert_eq!(s.objects[1].span.map(|s| s.line), Some(10));
    assert_eq!(s.fullname(), Some("h"));
    assert_eq!(s.harbor_version(), Some("2.10.2"));
    assert_eq!(s.secrets.len(), 1);
}

#[test]
fn pod_references_and_mounts_are_read() {
    let (s, _) = stream(CORE);
    let core = s.core().expect("core");
    let pod = core.pod_spec().expect("pod");
    let refs = pod.secret_refs();
    assert_eq!(refs.len(), 3, "{refs:?}");
    let (name, key, _) = pod.mounted_secret("/etc/core/key").expect("mounted");
    assert_eq!((name, key.as_str()), ("h-core", "secretKey"));
    let r = s.env_secret(core, "JOBSERVICE_SECRET").expect("env");
    assert_eq!(r.secret, "h-jobservice");
    let r = s.env_secret(core, "secretKey").expect("envFrom");
    assert_eq!((r.secret, r.key.as_deref()), ("h-core", Some("secretKey")));
}

#[test]
fn secret_values_are_redacted() {
    let (s, sources) = stream(CORE);
    let text = &sources.get(s.source).text;
    let at = text.find("bm90").expect("value");
    assert!(sources
        .redactions(s.source)
        .iter()
        .any(|r| r.start <= at && at < r.end));
}

#[test]
fn dry_run_printout_keeps_lines_of_the_file() {
    let text = format!("NAME: h\nLAST DEPLOYED: Wed Dec  2 14:54:35 2026\nNAMESPACE: default\nSTATUS: pending-install\nREVISION: 1\nTEST SUITE: None\nHOOKS:\nMANIFEST:\n---\n{CORE}\nNOTES:\nPlease wait: for Harbor\n  - to start\n");
    let (s, _) = stream(&text);
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.objects[0].span.map(|s| s.line), Some(11));
}

#[test]
fn release_json_reads_the_manifest_string() {
    let json = serde_json::json!({
        "name": "h",
        "info": {"status": "pending-upgrade"},
        "chart": {"metadata": {"version": "9.9.9"}},
        "manifest": format!("---\n{CORE}"),
        "hooks": [],
    });
    let (s, sources) = stream(&json.to_string());
    assert_eq!(s.objects.len(), 2);
    assert_eq!(s.chart_version.as_deref(), Some("9.9.9"));
    assert_eq!(sources.get(s.source).name, "r.yaml#manifest");
    assert_eq!(s.objects[0].span.map(|s| s.line), Some(3));
}

#[test]
fn malformed_documents_name_file_and_line() {
    let mut sources = Sources::new();
    let e = parse("r.yaml", "kind: Secret\n---\n- a\n".into(), &mut sources).unwrap_err();
    assert_eq!(
        e.to_string(),
        "r.yaml:3: a document is a list, not a Kubernetes object"
    );
    let e = parse("r.yaml", "a: [\n".into(), &mut sources).unwrap_err();
    assert!(e.to_string().starts_with("r.yaml:"), "{e}");
    let e = parse("r.yaml", "# nothing\n".into(), &mut sources).unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
}

#[test]
fn a_document_without_a_source_comment_does_not_take_the_previous_ones() {
    // Regression: the template of a document was the nearest `# Source:` before it, even one
    // that opens the document before.
    let (s, _) = stream(&format!(
        "{CORE}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n"
    ));
    assert_eq!(s.objects.len(), 3);
    assert_eq!(s.objects[2].template, None);
}

#[test]
fn list_items_are_objects() {
    let (s, _) = stream(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: PersistentVolumeClaim\n  metadata:\n    name: data\n- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata:\n    name: db\n",
    );
    let kinds: Vec<&str> = s.objects.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "StatefulSet"]);
    assert_eq!(s.objects[1].address(), "rendered://statefulset/db");
}
