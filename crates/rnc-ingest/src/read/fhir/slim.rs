//! Parsing a Bundle entry by entry, keeping only what the profile reads.

use serde_json::Value;

/// Resource types that the profile reads. Entries of other types are kept
/// as a stub naming their type, so that entry positions stay right.
const READ_RESOURCES: [&str; 7] = [
    "DiagnosticReport",
    "Patient",
    "Organization",
    "Specimen",
    "Condition",
    "Observation",
    "Procedure",
];

/// Elements of a resource that no column comes from and that may be
/// large: the narrative and attached documents (base64 PDF reports).
const DROPPED_ELEMENTS: [&str; 2] = ["text", "presentedForm"];

/// A Bundle parsed entry by entry, keeping of each entry only what the
/// profile reads. A JSON value that is not an object is read as `null`,
/// which the reader reports as not a Bundle.
pub(super) struct SlimBundle(pub Value);

impl<'de> serde::Deserialize<'de> for SlimBundle {
    fn deserialize<D>(deserializer: D) -> Result<SlimBundle, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        deserializer.deserialize_any(BundleVisitor)
    }
}

struct BundleVisitor;

impl<'de> serde::de::Visitor<'de> for BundleVisitor {
    type Value = SlimBundle;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a FHIR Bundle")
    }

    fn visit_map<A>(self, mut map: A) -> Result<SlimBundle, A::Error>
    where
        A: serde::de::MapAccess<'de>,
    {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == "entry" {
                map.next_value_seed(EntriesSeed)?
            } else {
                map.next_value::<Value>()?
            };
            object.insert(key, value);
        }
        Ok(SlimBundle(Value::Object(object)))
    }

    fn visit_seq<A>(self, mut seq: A) -> Result<SlimBundle, A::Error>
    where
        A: serde::de::SeqAccess<'de>,
    {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(SlimBundle(Value::Null))
    }

    fn visit_bool<E>(self, _: bool) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }

    fn visit_i64<E>(self, _: i64) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }

    fn visit_u64<E>(self, _: u64) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }

    fn visit_f64<E>(self, _: f64) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }

    fn visit_str<E>(self, _: &str) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }

    fn visit_unit<E>(self) -> Result<SlimBundle, E> {
        Ok(SlimBundle(Value::Null))
    }
}

/// `Bundle.entry`, read one entry at a time. A value that is not an array
/// is kept whole, for the reader to report.
struct EntriesSeed;

impl<'de> serde::de::DeserializeSeed<'de> for EntriesSeed {
    type Value = Value;

    fn deserialize<D>(self, deserializer: D) -> Result<Value, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        let value = deserializer.deserialize_any(EntriesVisitor)?;
        Ok(value)
    }
}

struct EntriesVisitor;

impl<'de> serde::de::Visitor<'de> for EntriesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bundle.entry")
    }

    fn visit_seq<A>(self, mut seq: A) -> Result<Value, A::Error>
    where
        A: serde::de::SeqAccess<'de>,
    {
        let mut entries = Vec::new();
        while let Some(mut entry) = seq.next_element::<Value>()? {
            slim_entry(&mut entry);
            entries.push(entry);
        }
        Ok(Value::Array(entries))
    }

    fn visit_map<A>(self, map: A) -> Result<Value, A::Error>
    where
        A: serde::de::MapAccess<'de>,
    {
        serde::Deserialize::deserialize(
            serde::de::value::MapAccessDeserializer::new(map),
        )
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// Drops from one `Bundle.entry` what no column comes from: the resource
/// of a type the profile does not read (keeping its `resourceType`) and
/// the large elements of the others.
fn slim_entry(entry: &mut Value) {
    let Some(Value::Object(resource)) = entry.get_mut("resource") else {
        return;
    };
    let kind = resource.get("resourceType").and_then(Value::as_str);
    match kind {
        Some(kind) if READ_RESOURCES.contains(&kind) => {
            for element in DROPPED_ELEMENTS {
                resource.remove(element);
            }
        }
        Some(_) => resource.retain(|key, _| key == "resourceType"),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_entries_are_slimmed() {
        // A report with its PDF attached and a narrative, and a resource
        // type the profile does not read: only what a column comes from
        // is kept, and the entry positions stay.
        let json = r#"{"resourceType": "Bundle", "type": "collection",
            "entry": [
              {"fullUrl": "urn:uuid:1", "resource": {
                "resourceType": "DiagnosticReport", "id": "r1",
                "text": {"div": "<div>narrative</div>"},
                "presentedForm": [{"data": "JVBERi0xLjQK"}]}},
              {"resource": {"resourceType": "Practitioner", "id": "x",
                "name": [{"family": "Martin"}]}},
              "not an object"
            ]}"#;
        let SlimBundle(bundle) = serde_json::from_str(json).unwrap();
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 3);
        let report = &entries[0]["resource"];
        assert_eq!(report["id"], "r1");
        assert!(report.get("text").is_none());
        assert!(report.get("presentedForm").is_none());
        assert_eq!(entries[0]["fullUrl"], "urn:uuid:1");
        assert_eq!(
            entries[1]["resource"],
            serde_json::json!({"resourceType": "Practitioner"})
        );
        assert_eq!(entries[2], "not an object");

        let SlimBundle(other) = serde_json::from_str("[1, 2]").unwrap();
        assert_eq!(other, Value::Null);
    }
}
