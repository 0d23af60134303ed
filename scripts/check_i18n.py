"""Fail when a template or the Python code says something a translator cannot reach.

Every piece of text in ``templates/`` must sit inside ``{% trans %}`` or ``_()``: this
lists text outside them, and attribute values people read (alt, title, placeholder,
aria-label) written literally. In ``trove/**/*.py`` it lists string literals that read
like a sentence for people (a capital letter, a space, 12 characters or more: flash
messages, form labels, refusals) outside ``_()``, ``_l()``, ``ngettext``,
``lazy_ngettext``, ``N_`` and ``Np_``; calls and exceptions meant for operators,
machines or the database are not for people, and :data:`MACHINE_OUTPUT` names the rest
that stays English on purpose. ``pybabel extract`` then finds every string; CI runs this
through ``tests/test_i18n.py``.
Usage: ``python scripts/check_i18n.py [TEMPLATE.html | MODULE.py ...]`` (none: all).
"""

from __future__ import annotations

import ast
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
CODE = ROOT / "trove"

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


# --- Python ------------------------------------------------------------------------------

#: Calls that put their strings in the catalogue (gettext's names and Trove's N_/Np_).
MARKERS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "N_", "Np_"}
#: Method names of a logger (``log.info(...)``, ``current_app.logger.warning(...)``).
_LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
#: Exceptions whose message reaches an operator (a log, the CLI, a job record), never a page.
OPERATOR_EXCEPTIONS = {
    "AssertionError", "AttributeError", "FileNotFoundError", "KeyError", "LookupError",
    "NotImplementedError", "OSError", "RuntimeError", "SystemExit", "TypeError", "ValueError",
    "ClickException",  # the CLI
    "BackupError",  # flask trove backup/restore
    "ModelMissing",  # an install without the face model
    "ArchiveError", "AuthError", "PayPalError", "TransientError",  # recorded by jobs
}  # fmt: skip
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|SET|DROP|CREATE|ALTER|WITH)\b")

#: What stays English on purpose, as ``path`` (the whole module) or ``path::name`` (a
#: function, class or module-level constant by its name), and why.
MACHINE_OUTPUT: dict[str, str] = {
    # Command-line output and help, for operators.
    "trove/cli.py": "flask trove commands",
    "trove/storage_cli.py": "flask trove storage commands",
    "trove/media/cli.py": "the strip-metadata command",
    # Demo seed data: a sample project and accounts, written once into the database.
    "trove/demo.py": "seed data",
    # Files inside downloads, read by programs and by people far from the app.
    "trove/exports/datasheet.py": "the dataset card (datasheet.md) inside an export",
    "trove/exports/archive.py": "the manifest and the deletion list inside an archive",
    "trove/exports/deletions.py": "the published deletion-list JSON",
    "trove/consent/mydata.py::write_my_data": "README.txt inside a person's data download",
    # Protocols: answers to programs (the tus client, PayPal), not to people.
    "trove/submissions/tus.py": "tus protocol errors (app.js shows its own words)",
    "trove/submissions/tus_views.py": "tus protocol errors",
    "trove/payouts/views.py::webhook": "webhook error bodies, read by PayPal",
    "trove/payouts/paypal/client.py": "the PayPal API client (request contexts for logs)",
    "trove/errors.py::handle_http_exception": "a Host outside TRUSTED_HOSTS: text/plain 400",
    "trove/files.py::send_private_file": "a Content-Disposition header",
    # Each language's own name: the same on every page.
    "trove/i18n.py::LANGUAGES": "a language's own name",
    # Stored English texts stay as written (the team's decision). The app's own fixed
    # reasons among them are marked with N_ and translated where a page shows them.
    "trove/projects/models.py::DEFAULT_LICENCE": "the licence text a consent receipt hashes",
    "trove/consent/service.py::delete_account": "the display name a deleted account keeps",
    "trove/payouts/jobs.py::send_payout_batch": "a batch's job error, for the finance team",
    "trove/tasks/sweep.py": "job errors the sweep records",
}

