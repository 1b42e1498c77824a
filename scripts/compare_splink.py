#!/usr/bin/env python3
"""Run rnc and Splink on the same synthetic person records and print, for
each, wall time, peak memory and pairwise precision, recall and F1 of the
final clusters against the generator's truth.

Usage:
  python3 scripts/compare_splink.py --records 100000 --work /tmp/compare \
      [--seed 1] [--rnc target/release/rnc] [--splink-python /tmp/splink-venv/bin/python]

Set-up: Splink 5 with DuckDB in a Python environment (default
/opt/peers-venv; to make one: python3 -m venv /tmp/splink-venv &&
/tmp/splink-venv/bin/pip install "splink==5.0.0" "duckdb==2.0.1"
"pandas==2.3.3", then pass --splink-python /tmp/splink-venv/bin/python),
and rnc built with `cargo build --release -p rnc-cli`. Both tools get the
same comparisons and blocking rules (examples/persons.toml for rnc):
exact NIR hash, Jaro-Winkler 0.92/0.88/0.7 on first name (after a level
for a first name swapped with the surname) and surname (with
term-frequency adjustment on surname), birth date, exact postcode and sex;
blocking on the NIR hash or any two of first name, surname, birth date
and postcode; u from 10 million random pairs; links at p >= 0.95,
connected components (rnc also keeps apart records that disagree on both
the NIR hash and the first name, which Splink has no setting for). Splink's lambda comes from deterministic rules at recall 0.8
(Splink's documented method); rnc estimates it by a fixed point on the
candidate pairs. Each tool runs as its own process under /usr/bin/time -v,
which gives wall time, CPU time (user + system, all threads) and peak
resident memory of the whole process, reading the CSV and writing the
clusters included. On a shared machine the wall time depends on the other
work; CPU time much less so, and the load average is printed with both.

The generator is seeded and needs only the Python standard library; the
same --records and --seed give a byte-identical CSV.
"""
import argparse
import collections
import csv
import hashlib
import itertools
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

MALE = ("JEAN PIERRE MICHEL ANDRE PHILIPPE RENE LOUIS ALAIN JACQUES BERNARD "
        "MARCEL DANIEL ROGER ROBERT PAUL CLAUDE CHRISTIAN HENRI GEORGES NICOLAS "
        "FRANCOIS PATRICK GERARD CHRISTOPHE JOSEPH JULIEN ANTOINE MAXIME THOMAS "
        "LAURENT ERIC DAVID OLIVIER STEPHANE PASCAL FREDERIC SEBASTIEN LUC YVES "
        "GUY SERGE DIDIER THIERRY VINCENT FABRICE LUCAS HUGO LEO GABRIEL ARTHUR").split()
FEMALE = ("MARIE JEANNE FRANCOISE MONIQUE CATHERINE NATHALIE ISABELLE JACQUELINE "
          "ANNE SYLVIE MARTINE MADELEINE NICOLE SUZANNE HELENE CHRISTINE MARGUERITE "
          "DENISE LOUISE CHRISTIANE YVONNE SANDRINE VALERIE SOPHIE CELINE JULIE "
          "CAROLINE ELISABETH CLAIRE PAULETTE AURELIE EMILIE STEPHANIE LAURENCE "
          "VERONIQUE CHANTAL BRIGITTE PATRICIA ODETTE SIMONE EMMA JADE LOUISE ALICE "
          "CHLOE LEA MANON CAMILLE").split()
COMMON_SURNAMES = ("MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU "
                   "LAURENT SIMON MICHEL LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL "
                   "FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT "
                   "MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER "
                   "CHEVALIER FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT "
                   "MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON").split()
SYLLABLES = ("BA BE BI BO BU CA CE CO DA DE DI DO FA FE GA GE GO LA LE LI LO MA ME "
             "MI MO NA NE NI NO PA PE PI RA RE RI RO SA SE SI SO TA TE TI TO VA VE "
             "VI CHA CHE GRI BRA TRE VAL MONT BOIS RIN LAN TIER VIER DEL").split()
LETTERS = "ABCDEFGHIJKLMNOPRSTUVZ"


def made_up_surname(rng):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3))))


def typo(rng, value):
    if len(value) < 2:
        return value
    i = rng.randrange(len(value))
    kind = rng.randrange(3)
    if kind == 0:
        return value[:i] + rng.choice(LETTERS) + value[i + 1:]
    if kind == 1:
        return value[:i] + value[i + 1:]
    j = min(i + 1, len(value) - 1)
    chars = list(value)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def nir_hash(rng):
    return hashlib.sha256(rng.getrandbits(64).to_bytes(8, "little")).hexdigest()[:20]


