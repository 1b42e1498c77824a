//! Byte-exact agreement with clkhash 0.18.3.
//!
//! The schema, secret and records are those of clkhash's
//! `tests/test_clk.py::test_encoding_regression` (its version 1 schema,
//! converted to version 3 by `clkhash.schema.convert_to_latest_version`).
//! The first two expected CLKs are the ones asserted in that test; the
//! third record's CLK and the BLAKE2b variants were printed by
//! `scripts/clkhash_vectors.py` with clkhash 0.18.3 on CPython 3.11 under
//! Linux. Tolerance: none, the bytes must be equal.

use rnc_pseudonym::clkhash::{
    ClkhashEncoder, ClkhashHash, ClkhashSchema, ClkhashStrategy,
};

const SCHEMA: &str = r#"{"version": 3, "clkConfig": {"l": 1024, "xor_folds": 0, "kdf": {"type": "HKDF", "hash": "SHA256", "salt": "SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==", "info": "c2NoZW1hX2V4YW1wbGU=", "keySize": 64}}, "features": [{"identifier": "name", "format": {"type": "string", "encoding": "utf-8", "case": "upper"}, "hashing": {"strategy": {"bitsPerToken": 60}, "hash": {"type": "doubleHash"}, "comparison": {"type": "ngram", "n": 2, "positional": false}}}, {"identifier": "id", "format": {"type": "string", "encoding": "ascii", "pattern": "[a-z][a-z][a-z]\\d\\d\\d"}, "hashing": {"strategy": {"bitsPerToken": 30}, "hash": {"type": "doubleHash"}, "comparison": {"type": "ngram", "n": 1, "positional": true}}}, {"identifier": "dob", "format": {"type": "date", "format": "%Y-%m-%d"}, "hashing": {"strategy": {"bitsPerToken": 15}, "hash": {"type": "doubleHash"}, "comparison": {"type": "ngram", "n": 2, "positional": true}}}, {"identifier": "gender", "format": {"type": "enum", "values": ["M", "F"]}, "hashing": {"strategy": {"bitsPerToken": 30}, "hash": {"type": "doubleHash"}, "comparison": {"type": "ngram", "n": 1, "positional": false}}}, {"identifier": "children", "format": {"type": "integer", "maximum": 20}, "hashing": {"strategy": {"bitsPerToken": 30}, "hash": {"type": "doubleHash"}, "comparison": {"type": "ngram", "n": 1, "positional": true}}}]}"#;

const SECRET: &[u8] = b"chicken";

const RECORDS: [[&str; 5]; 3] = [
    ["KÉVIN", "kev007", "1963-12-13", "M", "1"],
    ["JOHN HOWARD, ESQ.", "stv534", "1992-02-29", "M", "16"],
    ["JULIA", "alp423", "0123-01-12", "F", "0"],
];

fn encode_all(schema: ClkhashSchema) -> Vec<String> {
    let encoder = ClkhashEncoder::new(schema, SECRET).unwrap();
    RECORDS
        .iter()
        .map(|record| encoder.encode_base64(record).unwrap())
        .collect()
}

#[test]
fn double_hash_regression_matches_clkhash() {
    let encodings = encode_all(ClkhashSchema::from_json(SCHEMA).unwrap());

    assert_eq!(
        encodings[0],
        "SU9+/O/Jzzi0sfzH8K2l3+qfhn8Ky3jVI21DVdH9j2fXE++JH8GcQGSeYxDZFxALCAT8CHwYJyQcRT3MhUQOFWcOf5fWdr6ofh6DYy8iv////weyunbMahfV9RMWkRwQmBL3fjreUVOCS9D9kAbQC2XgULidKCTHd9ZpbPJ91eE="
    );
    assert_eq!(
        encodings[1],
        "Pfl1/d7/31/+9u9x9zv//76/83//0v1Xt/dX/3X/e79XP7vd+Xfkf//2/9Xb/7Fd73e9f/n0f/c7Vb99B/X29d8997Pz/vJ87X/X/vcX9vt1d+/+5bP1fvfevnfX8d/f/j0XPL7f999kc/28/3d4c7t/9b/+Pf411/f2+3z1d/s="
    );
    // Year 123 is written "123" by CPython's strftime on glibc.
    assert_eq!(
        encodings[2],
        "A1D8XDMWCVzyVUPEyeF0elQaFdTEVTV2a0behxaexzdc/T5WHVQxUJnWlxdQd9EVSFVQUjJ1dMlJ0dXc0JaX0BHXNX0l/VC9dt0dVPZUlBcVXQDI1VG5UER1JXE/fXhyREvZFCdVhdVBNVVZFZNTHYx0LlnIzlddXrjcvf8YjUs="
    );
}