#: Known unmarked sentences in code other teams own, kept out of the check until they mark
#: them (same keys as :data:`MACHINE_OUTPUT`). Remove an entry once it is marked.
NOT_YET_MARKED: dict[str, str] = {}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _for_machines(call: ast.Call) -> bool:
    """Return True when ``call`` marks its strings, or is for a log, the CLI or SQL."""
    name = _dotted(call.func)
    last = name.rpartition(".")[2]
    receiver = name.rpartition(".")[0].rpartition(".")[2].lower()
    return (
        last in MARKERS
        or (last in _LOG_METHODS and receiver.endswith(("log", "logger", "logging")))
        or name.startswith("click.")
        or last in {"text", "execute", "scalar", "warn"}  # SQL, warnings.warn
    )


def _readable(node: ast.Constant | ast.JoinedStr) -> str | None:
    """Return the text of a literal if it reads like a sentence for people, else None."""
    if isinstance(node, ast.JoinedStr):  # "{…}" stands for a value
        text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
    else:
        text = node.value
    # A value reads like a name ("{who} left the team" is a sentence).
    words = text.replace("{…}", "Name").strip().lstrip("“\"'«¿¡(")
    if len(words) < 12 or " " not in words or not words[:1].isupper() or _SQL.match(words):
        return None
    return text


def _scopes(tree: ast.Module) -> dict[ast.AST, str]:
    """Map each node to the name of its outermost function, class or module constant."""
    scopes: dict[ast.AST, str] = {}
    for top in tree.body:
        name = ""
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = top.name
        elif isinstance(top, ast.Assign | ast.AnnAssign):
            target = top.targets[0] if isinstance(top, ast.Assign) else top.target
            name = target.id if isinstance(target, ast.Name) else ""
        for node in ast.walk(top):
            scopes[node] = name
    return scopes


def unmarked_python(source: str, path: str = "") -> list[tuple[int, str]]:
    """Return ``(line, text)`` for each sentence in a module that a translator cannot reach.

    ``path`` (relative to the repository, ``trove/x.py``) applies :data:`MACHINE_OUTPUT`.
    """
    skipped = MACHINE_OUTPUT | NOT_YET_MARKED
    if path in skipped:
        return []
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    scopes = _scopes(tree)
    skip: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(node.value)  # docstrings
        elif isinstance(node, ast.JoinedStr):
            skip.update(node.values)  # judged as one f-string
    found = []
    for node in ast.walk(tree):
        if node in skip or not isinstance(node, ast.Constant | ast.JoinedStr):
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        text = _readable(node)
        if text is None or f"{path}::{scopes.get(node, '')}" in skipped:
            continue
        if not any(_not_for_people(parent) for parent in _ancestors(node, parents)):
            found.append((node.lineno, text))
    found.extend(_formatted_msgids(tree))
    return sorted(found)


def _formatted_msgids(tree: ast.Module) -> list[tuple[int, str]]:
    """Return ``_(f"…")`` calls: the catalogue cannot hold a text built before lookup."""
    return [
        (node.lineno, "an f-string as the message: use %(name)s placeholders")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and _dotted(node.func).rpartition(".")[2] in MARKERS
        and any(
            isinstance(arg, ast.JoinedStr)
            and any(isinstance(v, ast.FormattedValue) for v in arg.values)
            for arg in node.args
        )
    ]


def _ancestors(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[ast.AST]:
    chain = []
    while node in parents:
        node = parents[node]
        chain.append(node)
    return chain


def _not_for_people(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return _for_machines(node) or _dotted(node.func).rpartition(".")[2] in OPERATOR_EXCEPTIONS
    return isinstance(node, ast.Assert)


def _unmarked_in(path: Path) -> list[str]:
    relative = path.relative_to(ROOT).as_posix() if path.is_absolute() else path.as_posix()
    if path.suffix == ".py":
        return [
            f"{relative}:{line}: {text!r}"
            for line, text in unmarked_python(path.read_text(), relative)
        ]
    return [f"{relative}: {text!r}" for text in unmarked(path.read_text())]


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or [
        *sorted(TEMPLATES.rglob("*.html")),
        *sorted(CODE.rglob("*.py")),
    ]
    failures = [problem for path in files for problem in _unmarked_in(path)]
    for problem in failures:
        print(problem)
    if failures:
        print(f"{len(failures)} unmarked string(s): wrap them in {{% trans %}}, _() or _l().")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
