#!/usr/bin/python3
"""sklearn reference numbers for the datasets written by make-datasets.sh.

Usage: /usr/bin/python3 sklearn-peer.py <out-dir>     (Debian 12's python3-sklearn 1.2.1; no pandas needed)
Reads <out>/text/{train,test}.csv (text,label) and <out>/table/{train,test}.csv (features..., label; empty
field = missing; a column is numeric when every non-empty value parses as a float) and prints a markdown
table of test accuracy and training time (wall clock of fit(), including vectorizing/preprocessing).
"""
import csv
import sys
import time

import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import LinearSVC


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def is_float(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def table_arrays(header, rows, numeric):
    """Object matrix: floats (nan for missing) in numeric columns, strings (nan for missing) in the others."""
    li = header.index("label")
    X = np.empty((len(rows), len(header) - 1), dtype=object)
    feats = [j for j in range(len(header)) if j != li]
    for r, row in enumerate(rows):
        for c, j in enumerate(feats):
            v = row[j]
            if v == "":
                X[r, c] = np.nan
            else:
                X[r, c] = float(v) if numeric[c] else v
    y = np.array([row[li] for row in rows])
    return X, y


def timed_fit(model, X, y):
    t0 = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - t0


def majority_acc(y_train, y_test):
    vals, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == vals[np.argmax(counts)]))


def main(out):
    results = []

    # --- text ---
    _, tr = read_csv(f"{out}/text/train.csv")
    _, te = read_csv(f"{out}/text/test.csv")
    Xtr, ytr = [r[0] for r in tr], np.array([r[1] for r in tr])
    Xte, yte = [r[0] for r in te], np.array([r[1] for r in te])
    results.append(("text", "majority class (baseline)", len(tr), len(te), majority_acc(ytr, yte), 0.0))
    m = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC(C=1.0))
    secs = timed_fit(m, Xtr, ytr)
    results.append(("text", "TF-IDF word 1-2 grams + LinearSVC(C=1)", len(tr), len(te),
                    float(np.mean(m.predict(Xte) == yte)), secs))

    # --- table ---
    h, tr = read_csv(f"{out}/table/train.csv")
    h2, te = read_csv(f"{out}/table/test.csv")
    assert h == h2, "train/test headers differ"
    li = h.index("label")
    feats = [j for j in range(len(h)) if j != li]
    numeric = [all(r[j] == "" or is_float(r[j]) for r in tr + te) for j in feats]
    num = [c for c, n in enumerate(numeric) if n]
    cat = [c for c, n in enumerate(numeric) if not n]
    Xtr, ytr = table_arrays(h, tr, numeric)
    Xte, yte = table_arrays(h, te, numeric)
    results.append(("table", "majority class (baseline)", len(tr), len(te), majority_acc(ytr, yte), 0.0))

    lr = make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")), cat),
        ]),
        LogisticRegression(max_iter=2000),
    )
    secs = timed_fit(lr, Xtr, ytr)
    results.append(("table", "impute + standardize + one-hot + LogisticRegression", len(tr), len(te),
                    float(np.mean(lr.predict(Xte) == yte)), secs))

    # HGB: categoricals ordinal-encoded and declared categorical (missing stays nan, handled natively).
    hgb = make_pipeline(
        ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), cat),
            ("num", "passthrough", num),
        ]),
        HistGradientBoostingClassifier(categorical_features=[True] * len(cat) + [False] * len(num),
                                       random_state=0),
    )
    secs = timed_fit(hgb, Xtr, ytr)
    results.append(("table", "HistGradientBoostingClassifier (defaults, native categorical + NaN)",
                    len(tr), len(te), float(np.mean(hgb.predict(Xte) == yte)), secs))

    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; table numeric columns: "
          f"{[h[feats[c]] for c in num]}; categorical: {[h[feats[c]] for c in cat]}")
    print()
    print("| dataset | model | train rows | test rows | test accuracy | train time (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for d, name, ntr, nte, acc, secs in results:
        print(f"| {d} | {name} | {ntr} | {nte} | {acc:.4f} | {secs:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sklearn-peer.py <out-dir written by make-datasets.sh>")
    main(sys.argv[1])
