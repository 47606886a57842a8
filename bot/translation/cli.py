"""``lotse translate ...`` and ``lotse detect``: registered into the main parser by :func:`register`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import get_settings


def cmd_translate(args: argparse.Namespace) -> int:
    """Manage offline translation models and translate text."""
    from bot.translation.argos import ArgosTranslator
    from bot.translation.base import TranslationError
    from bot.translation.service import get_translation_service

    settings = get_settings()
    argos = ArgosTranslator(settings.argos_packages_dir, index_url=settings.argos_index_url)
    try:
        if args.action == "install":
            if args.file:
                pkg = argos.install_file(Path(args.file))
            else:
                pkg = argos.install_from_index(args.from_index[0], args.from_index[1])
            print(f"installed {pkg.source} → {pkg.target} (version {pkg.version}) in {argos.packages_dir}")
        elif args.action == "list":
            packages = argos.installed()
            if not packages:
                print(f"no translation packages in {argos.packages_dir}")
            for pkg in packages:
                print(f"{pkg.source} → {pkg.target}  version {pkg.version}  {pkg.path}")
        elif args.action == "remove":
            if not argos.remove(args.source, args.target):
                print(f"no {args.source} → {args.target} package installed", file=sys.stderr)
                return 1
            print(f"removed {args.source} → {args.target}")
        elif args.action == "text":
            text = sys.stdin.read() if args.text == "-" else args.text
            result = get_translation_service(settings).translate(text, source=args.source, target=args.target)
            print(result.text)
        elif args.action == "bench":
            from bot.translation.bench import benchmark

            report = benchmark(
                get_translation_service(settings), source=args.source, target=args.target, rounds=args.rounds
            )
            print(report.describe())
    except TranslationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    """Print the language code Lotse detects for a text."""
    from bot.language.detect import detect

    text = sys.stdin.read() if args.text == "-" else args.text
    result = detect(text, hint=args.hint)
    if result.language is None:
        print("unknown", file=sys.stderr)
        return 1
    print(result.language)
    return 0


def cmd_content_translate(args: argparse.Namespace) -> int:
    """Write machine-translated drafts of a content text (reviewed texts are never replaced)."""
    from bot.db import session_scope
    from bot.language.languages import LANGUAGES
    from bot.translation.content import translate_content
    from bot.translation.service import get_translation_service

    settings = get_settings()
    targets = None if args.to == "all" else [args.to]
    if targets and targets[0] not in LANGUAGES:
        print(f"error: unsupported language {args.to!r}", file=sys.stderr)
        return 1
    try:
        with session_scope(settings.database_url) as session:
            outcomes = translate_content(
                session, get_translation_service(settings), key=args.key, targets=targets, source=args.source
            )
    except (KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for o in outcomes:
        if o.status == "written":
            print(f"{o.language}: machine draft version {o.version} ({o.detail}), needs review")
        elif o.status == "reviewed-exists":
            print(f"{o.language}: reviewed text exists, no draft")
        else:
            print(f"{o.language}: no translation: {o.detail}")
    return 0 if any(o.status != "no-model" for o in outcomes) else 1


def register_content(csub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``translate`` to ``lotse content``."""
    ct = csub.add_parser("translate", help=cmd_content_translate.__doc__)
    ct.add_argument("key")
    ct.add_argument("--to", required=True, help="a language code or 'all'")
    ct.add_argument("--source", default="de", help="language of the reviewed text to translate (default de)")
    ct.set_defaults(func=cmd_content_translate)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``translate`` and ``detect`` to the ``lotse`` parser."""
    tr = sub.add_parser("translate", help=cmd_translate.__doc__)
    tsub = tr.add_subparsers(dest="action", required=True)
    install = tsub.add_parser(
        "install", help="install an Argos package (from a file, or online from the index)"
    )
    source = install.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="PATH.argosmodel")
    source.add_argument("--from-index", nargs=2, metavar=("SRC", "TGT"), help="download (needs internet)")
    tsub.add_parser("list", help="installed translation packages")
    remove = tsub.add_parser("remove", help="uninstall the package of a language pair")
    remove.add_argument("source")
    remove.add_argument("target")
    text = tsub.add_parser("text", help="translate a text ('-' reads stdin); prints only the translation")
    text.add_argument("--source", required=True)
    text.add_argument("--target", required=True)
    text.add_argument("text")
    bench = tsub.add_parser("bench", help="translations per second, without and with the cache")
    bench.add_argument("--source", default="en")
    bench.add_argument("--target", default="de")
    bench.add_argument("--rounds", type=int, default=3)
    tr.set_defaults(func=cmd_translate)

    det = sub.add_parser("detect", help=cmd_detect.__doc__)
    det.add_argument("text", help="the text ('-' reads stdin)")
    det.add_argument("--hint", help="a channel's language hint, e.g. 'ar'")
    det.set_defaults(func=cmd_detect)
