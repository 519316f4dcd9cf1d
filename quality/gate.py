"""The Great Expectations gate between bronze and silver, generated from the catalogue.

Three layers, all generated from the catalogue:
- `<resource>.rows`: the per-row checks, as Spark SQL `_ok_*` columns (jobs/standardise.py), counted
  per batch by quality/scorecard.py; `warn` quarantines the row, `info` publishes it with a notice;
- `<resource>.batch` (severity fail), per batch from those counts: not empty, not mostly quarantined,
  no `fail` rule broken. Failing it holds the batch back (status rejected), the others go on;
- `<resource>.silver`: a Great Expectations suite on everything about to be published in one run of
  the resource, from the element rules — keys present and unique per batch, IDs and USCCs well
  formed, codes in their tables, regions valid, dates in range. It runs once per resource and run,
  not per batch: each expectation costs Spark jobs. Failing it holds back that run's batches.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from govlake.catalogue import Catalogue, Resource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateResult:
    success: bool
    rows: list[dict]  # one per expectation, for lake.ops.quality_results

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.rows if not r["success"]]

    @property
    def messages(self) -> list[str]:
        return [f"{f['suite']}:{f['expectation']}({f['column'] or ''}) 未通过，观测值 {f['observed'] or f['unexpected_count']}"
                for f in self.failures]


def batch_failures(res: Resource, card: dict, checks) -> tuple[list[str], list[dict]]:
    """The batch-level gate (severity fail), from the batch's scorecard counts: not empty, not mostly
    quarantined, no `fail` rule broken. Returns (Chinese problems, one quality result per limit)."""
    share = float(res.gate.get("max_quarantine_share", 0.5))
    # A day without records is a valid increment; a full snapshot is never empty.
    min_rows = int(res.gate.get("min_rows", 1 if res.mode == "full" else 0))
    rows, quarantined = card["rows"], card["quarantined"]
    base = max(rows - card["duplicates"], 1)
    # A share says little about a handful of rows: one bad row of one would hold a whole day back.
    share_from = int(res.gate.get("min_rows_for_share", 20))
    limits = [("min_rows", rows >= min_rows, rows, f"行数 {rows} 少于下限 {min_rows}"),
              ("max_quarantine_share", base < share_from or quarantined / base <= share,
               round(quarantined / base, 4), f"隔离比例 {quarantined / base:.1%} 超过上限 {share:.0%}")]
    for c in checks:
        if c.severity == "fail":
            bad = card["failures"].get(c.name, 0)
            limits.append((c.name, bad == 0, bad, f"{c.message}：{bad} 行"))
    problems = [msg for _, ok, _, msg in limits if not ok]
    rows_out = [{"suite": f"{res.code}.batch", "expectation": name, "column": None, "severity": "fail",
                 "success": ok, "element_count": rows, "unexpected_count": None if isinstance(obs, float) else obs,
                 "unexpected_percent": None, "observed": str(obs)} for name, ok, obs, _ in limits]
    return problems, rows_out


ID_REGEX = r"^[0-9]{17}[0-9X]$"
USCC_REGEX = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$|^[0-9A-Z]{8}-[0-9X]$"


def silver_expectations(cat: Catalogue, res: Resource, as_of: str, regions: list) -> list:
    """On the rows about to be published, from the element rules: keys present and unique, IDs and
    USCCs well formed, codes in their tables, regions valid, dates in range."""
    import great_expectations as gx
    E = gx.expectations
    exps = [E.ExpectColumnValuesToNotBeNull(column=k) for k in res.key]
    # Unique within each batch (a full snapshot repeats every key in every batch).
    exps.append(E.ExpectCompoundColumnsToBeUnique(column_list=[*res.key, "_batch_id"]))
    region_codes = sorted({c for c, lo, hi in regions if (lo or "") <= as_of and (hi is None or as_of < hi)})
    for item in res.items:
        e, col = cat.elements[item.element], item.name
        if e.normalise == "citizen_id":
            exps.append(E.ExpectColumnValuesToMatchRegex(column=col, regex=ID_REGEX))
        elif e.normalise == "uscc":
            exps.append(E.ExpectColumnValuesToMatchRegex(column=col, regex=USCC_REGEX))
        elif e.normalise == "party":
            exps.append(E.ExpectColumnValuesToMatchRegex(column=col, regex=f"{ID_REGEX}|{USCC_REGEX}"))
        elif e.normalise == "code":
            table = cat.code_tables[e.code_table]
            if "codes" in table:
                exps.append(E.ExpectColumnValuesToBeInSet(column=col, value_set=list(table["codes"])))
            else:
                exps.append(E.ExpectColumnValuesToMatchRegex(column=col, regex=table.get("pattern", ".*")))
        elif e.normalise == "region":
            exps.append(E.ExpectColumnValuesToBeInSet(column=col, value_set=region_codes))
        elif e.normalise == "date" and e.not_after_delivery:
            exps.append(E.ExpectColumnValuesToBeBetween(column=col, min_value=dt.date(1900, 1, 1),
                                                        max_value=dt.date.fromisoformat(as_of)))
        if e.pattern:
            exps.append(E.ExpectColumnValuesToMatchRegex(column=col, regex=e.pattern))
        if item.required and col not in res.key:
            exps.append(E.ExpectColumnValuesToNotBeNull(column=col))
    return exps


class Gate:
    """Holds one GE file context (Data Docs live beside it) for a whole process."""

    def __init__(self, context_dir: str | Path):
        import great_expectations as gx
        self.gx = gx
        Path(context_dir).mkdir(parents=True, exist_ok=True)
        self.ctx = gx.get_context(mode="file", project_root_dir=str(context_dir))
        from great_expectations.data_context.types.base import ProgressBarsConfig
        self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.source = self.ctx.data_sources.add_or_update_spark(name="govlake_spark")

    def _definition(self, name: str, expectations: list):
        gx = self.gx
        try:
            asset = self.source.get_asset(name)
        except LookupError:
            asset = self.source.add_dataframe_asset(name=name)
        try:
            batch_def = asset.get_batch_definition(name)
        except (KeyError, LookupError, ValueError):
            batch_def = asset.add_batch_definition_whole_dataframe(name)
        suite = self.ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        return self.ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_def, suite=suite))

    def run_suite(self, name: str, expectations: list, df, severity: str) -> list[dict]:
        """Run a suite on `df`; one quality result per expectation.

        First pass/fail only (BOOLEAN_ONLY: one aggregate per expectation); BASIC would add, for every
        expectation, a scan collecting sample unexpected values, which on passing data finds none and
        doubled the gate's cost. Only when something failed is the suite run again with counts. Every
        expectation here is a map expectation without `mostly`, so a pass means 0 unexpected rows."""
        definition = self._definition(name, expectations)
        result = definition.run(batch_parameters={"dataframe": df}, result_format="BOOLEAN_ONLY")
        rows_total = None
        if not result.success:
            result = definition.run(batch_parameters={"dataframe": df}, result_format="BASIC")
        else:
            rows_total = df.count()
        rows = []
        for r in result.results:
            cfg = r.expectation_config
            res = r.result or ({"element_count": rows_total, "unexpected_count": 0, "unexpected_percent": 0.0}
                               if r.success else {})
            rows.append({
                "suite": name, "expectation": cfg.type, "column": cfg.kwargs.get("column"),
                "severity": severity, "success": bool(r.success),
                "element_count": res.get("element_count"), "unexpected_count": res.get("unexpected_count"),
                "unexpected_percent": res.get("unexpected_percent"),
                "observed": str(res.get("observed_value")) if "observed_value" in res else None,
            })
        return rows

    def validate_silver(self, cat: Catalogue, res: Resource, accepted, as_of: str, regions: list) -> GateResult:
        rows = self.run_suite(f"{res.code}.silver", silver_expectations(cat, res, as_of, regions), accepted, "fail")
        return GateResult(all(r["success"] for r in rows), rows)

    def build_docs(self) -> None:
        try:
            self.ctx.build_data_docs()
        except Exception as exc:  # Data Docs are a convenience; never fail a batch over them
            log.warning("Data Docs not built: %s", exc)
