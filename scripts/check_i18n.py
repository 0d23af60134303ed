"""Fail when a template says something a translator cannot reach.

Every piece of text in ``templates/`` must sit inside ``{% trans %}`` or ``_()``: this
lists text outside them, and attribute values people read (alt, title, placeholder,
aria-label) written literally. ``pybabel extract`` then finds every string; CI runs this
through ``tests/test_i18n.py``. Usage: ``python scripts/check_i18n.py [TEMPLATE...]``.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

#: Attributes whose values are read by people (or read aloud).
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-roledescription"}
#: Names and units that read the same in every language.
_NAMES = re.compile(r"\b(Trove|PayPal|SHA-256|CSV|JSON|ZIP|px|MB|KB|X0)\b")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


class _TextFinder(HTMLParser):
    """Collect the words in an HTML fragment: text nodes and read attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _is_words(value):
                self.found.append(f'{name}="{value}"')

    def handle_data(self, data: str) -> None:
        for line in data.split("\n"):
            if _is_words(line):
                self.found.append(line.strip())


def _is_words(text: str) -> bool:
    return bool(_LETTERS.search(_NAMES.sub(" ", text)))


def unmarked(source: str) -> list[str]:
    """Return the literal words in a template that are outside ``{% trans %}`` blocks."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # lexing only
    pieces: list[str] = []
    depth = 0
    tokens = [token for token in env.lex(source) if token[1] != "whitespace"]
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == "name" and index and tokens[index - 1][1] == "block_begin":
            if value == "trans":
                depth += 1
            elif value == "endtrans":
                depth -= 1
        elif kind == "data" and depth == 0:
            pieces.append(value)
        elif kind in ("variable_begin", "block_begin") and depth == 0:
            pieces.append("\x00")  # an expression: attribute values around it are not literal
    finder = _TextFinder()
    # Expressions split text; keep them as a placeholder so a tag's attributes still parse.
    finder.feed("".join(pieces).replace("\x00", "X0"))
    finder.close()
    return finder.found


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(TEMPLATES.rglob("*.html"))
    failures = 0
    for path in files:
        for text in unmarked(path.read_text()):
            failures += 1
            print(f"{path.relative_to(ROOT) if path.is_absolute() else path}: {text!r}")
    if failures:
        print(f"{failures} unmarked string(s): wrap them in {{% trans %}} or _().")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
