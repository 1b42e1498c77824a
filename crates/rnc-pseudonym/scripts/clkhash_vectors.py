"""Print the clkhash encodings that tests/clkhash_port.rs expects.

Run with clkhash 0.18.3 from PyPI, on CPython 3.11 under Linux (glibc):

    python3 -m venv /tmp/clkvenv
    /tmp/clkvenv/bin/pip install clkhash==0.18.3
    /tmp/clkvenv/bin/python scripts/clkhash_vectors.py

The first schema and the three records are those of clkhash's
tests/test_clk.py::test_encoding_regression (schema version 1, double
hashing, secret "chicken"); its first two encodings are published in that
test. The other schemas are version 3 variants of it that use BLAKE2b
keyed hashing, the bits-per-feature strategy and XOR folding, whose
expected values exist only as this script's output.
"""

import copy
import io
import json
import textwrap

from clkhash import clk, schema
from clkhash.serialization import serialize_bitarray

CSV_INPUT = textwrap.dedent("""\
    name,id,dob,gender,children
    KÉVIN,kev007,1963-12-13,M,1
    "JOHN HOWARD, ESQ.",stv534,1992-02-29,M,16
    JULIA,alp423,0123-01-12,F,0
    """)

KDF = dict(
    type="HKDF",
    hash="SHA256",
    salt="SCbL2zHNnmsckfzchsNkZY9XoHk96P/G5nUBrM7ybymlEFsMV6PAeDZCNp3rfNUPCtLDMOGQHG4pCQpfhiHCyA==",
    info="c2NoZW1hX2V4YW1wbGU=",
    keySize=64,
)

REGRESSION_V1 = dict(
    version=1,
    clkConfig=dict(l=1024, k=30, kdf=KDF, hash=dict(type="doubleHash")),
    features=[
        dict(identifier="name",
             format=dict(type="string", encoding="utf-8", case="upper"),
             hashing=dict(ngram=2, weight=2)),
        dict(identifier="id",
             format=dict(type="string", encoding="ascii",
                         pattern=r"[a-z][a-z][a-z]\d\d\d"),
             hashing=dict(ngram=1, positional=True)),
        dict(identifier="dob",
             format=dict(type="date", format="%Y-%m-%d"),
             hashing=dict(ngram=2, positional=True, weight=.5)),
        dict(identifier="gender",
             format=dict(type="enum", values=["M", "F"]),
             hashing=dict(ngram=1, positional=False)),
        dict(identifier="children",
             format=dict(type="integer", maximum=20),
             hashing=dict(ngram=1, positional=True)),
    ],
)


def v3(hash_type, strategy_of, xor_folds):
    """The regression schema in version 3 form with another hash type,
    strategy and folding."""
    latest = schema.convert_to_latest_version(copy.deepcopy(REGRESSION_V1))
    latest["clkConfig"]["xor_folds"] = xor_folds
    for feature in latest["features"]:
        hashing = feature["hashing"]
        hashing["hash"] = {"type": hash_type}
        hashing["strategy"] = strategy_of(hashing["strategy"]["bitsPerToken"])
    return latest


SCHEMAS = {
    "regression_v1_double_hash": REGRESSION_V1,
    "v3_blake_bits_per_token": v3(
        "blakeHash", lambda k: {"bitsPerToken": k}, 0),
    "v3_blake_bits_per_feature_folded": v3(
        "blakeHash", lambda k: {"bitsPerFeature": 4 * k}, 1),
}

for name, schema_dict in SCHEMAS.items():
    loaded = schema.from_json_dict(schema_dict)
    encodings = clk.generate_clk_from_csv(
        io.StringIO(CSV_INPUT), "chicken", loaded,
        validate=True, header=True, progress_bar=False)
    print(name)
    if schema_dict["version"] == 3:
        print(json.dumps(schema_dict["clkConfig"]["xor_folds"]),
              json.dumps([f["hashing"]["strategy"] for f in schema_dict["features"]]))
    for encoding in encodings:
        print(" ", serialize_bitarray(encoding))
