#!/usr/bin/env bash
# Writes two real classification datasets as CSV (RFC 4180, UTF-8, CRLF, header row, `label` column):
#   <out>/text/{train,test}.csv   columns: text,label
#       Amazon Fine Foods reviews subset ("small_fine_foods": training_data 4000 / testing_data 1000,
#       official split kept), label = great (5 stars) | other.
#   <out>/table/{train,test}.csv  columns: Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,
#       Assets,Debt,Amount,Price,label
#       Credit scoring data ("credit_data", 4454 rows, 8+ numeric, 4 categorical, missing values as empty
#       fields), label = good | bad; no official split: stratified, test = round(n_class / 6) per class.
# Source of both: Debian 12 package r-cran-modeldata (1.1.0-1, MIT), file
#   /usr/lib/R/site-library/modeldata/data/Rdata.{rdb,rdx} (R lazy-load database), read with r-base-core.
# The .deb is only downloaded and unpacked into the cache (installing it would pull dplyr & co.).
#
# Usage (root, Debian 12): make-datasets.sh <out-dir>
# Env: TABDATA_CACHE (default /var/cache/lepton/tabdata) keeps the .deb, its unpacked files and raw exports.
# Idempotent: when <out>/.tabdata-stamp matches this script's data version and all files exist, it exits at once.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 <out-dir>" >&2
  exit 2
fi
OUT=$1
CACHE=${TABDATA_CACHE:-/var/cache/lepton/tabdata}
MODELDATA_VERSION=1.1.0-1
SEED=lepton-tabdata-v1
STAMP="modeldata=$MODELDATA_VERSION seed=$SEED format=rfc4180-crlf-v1"

done_already() {
  [[ -f "$OUT/.tabdata-stamp" ]] && [[ "$(cat "$OUT/.tabdata-stamp")" == "$STAMP" ]] || return 1
  local f
  for f in text/train.csv text/test.csv table/train.csv table/test.csv; do
    [[ -s "$OUT/$f" ]] || return 1
  done
}
if done_already; then
  echo "tabdata: $OUT is up to date ($STAMP)"
  exit 0
fi

# --- tools: R (reads the .rdb) and Debian's python3 (split + CSV writing, stdlib only) ---------------
APT_UPDATED=0
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $APT_UPDATED -eq 0 ]]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
apt_install r-base-core python3
PY=/usr/bin/python3

# --- source data: r-cran-modeldata .deb, unpacked into the cache -------------------------------------
PKGDIR="$CACHE/r-cran-modeldata_$MODELDATA_VERSION"
RDATA="$PKGDIR/usr/lib/R/site-library/modeldata/data/Rdata"
if [[ ! -f "$RDATA.rdb" ]]; then
  mkdir -p "$CACHE/debs"
  deb=$(ls "$CACHE/debs"/r-cran-modeldata_"${MODELDATA_VERSION}"_all.deb 2>/dev/null || true)
  if [[ -z "$deb" ]]; then
    # apt-get download writes into the current directory; _apt cannot write to a root-owned cache, so it
    # falls back to downloading as root (a harmless warning) -- silence it.
    if ! (cd "$CACHE/debs" && apt-get download -qq "r-cran-modeldata=$MODELDATA_VERSION" 2>/dev/null); then
      if [[ $APT_UPDATED -eq 0 ]]; then apt-get update -qq; APT_UPDATED=1; fi
      (cd "$CACHE/debs" && apt-get download -qq "r-cran-modeldata=$MODELDATA_VERSION" 2>/dev/null)
    fi
    deb="$CACHE/debs/r-cran-modeldata_${MODELDATA_VERSION}_all.deb"
  fi
  rm -rf "$PKGDIR.tmp"
  mkdir -p "$PKGDIR.tmp"
  dpkg-deb -x "$deb" "$PKGDIR.tmp"
  rm -rf "$PKGDIR"
  mv "$PKGDIR.tmp" "$PKGDIR"
fi

# --- raw export (R): full tables as CSV, NA -> empty field --------------------------------------------
RAW="$CACHE/raw-$MODELDATA_VERSION"
if [[ ! -s "$RAW/credit_data.csv" || ! -s "$RAW/fine_foods_test.csv" ]]; then
  rm -rf "$RAW.tmp"
  mkdir -p "$RAW.tmp"
  LC_ALL=C.UTF-8 Rscript --vanilla - "$RDATA" "$RAW.tmp" <<'EOF' >/dev/null
args <- commandArgs(trailingOnly = TRUE)
e <- new.env()
lazyLoad(args[1], envir = e)
w <- function(df, name) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)  # tibble -> data.frame; factors are written as labels
  write.csv(df, file.path(args[2], name), row.names = FALSE, na = "", fileEncoding = "UTF-8")
}
w(e$credit_data, "credit_data.csv")
w(e$training_data, "fine_foods_train.csv")
w(e$testing_data, "fine_foods_test.csv")
EOF
  rm -rf "$RAW"
  mv "$RAW.tmp" "$RAW"
fi

# --- final CSVs (python stdlib): rename outcome to `label`, stratified deterministic split ------------
TMP="$OUT/.tabdata-tmp"
rm -rf "$TMP"
mkdir -p "$TMP/text" "$TMP/table"
"$PY" - "$RAW" "$TMP" "$SEED" <<'EOF'
import csv, hashlib, sys

raw, out, seed = sys.argv[1:4]

def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]

def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)

# text: official split; keep review text and the 5-star outcome, drop the product id.
for part, name in (("train", "fine_foods_train.csv"), ("test", "fine_foods_test.csv")):
    h, rows = read(f"{raw}/{name}")
    ti, li = h.index("review"), h.index("score")
    write(f"{out}/text/{part}.csv", ["text", "label"], [[r[ti], r[li]] for r in rows])

# table: outcome `Status` becomes `label` (last column). Split: per class, rows ordered by
# sha256("<seed>:<0-based source row index>"), the first round(n/6) go to test; both files keep source order.
h, rows = read(f"{raw}/credit_data.csv")
si = h.index("Status")
feat = [i for i in range(len(h)) if i != si]
header = [h[i] for i in feat] + ["label"]
by_class = {}
for i, r in enumerate(rows):
    by_class.setdefault(r[si], []).append(i)
test = set()
for label, idx in sorted(by_class.items()):
    idx.sort(key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).hexdigest())
    test.update(idx[: round(len(idx) / 6)])
conv = lambda r: [r[i] for i in feat] + [r[si]]
write(f"{out}/table/train.csv", header, [conv(r) for i, r in enumerate(rows) if i not in test])
write(f"{out}/table/test.csv", header, [conv(r) for i, r in enumerate(rows) if i in test])
EOF

for d in text table; do
  mkdir -p "$OUT/$d"
  mv -f "$TMP/$d/train.csv" "$TMP/$d/test.csv" "$OUT/$d/"
done
rm -rf "$TMP"
echo "$STAMP" > "$OUT/.tabdata-stamp"
(cd "$OUT" && for f in text/train.csv text/test.csv table/train.csv table/test.csv; do
   printf 'tabdata: %-16s %6d rows  sha256 %s\n' "$f" $(($(wc -l < "$f") - 1)) "$(sha256sum "$f" | cut -c1-16)"
 done)
