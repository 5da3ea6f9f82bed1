"""New sites as a new user adds them (issue 12): a web of invented sites on loopback, crawled
from its sources file alone, then `brwatch attribution check`, scored against its truth.

The web (tests/newsweb.py): Silk Road Herald (English, RSS and paginated sections linked
"Next", named in ``allow``), 丝路经济网 (GBK Chinese, sitemap only), Open Corridor Review
(CC BY), Eurasia Wire (multilingual news sitemap), Belt Road Digest (an aggregator reprinting
the others with good, missing, dead and wrong links, spoofing the Herald's og:site_name).

Scores: coverage (articles stored of those on the sites), language, attribution outcome of
the copies, reprint_of (copies pointing at their original, originals at nothing) and inherited
status (copies inheriting their original's verdict). The issue's floors: coverage >= 0.98,
attribution >= 0.95, reprint_of >= 0.95.

    python benchmarks/newsweb.py                 # the issue's sizes: 161 Herald stories, 40 copies
    python benchmarks/newsweb.py --json          # one JSON object
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import newsweb  # noqa: E402  (the web is shared with tests/test_newsweb_e2e.py)

FLOORS = {"coverage": 0.98, "attribution": 0.95, "reprint_of": 0.95}
# Loopback sites answer at once: no politeness waits, one worker (the machine is shared).
SETTINGS = [
    "--set", "DOWNLOAD_DELAY=0",
    "--set", "AUTOTHROTTLE_START_DELAY=0",
    "--set", "RETRY_TIMES=1",
    "--set", "BRWATCH_WORKERS=1",
    "--set", "BRWATCH_STORE_INTERVAL=0.2",
]  # fmt: skip


def _brwatch(*args: str, db: str, env: dict[str, str] | None = None) -> str:
    command = [sys.executable, "-m", "brwatch.cli", *args, "--db", db]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--herald", type=int, default=161)
    parser.add_argument("--silkecon", type=int, default=60)
    parser.add_argument("--corridor", type=int, default=30)
    parser.add_argument("--eurasia", type=int, default=40)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sites = newsweb.start()
    try:
        web = newsweb.build(
            sites,
            herald=args.herald,
            silkecon=args.silkecon,
            corridor=args.corridor,
            eurasia=args.eurasia,
            copies=args.copies,
        )
        with tempfile.TemporaryDirectory() as tmp:
            sources = Path(tmp) / "sources.yaml"
            sources.write_text(yaml.safe_dump({"sources": web.sources}, allow_unicode=True))
            db = f"sqlite:///{Path(tmp) / 'newsweb.db'}"
            started = time.monotonic()
            _brwatch("--sources", str(sources), "crawl", *SETTINGS, db=db)
            crawled = time.monotonic() - started
            checks = json.loads(
                _brwatch(
                    "attribution",
                    "check",
                    "--json",
                    db=db,
                    env={"BRWATCH_ALLOWED_NETWORKS": "127.0.0.0/8"},
                )
            )
            report = newsweb.score(db, web.truth)
    finally:
        newsweb.stop(sites)
    report["crawl_seconds"] = round(crawled, 1)
    report["attribution_checks"] = checks
    report["met"] = {name: report["scores"][name] >= floor for name, floor in FLOORS.items()}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    totals = report["totals"]
    print(f"{len(web.truth.articles)} articles on 5 sites, crawled in {crawled:.1f} s")
    print("| score | measured | of | floor | met |")
    print("|---|---|---|---|---|")
    for name, value in report["scores"].items():
        floor = FLOORS.get(name)
        met = "—" if floor is None else ("yes" if value >= floor else "**no**")
        shown = "—" if floor is None else f"≥ {floor}"
        print(f"| {name} | {value:.4f} | {totals[name]} | {shown} | {met} |")
    for name, missed in report["misses"].items():
        for miss in missed[:10]:
            print(f"miss {name}: {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
