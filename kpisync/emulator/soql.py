"""The SOQL subset the emulator understands: a tokenizer and a recursive-descent parser.

Supported: ``SELECT f1, f2 FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n]`` and ``SELECT COUNT() FROM Obj [WHERE cond]``. Conditions: ``= != <> < <= > >=``,
``LIKE``, ``IN (...)``, ``NOT IN (...)``, ``AND``, ``OR``, ``NOT``, parentheses. Literals: quoted
strings with SOQL's backslash escapes, numbers, true/false/null, unquoted date ``2024-01-31`` and
datetime ``2024-01-31T12:00:00Z`` / ``...+02:00`` literals.

Errors carry Salesforce's error code and its message text, including the multi-line caret
format (``ERROR at Row:1:Column:12``) real orgs send, so client error handling meets the same
strings here as in production. ``parse`` builds the tree (``soql_tree``); ``run`` (from
``soql_eval``) filters, sorts and limits rows with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from kpisync.emulator.soql_eval import compile_where, run
from kpisync.emulator.soql_tree import (
    BoolOp,
    Compare,
    InList,
    Not,
    OrderItem,
    Query,
    SoqlError,
    datetime_literal,
)

__all__ = ["Query", "SoqlError", "compile_where", "datetime_literal", "parse", "run"]


# ---------------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
     (?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})(?![\w:.])
    |(?P<number>[+-]?(?:\d+(?:\.\d+)?|\.\d+))(?![\w.])
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op><=|>=|!=|<>|=|<|>)
    |(?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}
# Kept escaped so LIKE can tell a literal % or _ from a wildcard.
_LIKE_ESCAPES = {"%", "_"}


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, date, datetime, op, punct, eof
    text: str
    pos: int

    def word(self) -> str:
        return self.text.upper() if self.kind == "ident" else ""


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos] == "'":
                raise SoqlError("MALFORMED_QUERY", _caret(text, pos, "unterminated string"))
            end = pos
            while end < len(text) and not text[end].isspace():
                end += 1
            raise SoqlError("MALFORMED_QUERY",
                            _caret(text, pos, f"unexpected token: {text[pos:end]}"))
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


def _caret(text: str, pos: int, detail: str) -> str:
    """Salesforce's positioned error: the offending line, a caret, row and column, detail."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start:] if end == -1 else text[start:end]
    row, column = text.count("\n", 0, pos) + 1, pos - start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}"


def _unescape(token: Token, text: str) -> str:
    body, out, i = token.text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt.lower() in _ESCAPES:
                out.append(_ESCAPES[nxt.lower()])
            elif nxt in _LIKE_ESCAPES:
                out.append("\\" + nxt)
            else:
                raise SoqlError("MALFORMED_QUERY", _caret(
                    text, token.pos,
                    f"Invalid string literal '{body}'. Illegal character sequence "
                    f"'\\{nxt}' in string literal."))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ------------------------------------------------------------------------------- parsing

_CLAUSE_WORDS = {"FROM", "WHERE", "ORDER", "LIMIT", "AND", "OR", "NOT", "IN", "LIKE"}
_NUMBER_TYPES = {"int": "integer", "double": "double", "currency": "double", "percent": "double"}


def parse(text: str, schema: Mapping[str, Mapping[str, str]]) -> Query:
    """Parse ``text`` against ``schema`` (object name -> field name -> describe type).

    Object and field names match case-insensitively, as in Salesforce. Raises SoqlError.
    """
    return _Parser(text, schema).query()


