"""Build a local demo institute replica without opening a window."""

from __future__ import annotations

import argparse
import sys

from institute_core.demo import SIZES, DemoRefused, build_demo_replica


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=tuple(SIZES), default="default",
                        help="small (tests), default (about 1,500 students) or large (10x)")
    parser.add_argument("--seed", type=int, default=7,
                        help="the same seed always gives the same institute (default: 7)")


def run(args: argparse.Namespace) -> int:
    print(f"building the demo institute in {args.data_dir} ...", flush=True)
    try:
        summary = build_demo_replica(args.data_dir, size=args.size, seed=args.seed)
    except (OSError, ValueError, DemoRefused) as exc:
        print(f"seed-demo failed: {exc}", file=sys.stderr)
        return 1
    print("\n".join(summary.lines()))
    return 0
