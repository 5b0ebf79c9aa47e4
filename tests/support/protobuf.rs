//! Request bodies in Kubernetes' protobuf encoding, which client-go's typed clients send for
//! built-in kinds (`Content-Type: application/vnd.kubernetes.protobuf`): Helm 3 and Helm 4
//! write their release records (Secrets, or `ConfigMaps` with `HELM_DRIVER=configmap`) this way.
//! The envelope is the magic `k8s\0` and a `runtime.Unknown` holding the `apiVersion`, `kind` and
//! the object's bytes; the messages follow `generated.proto` of `k8s.io/api/core/v1` and
//! `k8s.io/apimachinery/pkg/apis/meta/v1`. Only the kinds Helm writes this way are decoded, into
//! the JSON the API would take; a field number the schema does not know is an error, never
//! silently dropped.

use base64::Engine as _;
use serde_json::{Map, Value};

/// How one field decodes.
#[derive(Clone, Copy)]
enum Type {
    Str,
    Bytes,
    Bool,
    Int,
    Time,
    /// `FieldsV1.Raw`: JSON bytes.
    RawJson,
    Message(&'static [Field]),
    MapStr,
    MapBytes,
    RepeatedStr,
    RepeatedMessage(&'static [Field]),
}

type Field = (u64, &'static str, Type);

const TIME: &[Field] = &[(1, "seconds", Type::Int), (2, "nanos", Type::Int)];
const FIELDS_V1: &[Field] = &[(1, "raw", Type::RawJson)];
const MANAGED_FIELDS: &[Field] = &[
    (1, "manager", Type::Str),
    (2, "operation", Type::Str),
    (3, "apiVersion", Type::Str),
    (4, "time", Type::Time),
    (6, "fieldsType", Type::Str),
    (7, "fieldsV1", Type::Message(FIELDS_V1)),
    (8, "subresource", Type::Str),
];
const OWNER_REFERENCE: &[Field] = &[
    (1, "kind", Type::Str),
    (3, "name", Type::Str),
    (4, "uid", Type::Str),
    (5, "apiVersion", Type::Str),
    (6, "controller", Type::Bool),
    (7, "blockOwnerDeletion", Type::Bool),
];
const OBJECT_META: &[Field] = &[
    (1, "name", Type::Str),
    (2, "generateName", Type::Str),
    (3, "namespace", Type::Str),
    (4, "selfLink", Type::Str),
    (5, "uid", Type::Str),
    (6, "resourceVersion", Type::Str),
    (7, "generation", Type::Int),
    (8, "creationTimestamp", Type::Time),
    (9, "deletionTimestamp", Type::Time),
    (10, "deletionGracePeriodSeconds", Type::Int),
    (11, "labels", Type::MapStr),
    (12, "annotations", Type::MapStr),
    (
        13,
        "ownerReferences",
        Type::RepeatedMessage(OWNER_REFERENCE),
    ),
    (14, "finalizers", Type::RepeatedStr),
    (17, "managedFields", Type::RepeatedMessage(MANAGED_FIELDS)),
];
const SECRET: &[Field] = &[
    (1, "metadata", Type::Message(OBJECT_META)),
    (2, "data", Type::MapBytes),
    (3, "type", Type::Str),
    (4, "stringData", Type::MapStr),
    (5, "immutable", Type::Bool),
];
const CONFIG_MAP: &[Field] = &[
    (1, "metadata", Type::Message(OBJECT_META)),
    (2, "data", Type::MapStr),
    (3, "binaryData", Type::MapBytes),
    (4, "immutable", Type::Bool),
];
const TYPE_META: &[Field] = &[(1, "apiVersion", Type::Str), (2, "kind", Type::Str)];
const UNKNOWN: &[Field] = &[
    (1, "typeMeta", Type::Message(TYPE_META)),
    (2, "raw", Type::Bytes),
    (3, "contentEncoding", Type::Str),
    (4, "contentType", Type::Str),
];

/// The protobuf media type.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Decodes a protobuf request body into the object's JSON.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("the body does not start with the `k8s\\0` magic")?;
    let mut reader = Reader { bytes: rest, at: 0 };
    let mut envelope = Map::new();
    let mut raw = Vec::new();
    while !reader.done() {
        let (number, wire) = reader.key()?;
        if number == 2 {
            raw = reader.bytes(wire)?.to_vec();
        } else {
            read_field(&mut reader, number, wire, UNKNOWN, &mut envelope)?;
        }
    }
    let api_version = envelope["typeMeta"]["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let kind = envelope["typeMeta"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let schema = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Secret") => SECRET,
        ("v1", "ConfigMap") => CONFIG_MAP,
        _ => return Err(format!("no protobuf schema for {api_version} {kind}")),
    };
    let mut object = message(&raw, schema)?;
    object.insert("apiVersion".into(), Value::String(api_version));
    object.insert("kind".into(), Value::String(kind));
    Ok(Value::Object(object))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at).ok_or("truncated varint")?;
            self.at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 64 bits".into())
    }

    fn key(&mut self) -> Result<(u64, u64), String> {
        let key = self.varint()?;
        Ok((key >> 3, key & 7))
    }

    fn bytes(&mut self, wire: u64) -> Result<&'a [u8], String> {
        if wire != 2 {
            return Err(format!("wire type {wire} where bytes were expected"));
        }
        let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
        let end = self
            .at
            .checked_add(len)
            .filter(|e| *e <= self.bytes.len())
            .ok_or("truncated field")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
}

