"""No text is chosen by language in the code: German and English come from the catalog."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "coopkit"
ALLOWED = {("errors.py", "T.format")}
"""`errors.T` is the one place a text picks its language: messages that travel as values."""

HOW = (
    'put the German text in the catalog instead: gettext("Text", lang), '
    '_("Text {x}", x=...).format(lang), pgettext("context", "Text", lang) for a word that '
    "translates two ways, a whole-phrase msgid with placeholders where word order differs; "
    "then run scripts/catalog.py extract update compile (see src/coopkit/i18n/locale/README.md)"
)

LANGUAGE_FLAGS = {"de", "en", "german", "english", "is_de", "is_en"}


def _names_language(node: ast.expr) -> bool:
    """Is `node` a test of the language (`de`, `_de()`, `lang == "en"`, `ctx.lang != "de"`)?"""
    if isinstance(node, ast.Name):
        return node.id in LANGUAGE_FLAGS
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in {"_de", "_en"} and not node.args
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _names_language(node.operand)
    if isinstance(node, ast.BoolOp):
        return any(_names_language(value) for value in node.values)
    if isinstance(node, ast.Compare) and len(node.comparators) == 1:
        sides = [node.left, node.comparators[0]]
        codes = [s for s in sides if isinstance(s, ast.Constant) and s.value in ("de", "en")]
        langs = [
            s
            for s in sides
            if (isinstance(s, ast.Name) and "lang" in s.id)
            or (isinstance(s, ast.Attribute) and "lang" in s.attr)
        ]
        return bool(codes and langs)
    return False


def _enclosing(tree: ast.AST) -> dict[ast.AST, str]:
    where: dict[ast.AST, str] = {}

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                inner = [*scope, child.name]
            where[child] = ".".join(inner)
            visit(child, inner)

    visit(tree, [])
    return where


def language_ternaries(root: Path = PACKAGE) -> list[str]:
    """Return `path:line:col: ...` for every `A if <language> else B` below `root`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        scopes = _enclosing(tree)
        relative = path.relative_to(root).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.IfExp) or not _names_language(node.test):
                continue
            if (relative, scopes.get(node, "")) in ALLOWED:
                continue
            test = ast.unparse(node.test)
            found.append(
                f"src/coopkit/{relative}:{node.lineno}:{node.col_offset + 1}: "
                f"text chosen by language (… if {test} else …); {HOW}"
            )
    return found


def test_no_text_is_chosen_by_language_in_the_code() -> None:
    found = language_ternaries()
    assert found == [], "\n".join(found)


def test_the_scan_finds_each_form_of_a_language_ternary(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text(
        "def f(lang, ctx, de):\n"
        '    a = "Ja" if de else "Yes"\n'
        '    b = "Yes" if lang == "en" else "Ja"\n'
        '    c = "Ja" if ctx.lang != "en" else "Yes"\n'
        '    d = "Ja" if _de() else "Yes"\n'
        '    e = "x" if lang else "y"\n'
        "    return a, b, c, d, e\n",
        "utf-8",
    )
    found = language_ternaries(tmp_path)
    assert [line.split(": ")[0] for line in found] == [
        "src/coopkit/module.py:2:9",
        "src/coopkit/module.py:3:9",
        "src/coopkit/module.py:4:9",
        "src/coopkit/module.py:5:9",
    ]
    assert "gettext(" in found[0] and "scripts/catalog.py" in found[0]