/// The regression schema with every feature switched to BLAKE2b, as the
/// script's `v3(...)` builds it.
fn blake_schema(bits_per_feature: bool, xor_folds: u32) -> ClkhashSchema {
    let mut schema = ClkhashSchema::from_json(SCHEMA).unwrap();
    schema.xor_folds = xor_folds;
    for feature in &mut schema.features {
        let hashing = feature.hashing.as_mut().unwrap();
        hashing.hash = ClkhashHash::Blake;
        if bits_per_feature {
            let ClkhashStrategy::BitsPerToken(k) = hashing.strategy else {
                panic!("the regression schema uses bitsPerToken");
            };
            hashing.strategy = ClkhashStrategy::BitsPerFeature(4 * k);
        }
    }
    schema
}

#[test]
fn blake_bits_per_token_matches_clkhash() {
    let encodings = encode_all(blake_schema(false, 0));

    assert_eq!(
        encodings,
        [
            "6nh4G0GIhQxK7EPuJKyQ9wJ7Rjyw3s0S7Pnp6xOCO6o+XtPs8nH8MQ/fwMh6/HMGk+Q5MHlgR7rN78LGURwkp6eUOQc8X9zJdgrb4EwQToclBeQZ+ntlZvvqW8+/7pGN3v5lH3LNnc1RAntoqZVazMrNoKnGyWIq7Dd4EEBarJc=",
            "/3zxd1bt/xv7//KXq/f3Zb/7+/339u9+b2Nvtv7l//u+///3/L/99//d89/3dexBv8//z3699/7++/q5/+u1//7Cvdv+v/7+/1y70r4/q+fzy/25+7/d7zvp+1//7/svV+9nVl/bd9x7//h3d+/T/v/H/vz+be+v9n3+e9rTpao=",
            "ijnQ+pg3L/iWzy5zjawmGMq0gNfTvjGtwPB/khikHNn+L+imifg/hOKO0eCImqpCzN8Cy63CtDpLaehRAMOqlPlhVUO038GKFLs65fwG6l7tgvJPKC4cO9cjSfE5aoZqpvWdyZX1MJFwE6tpA61XHYuM1YqfJdt/3mHUyu4/Yeo=",
        ]
    );
}

#[test]
fn blake_bits_per_feature_folded_matches_clkhash() {
    let encodings = encode_all(blake_schema(true, 1));

    assert_eq!(
        encodings,
        [
            "Sho4D4XogQxI3AEOJkzHY8pbRBiUSohCZPDV2ocGm6o4xtJ0YtFsEyNAjohKlHMHteZ5PjpgAyhMbwLLU7QkpQcAkUc1Dt0oNgpTSE4KToapFcIQ+no1ZjJwQgA7NpwJn0polnbIPKpYZFhpNa0aR8LNIFsDwWIKzDdZGGoD6DQ=",
            "SHrgJ1AtMRAATJIAgrLr5XtaSR1XxAo6f0BWtpVBPpOAwnhG5ICdEwVEcdtAUGhBhQN4ino5BjYAy6iYYq4kh0RBNsnc1uYs8FB7AD4QLoMfANYwkrGB5CEI8lTcnxQkFG0s0A6dJ3Y6avFiFk8AlKjHdoXvCGoCBqRDAmpXYKM=",
            "jCjQKIgjL/iW2YZCDbAkEciQkBdZsDCswMdagoGhXcjxDWpmiegPBqCZMRCI2qRIRR5Awg7Akx+ELeEYFMoikHBgxEOgzUFATCsaxDwGyl7rgPAnKwIQNJUmQfAJKsTKhPSNqNXXWJkgB8E3YoWRDaud2ZDGhdtbXELEy+o7IEk=",
        ]
    );
}

#[test]
fn wrong_value_count_is_rejected() {
    let encoder =
        ClkhashEncoder::new(ClkhashSchema::from_json(SCHEMA).unwrap(), SECRET)
            .unwrap();

    let error = encoder.encode(&["KÉVIN", "kev007"]).unwrap_err();

    assert!(error.to_string().contains("2 values"), "{error}");
}

#[test]
fn unreadable_date_names_feature_not_value() {
    let encoder =
        ClkhashEncoder::new(ClkhashSchema::from_json(SCHEMA).unwrap(), SECRET)
            .unwrap();

    let error = encoder
        .encode(&["KÉVIN", "kev007", "13/12/1963", "M", "1"])
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("feature dob"), "{message}");
    assert!(!message.contains("1963"), "{message}");
}

#[test]
fn older_schema_version_is_rejected() {
    let version_1 = SCHEMA.replacen("\"version\": 3", "\"version\": 1", 1);

    let error = ClkhashSchema::from_json(&version_1).unwrap_err();

    assert!(error.to_string().contains("version must be 3"), "{error}");
}