class _Parser:
    def __init__(self, text: str, schema: Mapping[str, Mapping[str, str]]):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.objects = {name.lower(): name for name in schema}
        self.schema = schema
        self.fields: dict[str, tuple[str, str]] = {}
        self.sobject = ""

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, token: Token, code: str = "MALFORMED_QUERY", detail: str | None = None):
        return SoqlError(code, _caret(self.text, token.pos,
                                      detail or f"unexpected token: {token.text}"))

    def expect(self, word: str) -> Token:
        token = self.take()
        if token.word() != word:
            raise self.error(token)
        return token

    def expect_punct(self, char: str) -> Token:
        token = self.take()
        if token.kind != "punct" or token.text != char:
            raise self.error(token)
        return token

    def query(self) -> Query:
        first = self.peek()
        if first.word() != "SELECT":
            # Salesforce answers a query that is not a SELECT at all without a caret.
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {first.text}")
        self.take()
        is_count, selected = self.select_list()
        self.expect("FROM")
        self.resolve_object(self.take())
        fields = tuple(self.resolve(token) for token in selected)
        seen: set[str] = set()
        for token, name in zip(selected, fields, strict=True):
            if name in seen:
                raise self.error(token, detail=f"duplicate field selected: {name}")
            seen.add(name)
        where = order = limit = None
        if self.peek().word() == "WHERE":
            self.take()
            where = self.condition()
        if self.peek().word() == "ORDER":
            self.take()
            self.expect("BY")
            order = self.order_list()
        if self.peek().word() == "LIMIT":
            self.take()
            token = self.take()
            if token.kind != "number" or not token.text.isdigit():
                raise self.error(token)
            limit = int(token.text)
        if self.peek().kind != "eof":
            raise self.error(self.peek())
        return Query(self.sobject, fields, is_count, where, tuple(order or ()), limit)

    def select_list(self) -> tuple[bool, list[Token]]:
        token = self.peek()
        following = self.tokens[self.i + 1]
        if token.word() == "COUNT" and following.text == "(":
            self.i += 2
            self.expect_punct(")")
            return True, []
        selected = [self.field_token()]
        while self.peek().text == ",":
            self.take()
            selected.append(self.field_token())
        return False, selected

    def field_token(self) -> Token:
        token = self.take()
        if token.kind != "ident" or token.word() in _CLAUSE_WORDS | {"SELECT"}:
            raise self.error(token)
        return token

    def resolve_object(self, token: Token) -> None:
        if token.kind != "ident" or token.word() in _CLAUSE_WORDS:
            raise self.error(token)
        name = self.objects.get(token.text.lower())
        if name is None:
            raise self.error(token, "INVALID_TYPE", (
                f"sObject type '{token.text}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name. Please "
                "reference your WSDL or the describe call for the appropriate names."))
        self.sobject = name
        self.fields = {f.lower(): (f, t) for f, t in self.schema[name].items()}

    def resolve(self, token: Token) -> str:
        return self.resolve_typed(token)[0]

    def resolve_typed(self, token: Token) -> tuple[str, str]:
        if "." in token.text:
            relation = token.text.split(".", 1)[0]
            raise self.error(token, "INVALID_FIELD", (
                f"Didn't understand relationship '{relation}' in field path. If you are "
                "attempting to use a custom relationship, be sure to append the '__r' after "
                "the custom relationship name. Please reference your WSDL or the describe call "
                "for the appropriate names."))
        found = self.fields.get(token.text.lower())
        if found is None:
            raise self.error(token, "INVALID_FIELD", (
                f"No such column '{token.text}' on entity '{self.sobject}'. If you are "
                "attempting to use a custom field, be sure to append the '__c' after the custom "
                "field name. Please reference your WSDL or the describe call for the "
                "appropriate names."))
        return found

    # condition := unary ((AND unary)* | (OR unary)*) — SOQL refuses AND and OR mixed
    # without parentheses, so a chain keeps the first operator it meets.
    def condition(self):
        items, op = [self.unary()], None
        while self.peek().word() in ("AND", "OR"):
            token = self.take()
            if op is not None and token.word() != op:
                raise self.error(token)
            op = token.word()
            items.append(self.unary())
        return items[0] if op is None else BoolOp(op, tuple(items))

    def unary(self):
        token = self.peek()
        if token.word() == "NOT":
            self.take()
            return Not(self.unary())
        if token.text == "(":
            self.take()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self):
        token = self.field_token()
        name, ftype = self.resolve_typed(token)
        if ftype == "textarea":
            raise self.error(token, "INVALID_FIELD",
                             f"field '{name}' can not be filtered in a query call")
        op_token = self.take()
        word = op_token.word()
        if word == "NOT" and self.peek().word() == "IN":
            self.take()
            return InList(name, ftype, self.value_list(name, ftype), negated=True)
        if word == "IN":
            return InList(name, ftype, self.value_list(name, ftype), negated=False)
        if word == "LIKE":
            value = self.literal(name, ftype)
            if not isinstance(value, str):
                raise self.error(op_token, "INVALID_QUERY_FILTER_OPERATOR",
                                 f"invalid operator on {ftype} field: LIKE")
            return Compare(name, ftype, "LIKE", value)
        if op_token.kind != "op":
            raise self.error(op_token)
        op = "!=" if op_token.text == "<>" else op_token.text
        return Compare(name, ftype, op, self.literal(name, ftype))

    def value_list(self, name: str, ftype: str) -> tuple:
        self.expect_punct("(")
        values = [self.literal(name, ftype)]
        while self.peek().text == ",":
            self.take()
            values.append(self.literal(name, ftype))
        self.expect_punct(")")
        return tuple(values)

    def literal(self, name: str, ftype: str):
        token = self.take()
        kind, value = _literal(token, self.text)
        if kind is None:
            raise self.error(token)
        if kind != "null" and kind not in _accepted(ftype):
            raise self.error(token, "INVALID_QUERY_FILTER_OPERATOR",
                             _type_message(name, ftype))
        return value

    def order_list(self) -> list[OrderItem]:
        items = [self.order_item()]
        while self.peek().text == ",":
            self.take()
            items.append(self.order_item())
        return items

    def order_item(self) -> OrderItem:
        token = self.field_token()
        name, ftype = self.resolve_typed(token)
        if ftype == "textarea":
            raise self.error(token, "INVALID_FIELD",
                             f"field '{name}' can not be sorted in a query call")
        descending, nulls_first = False, True  # SOQL's defaults: ASC, NULLS FIRST
        if self.peek().word() in ("ASC", "DESC"):
            descending = self.take().word() == "DESC"
        if self.peek().word() == "NULLS":
            self.take()
            token = self.take()
            if token.word() not in ("FIRST", "LAST"):
                raise self.error(token)
            nulls_first = token.word() == "FIRST"
        return OrderItem(name, ftype, descending, nulls_first)


