"""The message catalogs: extract, update and compile them with Babel.

    python -m registry.catalogs extract   # sources -> messages.pot -> each language's .po
    python -m registry.catalogs compile   # .po -> .mo, which the app reads (not committed)

Besides gettext's own markers, the English templates of domain errors are extracted: the
first argument of DomainError and its kin, of marshmallow's ValidationError (the schemas' own
cross-field messages), and the message of `permissions.allow`.
"""

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "registry" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
KEYWORDS = ("_l", "N_", "DomainError", "InvalidTransition", "CaseNumberError", "Forbidden",
            "NotFound", "AuditLogIsAppendOnly", "LastActiveAdmin", "ValidationError", "allow:2")


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = TEMPLATE) -> None:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), *keywords, "--no-location",
            "--sort-output", "--omit-header", "-o", str(output), str(ROOT))


def update() -> None:
    extract()
    pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching",
            "--ignore-obsolete")


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(TRANSLATIONS))


def main(argv: list[str]) -> int:
    commands = {"extract": update, "compile": compile_catalogs}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