fn message(bytes: &[u8], schema: &[Field]) -> Result<Map<String, Value>, String> {
    let mut reader = Reader { bytes, at: 0 };
    let mut out = Map::new();
    while !reader.done() {
        let (number, wire) = reader.key()?;
        read_field(&mut reader, number, wire, schema, &mut out)?;
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<Value, String> {
    String::from_utf8(bytes.to_vec())
        .map(Value::String)
        .map_err(|_| "a string field is not UTF-8".to_string())
}

fn read_field(
    reader: &mut Reader<'_>,
    number: u64,
    wire: u64,
    schema: &[Field],
    out: &mut Map<String, Value>,
) -> Result<(), String> {
    let Some((_, name, ty)) = schema.iter().find(|(n, _, _)| *n == number) else {
        return Err(format!("field number {number} is not in the schema"));
    };
    let name = (*name).to_string();
    let push = |out: &mut Map<String, Value>, v: Value| {
        if let Value::Array(items) = out
            .entry(name.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            items.push(v);
        }
    };
    match ty {
        // Go writes every non-pointer field, empty or not; its JSON leaves empty ones out.
        Type::Str => {
            let v = text(reader.bytes(wire)?)?;
            if v != "" {
                out.insert(name, v);
            }
        }
        Type::Bytes => {
            let v = base64::engine::general_purpose::STANDARD.encode(reader.bytes(wire)?);
            out.insert(name, Value::String(v));
        }
        Type::Bool | Type::Int => {
            if wire != 0 {
                return Err(format!("wire type {wire} for the varint field {name}"));
            }
            let v = reader.varint()?;
            if matches!(ty, Type::Bool) {
                out.insert(name, Value::Bool(v != 0));
            } else if v != 0 {
                // int64 as two's complement
                out.insert(name, Value::from(v.cast_signed()));
            }
        }
        Type::Time => {
            let m = message(reader.bytes(wire)?, TIME)?;
            let seconds = m.get("seconds").and_then(Value::as_i64).unwrap_or(0);
            if seconds == 0 {
                return Ok(());
            }
            let t =
                time::OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| e.to_string())?;
            let s = t
                .format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
                ))
                .map_err(|e| e.to_string())?;
            out.insert(name, Value::String(s));
        }
        Type::RawJson => {
            let v: Value = serde_json::from_slice(reader.bytes(wire)?)
                .map_err(|e| format!("FieldsV1 is not JSON: {e}"))?;
            out.insert(name, v);
        }
        Type::Message(fields) => {
            let mut m = message(reader.bytes(wire)?, fields)?;
            // FieldsV1 is its raw JSON in the JSON form.
            let v = if std::ptr::eq(*fields, FIELDS_V1) {
                m.remove("raw").unwrap_or(Value::Object(Map::new()))
            } else {
                Value::Object(m)
            };
            out.insert(name, v);
        }
        Type::MapStr | Type::MapBytes => {
            let entry = message(
                reader.bytes(wire)?,
                &[(1, "key", Type::Str), (2, "value", Type::Bytes)],
            )?;
            let key = entry
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let raw = entry
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = if matches!(ty, Type::MapStr) {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw)
                    .map_err(|e| e.to_string())?;
                text(&bytes)?
            } else {
                Value::String(raw.to_string())
            };
            if let Value::Object(m) = out.entry(name).or_insert_with(|| Value::Object(Map::new())) {
                m.insert(key, value);
            }
        }
        Type::RepeatedStr => {
            let v = text(reader.bytes(wire)?)?;
            push(out, v);
        }
        Type::RepeatedMessage(fields) => {
            let m = message(reader.bytes(wire)?, fields)?;
            push(out, Value::Object(m));
        }
    }
    Ok(())
}
