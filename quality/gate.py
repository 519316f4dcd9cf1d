"""The Great Expectations gate between bronze and silver, generated from the catalogue.

Two suites per resource, run once per batch (each expectation costs Spark jobs, so the per-row
logic is already folded into `_ok_*` columns by jobs/standardise.py):
- `<resource>.batch` on every standardised row: the delivery is usable at all (fail severity);
- `<resource>.silver` on the rows about to be published: keys unique and present, forms valid.
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


def batch_expectations(res: Resource, check_columns: list[str]) -> list:
    import great_expectations as gx
    share = float(res.gate.get("max_quarantine_share", 0.5))
    exps = [gx.expectations.ExpectTableRowCountToBeBetween(min_value=1)]
    exps += [gx.expectations.ExpectColumnToExist(column=c) for c in res.items.values()]
    exps.append(gx.expectations.ExpectColumnValuesToBeInSet(column="_accepted", value_set=[True],
                                                            mostly=round(1 - share, 4)))
    return exps


def silver_expectations(cat: Catalogue, res: Resource, as_of: str) -> list:
    import great_expectations as gx
    E = gx.expectations
    exps = [E.ExpectColumnValuesToNotBeNull(column=res.key), E.ExpectColumnValuesToBeUnique(column=res.key)]
    for element in res.items.values():
        e = cat.elements[element]
        if e.normalise == "citizen_id":
            exps.append(E.ExpectColumnValuesToMatchRegex(column=element, regex=r"^[0-9]{17}[0-9X]$"))
        elif e.normalise == "code":
            exps.append(E.ExpectColumnValuesToBeInSet(column=element,
                                                      value_set=list(cat.code_tables[e.code_table]["codes"])))
        elif e.normalise == "date":
            exps.append(E.ExpectColumnValuesToNotBeNull(column=element))
            exps.append(E.ExpectColumnValuesToBeBetween(column=element, min_value=dt.date(1900, 1, 1),
                                                        max_value=dt.date.fromisoformat(as_of)))
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
        result = self._definition(name, expectations).run(
            batch_parameters={"dataframe": df}, result_format="SUMMARY")
        rows = []
        for r in result.results:
            cfg = r.expectation_config
            res = r.result or {}
            rows.append({
                "suite": name, "expectation": cfg.type, "column": cfg.kwargs.get("column"),
                "severity": severity, "success": bool(r.success),
                "element_count": res.get("element_count"), "unexpected_count": res.get("unexpected_count"),
                "unexpected_percent": res.get("unexpected_percent"),
                "observed": str(res.get("observed_value")) if "observed_value" in res else None,
            })
        return rows

    def validate(self, cat: Catalogue, res: Resource, std, accepted, as_of: str) -> GateResult:
        ok_cols = [c for c in std.columns if c.startswith("_ok_")]
        rows = self.run_suite(f"{res.code}.batch", batch_expectations(res, ok_cols), std, "fail")
        rows += self.run_suite(f"{res.code}.silver", silver_expectations(cat, res, as_of), accepted, "fail")
        return GateResult(all(r["success"] for r in rows), rows)

    def build_docs(self) -> None:
        try:
            self.ctx.build_data_docs()
        except Exception as exc:  # Data Docs are a convenience; never fail a batch over them
            log.warning("Data Docs not built: %s", exc)