def generate(path, records, seed):
    """Writes a CSV of `records` person records in entities of 1 to 8
    records, with typos, married names, moves, transposed dates, missing
    values and twins, and returns the number of true pairs."""
    rng = random.Random(seed)
    surnames = COMMON_SURNAMES + [made_up_surname(rng) for _ in range(30000)]
    # Zipf-like cumulative weights over the surname list.
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(surnames))))
    postcodes = [f"{rng.randrange(1000, 96000):05d}" for _ in range(4000)]
    sizes = [2632, 4482, 4587, 3764, 3243, 2473, 2018, 1801]
    rows = []
    entity = 0
    while len(rows) < records:
        sex = rng.choice("MF")
        person = {
            "sex": sex,
            "first_name": rng.choice(MALE if sex == "M" else FEMALE),
            "surname": rng.choices(surnames, cum_weights=weights)[0],
            "birth": (rng.randrange(1930, 2006), rng.randrange(1, 13), rng.randrange(1, 29)),
            "postcode": rng.choice(postcodes),
            "nir": nir_hash(rng),
        }
        people = [person]
        if rng.random() < 0.005:
            twin = dict(person, nir=nir_hash(rng), sex=rng.choice("MF"))
            twin["first_name"] = rng.choice(MALE if twin["sex"] == "M" else FEMALE)
            people.append(twin)
        for p in people:
            size = rng.choices(range(1, 9), sizes)[0]
            for _ in range(size):
                if len(rows) >= records:
                    break
                rows.append(make_record(rng, p, entity, surnames, weights, postcodes))
            entity += 1
    rng.shuffle(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "entity_id", "first_name", "surname", "birth_date",
                    "postcode", "sex", "nir_hash"])
        for i, r in enumerate(rows):
            w.writerow([f"r{i:08d}"] + r)
    sizes_by_entity = collections.Counter(r[0] for r in rows)
    return sum(n * (n - 1) // 2 for n in sizes_by_entity.values())


def make_record(rng, p, entity, surnames, weights, postcodes):
    first, surname, postcode = p["first_name"], p["surname"], p["postcode"]
    year, month, day = p["birth"]
    if rng.random() < 0.04:
        first = typo(rng, first)
    if rng.random() < 0.04:
        surname = typo(rng, surname)
    if p["sex"] == "F" and rng.random() < 0.08:
        surname = rng.choices(surnames, cum_weights=weights)[0]
    if rng.random() < 0.05:
        postcode = rng.choice(postcodes)
    elif rng.random() < 0.01:
        postcode = typo(rng, postcode).replace("A", "1")
    if rng.random() < 0.02 and day <= 12:
        month, day = day, month
    if rng.random() < 0.01:
        field = rng.randrange(3)
        if field == 0:
            year += rng.choice((-1, 1))
        elif field == 1:
            month = rng.randrange(1, 13)
        else:
            day = rng.randrange(1, 29)
    if rng.random() < 0.01:
        first, surname = surname, first
    nir = p["nir"]
    roll = rng.random()
    if roll < 0.30:
        nir = ""
    elif roll < 0.31:
        nir = nir_hash(rng)
    values = [first, surname, f"{year:04d}-{month:02d}-{day:02d}", postcode, p["sex"], nir]
    values = ["" if rng.random() < 0.05 else v for v in values[:4]] + values[4:]
    return [str(entity)] + values


SPLINK = r'''
import sys, time
import duckdb, pandas as pd
import splink.comparison_library as cl
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
csv_in, out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
df = pd.read_csv(csv_in, dtype=str, keep_default_na=False).replace("", None)
df = df.drop(columns=["entity_id"])
db = DuckDBAPI(connection=duckdb.connect())
settings = SettingsCreator(
    unique_id_column_name="record_id", link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("nir_hash"), block_on("surname", "birth_date"),
        block_on("first_name", "birth_date"), block_on("birth_date", "postcode"),
        block_on("surname", "postcode"), block_on("first_name", "postcode"),
        block_on("first_name", "surname")],
    comparisons=[
        cl.ExactMatch("nir_hash"),
        cl.CustomComparison(output_column_name="first_name", comparison_levels=[
            cll.NullLevel("first_name"), cll.ExactMatchLevel("first_name"),
            cll.CustomLevel("(first_name_l = surname_r OR surname_l = first_name_r)",
                            label_for_charts="swapped with surname"),
            cll.JaroWinklerLevel("first_name", 0.92),
            cll.JaroWinklerLevel("first_name", 0.88),
            cll.JaroWinklerLevel("first_name", 0.7), cll.ElseLevel()]),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("birth_date", input_is_string=True),
        cl.ExactMatch("postcode"), cl.ExactMatch("sex")],
    retain_intermediate_calculation_columns=False, retain_matching_columns=False)
linker = Linker(db.register(df), settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("nir_hash"), block_on("first_name", "surname", "birth_date")], recall=0.8)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname", "birth_date"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("nir_hash"))
pred = linker.inference.predict()
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    pred, threshold_match_probability=0.95).as_pandas_dataframe()
clusters[["record_id", "cluster_id"]].to_csv(out, index=False)
print(f"splink pipeline {time.perf_counter() - t0:.2f} s")
'''


def timed(command, log):
    """Runs a command under /usr/bin/time -v; returns (wall s, peak MiB,
    CPU s), the last being user + system time of all threads."""
    with open(log, "w") as f:
        result = subprocess.run(["/usr/bin/time", "-v"] + command, stdout=f, stderr=subprocess.STDOUT)
    text = Path(log).read_text()
    if result.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed (exit {result.returncode}); see {log}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    return seconds, rss / 1024, user + system


def cluster_scores(clusters_csv, truth, id_column="record_id"):
    """Pairwise precision, recall and F1 of the pairs inside clusters."""
    cells, predicted, true = collections.Counter(), collections.Counter(), collections.Counter()
    with open(clusters_csv) as f:
        for row in csv.DictReader(f):
            c, t = row["cluster_id"], truth[row[id_column]]
            cells[(c, t)] += 1
            predicted[c] += 1
            true[t] += 1
    pairs = lambda counts: sum(n * (n - 1) // 2 for n in counts.values())
    correct, p_pairs, t_pairs = pairs(cells), pairs(predicted), pairs(true)
    precision = correct / p_pairs if p_pairs else 1.0
    recall = correct / t_pairs if t_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/rnc-compare"))
    ap.add_argument("--rnc", default=str(ROOT / "target/release/rnc"))
    ap.add_argument("--splink-python", default="/opt/peers-venv/bin/python")
    ap.add_argument("--reuse-data", action="store_true",
                    help="use the CSV of an earlier run in --work if present "
                         "instead of generating it again (about 100 s at 1 M)")
    ap.add_argument("--only", choices=("rnc", "splink"),
                    help="run one tool only (the other's row is left out)")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    data = a.work / f"persons_{a.records}_seed{a.seed}.csv"
    started = time.perf_counter()
    if a.reuse_data and data.exists():
        print(f"data: reusing {data} from an earlier run")
    else:
        generate(data, a.records, a.seed)
        print(f"data: {data} generated in {time.perf_counter() - started:.1f} s")
    truth = {}
    with open(data) as f:
        for row in csv.DictReader(f):
            truth[row["record_id"]] = row["entity_id"]
    sizes = collections.Counter(truth.values())
    true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    print(f"{len(truth)} records, {true_pairs} true pairs")

    load = os.getloadavg()
    rows = []
    if a.only != "splink":
        rnc_out = a.work / "rnc_clusters.csv"
        rows.append(("rnc", *timed(
            [a.rnc, "--quiet", "dedupe", str(data), "--id-column", "record_id",
             "--model", str(ROOT / "examples/persons.toml"), "--out", str(rnc_out)],
            a.work / "rnc.log"), rnc_out))
    if a.only != "rnc":
        splink_script = a.work / "run_splink.py"
        splink_script.write_text(SPLINK)
        splink_out = a.work / "splink_clusters.csv"
        rows.append(("splink", *timed(
            [a.splink_python, str(splink_script), str(data), str(splink_out)],
            a.work / "splink.log"), splink_out))

    after = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs; logs in {a.work}")
    print(f"load average before the runs: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    print(f"{'tool':<8} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} "
          f"{'precision':>10} {'recall':>8} {'F1':>8}")
    for name, wall, rss, cpu, out in rows:
        p, r, f1 = cluster_scores(out, truth)
        print(f"{name:<8} {wall:>8.2f} {cpu:>8.2f} {rss:>9.0f} "
              f"{p:>10.6f} {r:>8.6f} {f1:>8.6f}")
    if len(rows) == 2:
        (_, rnc_wall, rnc_rss, rnc_cpu, _), (_, splink_wall, splink_rss, splink_cpu, _) = rows
        print(f"splink / rnc: wall time {splink_wall / rnc_wall:.2f}, "
              f"CPU time {splink_cpu / rnc_cpu:.2f}, peak memory {splink_rss / rnc_rss:.2f}")


if __name__ == "__main__":
    main()
