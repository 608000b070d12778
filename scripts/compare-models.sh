#!/usr/bin/env bash
# Tabulate the held-out metrics of fertile-site models trained on the SAME manifest (CNN
# `train`, GNN `train-gnn`, SVM `train-svm`) from their MODEL.metrics.json files, as a
# markdown table on stdout (docs/models.md). Warns when the manifest paths differ.
#
#   scripts/compare-models.sh MODEL.metrics.json...
#   e.g. scripts/compare-models.sh out/cnn.sbnn.metrics.json out/gnn.sbgn.metrics.json \
#        out/svm.sbsv.metrics.json
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,8p' "$0"; exit 2; }
/usr/bin/env python3 - "$@" <<'PY'
import json, sys
def f(x, d=3):
    return "n/a" if x is None else f"{x:.{d}f}"
rows, datasets = [], set()
for path in sys.argv[1:]:
    j = json.load(open(path))
    kind = j["kind"].split()[-2]              # "shearband fertile-site cnn training" -> cnn
    p, r = j["parameters"], j.get("result", {})
    t, v = j.get("test", r.get("test")), j.get("val", r.get("val"))   # older GNN files: under result
    datasets.add(p["dataset"])
    rows.append((kind, t, v, p, path))
if len(datasets) > 1:   # paths are as given at training time: relative ones may still agree
    print("compare-models: warning: different manifest paths: " + ", ".join(sorted(datasets)), file=sys.stderr)
print("| model | test atoms | base rate | test ROC-AUC | test PR-AUC | precision | recall | F1 | accuracy | val PR-AUC | file |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for kind, t, v, p, path in rows:
    print(f'| {kind} | {t["atoms"]} | {f(t["base_rate"])} | {f(t["roc_auc"])} | {f(t["pr_auc"])} | {f(t["precision"])} '
          f'| {f(t["recall"])} | {f(t["f1"])} | {f(t["accuracy"])} | {f(v["pr_auc"])} | {path} |')
PY
