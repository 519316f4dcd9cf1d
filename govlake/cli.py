"""The `govlake` command line: configuration, sample data, ingestion steps, lake registration."""
from __future__ import annotations

import argparse
import json
import sys

from govlake.catalogue import CatalogueError
from govlake.config import ConfigError, resolve, shell_exports
from govlake.goldspec import REWRITE_EVERY


def _config(args) -> int:
    settings = resolve()
    print(shell_exports(settings) if args.shell else json.dumps(settings.env(), indent=2, ensure_ascii=False))
    return 0


def _generate(args) -> int:
    from govlake.province.generate import generate
    summary = generate(args.out, persons=args.persons, seed=args.seed, days=args.days, truth=args.truth)
    rows = {code: sum(d["rows"] for d in r["deliveries"]) for code, r in summary["resources"].items()}
    print(f"[govlake] {summary['province']}：{len(summary['departments'])} 个部门，{len(rows)} 类资源，"
          f"{sum(rows.values())} 行，写入 {args.out}；真值 {args.truth or 'truth/'}")
    return 0


def _ingest(args) -> int:
    from jobs import ingest
    if args.step == "run":
        return ingest.run_all(args.target)
    return ingest.run_step(args.step, args.target)


def _quality(args) -> int:
    from quality import report
    if args.quality_command == "report":
        return report.main(args.truth, args.json)
    return report.scorecard_main()


def _register(args) -> int:
    from govlake import trino_catalog
    trino_catalog.register_all(resolve())
    return 0


def _positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"须为正整数，而不是 {text!r}")
    return n


def _maintain(args) -> int:
    from jobs import maintain
    return maintain.main(args.every)


def _gold(args) -> int:
    from govlake import buildservice
    from govlake.config import resolve
    s = resolve()
    if args.gold_command == "serve":
        return buildservice.serve(s)
    if args.gold_command == "ping":
        return buildservice.ping(s)
    if not args.local and (rc := buildservice.build(s, args.full)) is not None:
        return rc
    from jobs import gold
    return gold.main(full=args.full)


def _oneid(args) -> int:
    from quality import linkage
    return linkage.main(args.truth, args.json)


def _portrait(args) -> int:
    from govlake import portrait_cli
    return portrait_cli.main(args.subject, args.id, args.category)


def _catalogue(args) -> int:
    from govlake import catalogue, dictionary
    cat = catalogue.load()
    if args.catalogue_command == "check":
        print(f"[govlake] 目录校验通过：{len(cat.resources)} 类资源，{len(cat.elements)} 个数据元，"
              f"{len(cat.code_tables)} 张代码表")
        return 0
    text = dictionary.render(cat)
    if args.out:
        from pathlib import Path
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"[govlake] 数据字典已写入 {args.out}")
    else:
        print(text, end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="govlake", description="GovLake 省级政务大数据平台")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="print the resolved configuration")
    p.add_argument("--shell", action="store_true", help="as `export K=V` lines for shell scripts")
    p.set_defaults(func=_config)

    p = sub.add_parser("generate", help="write a sample province's department deliveries into a landing tree")
    p.add_argument("--out", required=True, help="landing directory")
    p.add_argument("--persons", type=int, default=3000)
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--days", type=int, default=3, help="days of daily increments after the snapshot day")
    p.add_argument("--truth", help="where to write the ground truth (default: beside the landing tree)")
    p.set_defaults(func=_generate)

    p = sub.add_parser("ingest", help="run an ingestion step (or all of them: run) for resources")
    p.add_argument("step", choices=["land", "bronze", "validate", "silver", "run"])
    p.add_argument("target", help="a resource (gongan.hukou), a department (gongan) or all")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("quality", help="data quality: defect report against a ground truth, scorecards")
    q_sub = p.add_subparsers(dest="quality_command", required=True)
    r = q_sub.add_parser("report", help="share of injected defects caught and repaired; ledger reconciliation")
    r.add_argument("--truth", required=True, help="the generator's truth folder (summary.json, defects.jsonl)")
    r.add_argument("--json", help="also write the figures to this JSON file")
    r.set_defaults(func=_quality)
    q_sub.add_parser("scorecard", help="scorecard per department and batch").set_defaults(func=_quality)

    p = sub.add_parser("gold", help="base databases and portraits (OneID, 一数一源, tags)")
    g_sub = p.add_subparsers(dest="gold_command", required=True)
    g = g_sub.add_parser("build", help="build gold and portraits for every batch published since the last build")
    g.add_argument("--full", action="store_true", help="rebuild everything instead of the touched subjects")
    g.add_argument("--local", action="store_true",
                   help="build in this process even when the build service runs (govlake gold serve)")
    g.set_defaults(func=_gold)
    g_sub.add_parser("serve", help="the build service: keep a Spark session warm and run the builds "
                     "`govlake gold build` sends it (make up starts it)").set_defaults(func=_gold)
    g_sub.add_parser("ping", help="is the build service up, and current? (exit 0; 3: not running; 4: stale; 5: building)"
                     ).set_defaults(func=_gold)

    p = sub.add_parser("oneid", help="OneID linking")
    o_sub = p.add_subparsers(dest="oneid_command", required=True)
    o = o_sub.add_parser("report", help="linking precision and recall against the generator's ground truth")
    o.add_argument("--truth", required=True, help="the generator's truth folder (defects.jsonl)")
    o.add_argument("--json", help="also write the figures to this JSON file")
    o.set_defaults(func=_oneid)

    p = sub.add_parser("portrait", help="print a person's or a legal entity's portrait (through Trino)")
    p.add_argument("subject", choices=["person", "entity"])
    p.add_argument("id", help="citizen ID (15 or 18 digits) or USCC / legacy organisation code")
    p.add_argument("--category", help="only this tag category (e.g. 信用)")
    p.set_defaults(func=_portrait)

    p = sub.add_parser("catalogue", help="the resource catalogue (lakehouse/)")
    cat_sub = p.add_subparsers(dest="catalogue_command", required=True)
    cat_sub.add_parser("check", help="load and validate the catalogue").set_defaults(func=_catalogue)
    d = cat_sub.add_parser("dictionary", help="render the data dictionary (Markdown)")
    d.add_argument("--out", help="file to write (default: standard output)")
    d.set_defaults(func=_catalogue)

    p = sub.add_parser("lake", help="lake maintenance")
    lake_sub = p.add_subparsers(dest="lake_command", required=True)
    r = lake_sub.add_parser("register", help="register every Delta table in Trino's `lake` catalog")
    r.set_defaults(func=_register)
    m = lake_sub.add_parser("maintain", help="rewrite the golden and portrait tables that incremental builds "
                                             "have edited in place N times (deletion vectors, small files)")
    m.add_argument("--every", type=_positive, metavar="N", default=REWRITE_EVERY,
                   help=f"edits since a table's last rewrite (default: {REWRITE_EVERY})")
    m.set_defaults(func=_maintain)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"govlake: 配置错误 (configuration error): {exc}", file=sys.stderr)
        return 2
    except CatalogueError as exc:
        print(f"govlake: 目录错误 (catalogue error): {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