def _literal(token: Token, text: str) -> tuple[str | None, object]:
    """(kind, value) of a literal token; kind None if the token is no literal."""
    if token.kind == "string":
        return "string", _unescape(token, text)
    if token.kind == "number":
        number = float(token.text) if "." in token.text else int(token.text)
        return "number", number
    if token.kind == "date":
        try:
            date.fromisoformat(token.text)
        except ValueError:
            return None, None
        return "date", token.text
    if token.kind == "datetime":
        stamp = datetime_literal(token.text)
        return ("datetime", stamp) if stamp else (None, None)
    word = token.word()
    if word in ("TRUE", "FALSE"):
        return "boolean", word == "TRUE"
    if word == "NULL":
        return "null", None
    return None, None


def _accepted(ftype: str) -> set[str]:
    if ftype == "datetime":
        return {"datetime"}
    if ftype == "date":
        return {"date"}
    if ftype == "boolean":
        return {"boolean"}
    if ftype in _NUMBER_TYPES:
        return {"number"}
    return {"string"}


def _type_message(name: str, ftype: str) -> str:
    if ftype in ("datetime", "date", "boolean") or ftype in _NUMBER_TYPES:
        wanted = {"datetime": "dateTime"}.get(ftype, _NUMBER_TYPES.get(ftype, ftype))
        return (f"value of filter criterion for field '{name}' must be of type {wanted} and "
                "should not be enclosed in quotes")
    wanted = "id" if ftype in ("id", "reference") else "string"
    return (f"value of filter criterion for field '{name}' must be of type {wanted} and "
            "should be enclosed in quotes")
