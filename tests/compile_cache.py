"""Compile once per test process what every test app compiles alike: URL builders, templates.

The suite creates an app per test. Each ``create_app`` registers ~110 URL rules, and
werkzeug compiles two builder functions per rule through ``ast`` and ``compile`` (about 90 %
of the cost of creating an app); each new app's Jinja environment compiles again every
template the test renders. Both results depend only on their input, so they are shared:

- a rule's parsed parts depend only on its text and the map's converters, so they are
  parsed once and copied into the same rule of later apps;
- a builder's code depends only on the rule's parsed parts and the names of its defaults
  (it reads the rule's converters through its ``self`` argument when called), so the
  function compiled for one app serves the same rule in every later app (rules whose
  defaults are folded into the URL as constants are compiled as usual);
- templates go through a Jinja bytecode cache in memory, keyed by the template, its source
  checksum and the environment's syntax options;
- SQL statements: SQLAlchemy caches compiled statements per engine, keyed by the engine's
  dialect object, so each test's new engine compiled every query again. Test engines share
  one cache whose keys name the dialect by its class and server version instead (every
  engine of a test process talks to the same kind of server with the same settings). The
  ORM's flushes keep their INSERT/UPDATE/DELETE statements in a cache of each mapper, keyed
  the same way (a third of a view test's statements were compiled again there): mappers
  use the shared cache too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.util import LRUCache
from werkzeug.routing import Rule

_Builder = Callable[..., tuple[str, str]]
_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], _Builder] = {}


_compile_rule = Rule.compile
#: Per rule and map settings: the parsed parts, trace, converters and arguments of a rule.
_compiled_rules: dict[tuple[Any, ...], tuple[Any, ...]] = {}


def _shared_compile(self: Rule) -> None:
    """Compile the rule as werkzeug does, parsing its text once per process.

    Parsing a rule gives the same parts, trace, converters and argument names whenever the
    rule's text, its domain part and the map's converter classes are the same (converters
    keep no per-map state a URL is matched or built with), so later apps copy them.
    """
    rules = self.map
    domain = (self.host if rules.host_matching else self.subdomain) or ""
    key = (
        self.rule,
        domain,
        rules.host_matching,
        self.merge_slashes,
        frozenset(self.arguments),
        tuple(sorted(rules.converters.items())),
    )
    parsed = _compiled_rules.get(key)
    if parsed is None:
        _compile_rule(self)
        _compiled_rules[key] = (
            tuple(self._parts),
            tuple(self._trace),
            dict(self._converters),
            frozenset(self.arguments),
        )
        return
    parts, trace, converters, arguments = parsed
    self._parts, self._trace = list(parts), list(trace)
    self._converters, self.arguments = dict(converters), set(arguments)
    self._build = self._compile_builder(False).__get__(self, None)
    self._build_unknown = self._compile_builder(True).__get__(self, None)


def _shared_builder(self: Rule, append_unknown: bool = True) -> _Builder:
    """Return the builder werkzeug would compile for this rule, compiled once per process."""
    defaults = self.defaults or {}
    if any(dynamic and part in defaults for dynamic, part in self._trace):
        return _compile_builder(self, append_unknown)
    key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


#: Environment settings that change what a template compiles to.
_SYNTAX = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "autoescape",
)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for every environment of the process."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """Return the bucket of ``name`` as compiled under ``environment``'s syntax."""
        settings = [getattr(environment, option, None) for option in _SYNTAX]
        syntax = repr([*settings, sorted(environment.extensions)])
        bucket = Bucket(
            environment,
            self.get_cache_key(name, filename) + self.get_cache_key(syntax),
            self.get_source_checksum(source),
        )
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from memory, if its template was compiled before."""
        data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep ``bucket``'s compiled template."""
        self.code[bucket.key] = bucket.bytecode_to_string()


class SharedCompiledCache:
    """SQLAlchemy's compiled-statement cache, shared by engines of the same dialect."""

    def __init__(self, size: int = 5000) -> None:
        self.compiled: LRUCache[tuple[Any, ...], Any] = LRUCache(size)

    @staticmethod
    def _key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = key[0]
        if isinstance(dialect, Dialect):
            kind = (type(dialect), dialect.server_version_info, dialect.paramstyle)
            return (kind, *key[1:])
        return key

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        """Return the statement compiled for ``key``'s dialect kind, or ``default``."""
        return self.compiled.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self.compiled[self._key(key)] = value


compiled_statements = SharedCompiledCache()


def share_compiled_statements(engine: Engine) -> None:
    """Make ``engine`` use the statements other test engines compiled."""
    engine.update_execution_options(compiled_cache=compiled_statements)


def install() -> None:
    """Share URL builders, compiled templates and flush statements between apps (idempotent)."""
    Rule._compile_builder = _shared_builder  # type: ignore[method-assign]
    Rule.compile = _shared_compile  # type: ignore[method-assign]
    # A property on the class wins over the memoized per-mapper cache SQLAlchemy would make.
    Mapper._compiled_cache = property(lambda _mapper: compiled_statements)  # type: ignore[assignment]
    if not isinstance(Flask.jinja_options.get("bytecode_cache"), MemoryBytecodeCache):
        Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": MemoryBytecodeCache()}
