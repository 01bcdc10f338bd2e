"""The command-line framework's own words in German and English.

typer vendors click with its messages written into the code ("No such option", "Show this
message and exit.", "<int range>"); typer's core passes a few more through gettext. `install()`
puts a translation function in place of those gettext calls and thin wrappers around the
methods that build the other texts: usage line, help records, metavars, error messages and the
type errors pydantic reports for option values. Help metavars become words (TEXT, ZAHL, DATUM)
instead of Python types.

The language is chosen before parsing (`choose_language`) from `--lang`, `COOP_LANG` and the
repository's `coop.toml`, so a usage error speaks it too.

This is the one module of coopkit that reaches into a library's private names (typer's core,
its vendored click, pydantic's plugin loader). Each reach says why next to it and, where it is
there for speed, its measured gain; the versions it was written against are bounded in
pyproject.toml and checked by tests/test_dependency_bounds.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from typer.core import TyperGroup

from coopkit.i18n import N_, framework_gettext
from coopkit.i18n import gettext as catalog_gettext

LANGUAGES = ("de", "en")

_current = ["de"]


def F_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark one of the framework's English words for the `framework` catalog; return it."""
    return msgid


# The framework's own words that typer does not pass through gettext: help texts of the
# options it adds itself, words of the usage line, prefixes. Their German is in the catalog.
_HELP_EN = (
    F_("Show this message and exit."),
    F_("Install completion for the current shell."),
    F_("Show completion for the current shell, to copy it or customize the installation."),
)
_USAGE_EN = (F_("[OPTIONS]"), F_("COMMAND [ARGS]..."))
_OTHER_EN = (F_("Aborted."), F_("Usage: "), F_("Error"))

# Metavar words for Python types, in German; their English is in the catalog.
_TYPE_WORDS: dict[type, str] = {
    str: N_("TEXT"),
    int: N_("ZAHL"),
    float: N_("ZAHL"),
    Path: N_("PFAD"),
    date: N_("DATUM"),
    datetime: N_("DATUM"),
}


def english(de: str, en: str) -> str:
    """Return the German help text (its English lives in the catalog now; `en` is ignored)."""
    del en
    return de


def _help_text(text: str) -> str:
    return catalog_gettext(text, _current[0])


def set_language(lang: str) -> None:
    """Make the framework speak `lang` ("de" or "en"; anything else keeps German)."""
    _current[0] = lang if lang in LANGUAGES else "de"


def language() -> str:
    """Return the language the framework speaks now."""
    return _current[0]


def _de() -> bool:
    return _current[0] == "de"


def gettext(message: str) -> str:
    """Translate a message typer passes through gettext."""
    return framework_gettext(message, _current[0])


def _say(msgid: str, /, **params: Any) -> str:
    """Return one of the framework's English sentences in the current language, filled in."""
    text = framework_gettext(msgid, _current[0])
    return text.format(**params) if params else text


def _quote(text: str) -> str:
    return _say("'{text}'", text=text)


def join_alternatives(values: Sequence[str], lang: str | None = None) -> str:
    """Return `a, b oder c` (or `a, b or c`): allowed values listed in words."""
    items = list(values)
    if len(items) <= 1:
        return "".join(items)
    text = framework_gettext(F_("{head} or {last}"), lang or _current[0])
    return text.format(head=", ".join(items[:-1]), last=items[-1])


def metavar(word: str) -> str:
    """Return a metavar in the current language (the commands write them in German)."""
    core = word.strip("[]").removesuffix("...")
    if not core:
        return word
    return word.replace(core, catalog_gettext(core, _current[0]), 1)


def type_word(annotation: Any) -> str:
    """Return the metavar word for a Python type (TEXT, ZAHL, DATUM, PFAD)."""
    if isinstance(annotation, type):
        for kind, word in _TYPE_WORDS.items():
            if issubclass(annotation, kind):
                return catalog_gettext(word, _current[0])
    return catalog_gettext(_TYPE_WORDS[str], _current[0])


# --------------------------------------------------------------------------- error messages

_Q = r"'(?P<q>[^']*)'"
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"No such option: (?P<o>\S+)"), F_("no such option: {o}")),
    (
        re.compile(r"Got unexpected extra argument\(s\) \((?P<a>.*)\)", re.S),
        F_("unexpected extra argument: {a}"),
    ),
    (
        re.compile(r"Option " + _Q + r" requires an argument\."),
        F_("option {q} needs a value."),
    ),
    (
        re.compile(r"Option " + _Q + r" requires (?P<n>\d+) arguments\."),
        F_("option {q} needs {n} values."),
    ),
    (
        re.compile(r"Option " + _Q + r" does not take a value\."),
        F_("option {q} takes no value."),
    ),
    (
        re.compile(r"Argument " + _Q + r" takes (?P<n>\d+) values\."),
        F_("argument {q} needs {n} values."),
    ),
    (
        re.compile(r"Value must be an iterable\."),
        F_("value must be a list."),
    ),
    (
        re.compile(r"Value '(?P<v>.*)' is not a valid (?P<t>\w+)\.", re.S),
        F_("'{v}' is not a valid value."),
    ),
]
_SUGGEST = re.compile(r"\s*Did you mean (?P<s>.+)\?$")
_POSSIBLE = re.compile(r"\s*\(Possible options: (?P<s>.+)\)$")


def _requote(text: str) -> str:
    return re.sub(r"'([^']*)'", lambda m: _quote(m.group(1)), text)


def translate_message(message: str) -> str:
    """Translate one of click's fixed English messages; other text is returned unchanged."""
    tail = ""
    suggestion = _SUGGEST.search(message) or _POSSIBLE.search(message)
    if suggestion is not None:
        message = message[: suggestion.start()].rstrip()
        names = _requote(suggestion.group("s"))
        tail = _say("; did you mean {names}?", names=names)
    for pattern, english_text in _MESSAGES:
        match = pattern.fullmatch(message.rstrip())
        if match is not None:
            values = {k: _quote(v) if k == "q" else v for k, v in match.groupdict().items()}
            message = _say(english_text, **values)
            break
    return message.rstrip(".") + tail if tail else message


def _value_error(exc: Any) -> str:
    """Say what is wrong with an option value pydantic refused, in the current language."""
    errors = exc.errors()
    if not errors:
        return str(exc)
    # Imported here: a remembered page starts without the domain model (tests/test_start_path).
    from coopkit.model.invalid import explain_error

    message, _code = explain_error(errors[0], option=True)
    return message.format(_current[0])


def _range_words(low: float | None, high: float | None) -> str | None:
    if low is None and high is None:
        return None
    if high is None:
        return _say("from {low}", low=low)
    if low is None:
        return _say("up to {high}", high=high)
    return _say("{low} to {high}", low=low, high=high)


# --------------------------------------------------------------------------- choosing the language


def lang_option(value: str | None) -> str | None:
    """Check `--lang`: only de or en; anything else is a usage error naming both."""
    if value is not None and value not in LANGUAGES:
        from typer import BadParameter

        allowed = join_alternatives(LANGUAGES)
        raise BadParameter(_say("'{value}'; allowed: {allowed}", value=value, allowed=allowed))
    return value


def _locale_of(start: Path) -> str | None:
    """Return `locale` from the coop.toml of the repository around `start`, if any."""
    from coopkit.queries.locale import locale_around

    return locale_around(start)


def _option_value(args: Sequence[str], names: Sequence[str]) -> str | None:
    value = None
    for n, arg in enumerate(args):
        if arg == "--":
            break
        for name in names:
            if arg == name and n + 1 < len(args):
                value = args[n + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                value = arg[len(name) :]
    return value


def choose_language(args: Sequence[str]) -> str:
    """Return the language for this run: --lang, COOP_LANG, the repository's locale, else de.

    Read from the raw arguments before parsing, so the framework's own messages (usage errors,
    help) come out in it. An unknown value falls through here; the root callback refuses it.
    """
    for candidate in (_option_value(args, ["--lang"]), os.environ.get("COOP_LANG")):
        if candidate in LANGUAGES:
            return candidate
        if candidate:
            return "de"
    directory = _option_value(args, ["-C"])
    found = _locale_of(Path(directory) if directory else Path.cwd())
    return found if found in LANGUAGES else "de"


# --------------------------------------------------------------------------- installing


def _show_click_exception(self: Any, file: IO[Any] | None = None) -> None:
    from typer._click._compat import get_text_stderr
    from typer._click.utils import echo

    prefix = gettext(F_("Error"))
    echo(f"{prefix}: {self.format_message()}", file=file or get_text_stderr(), color=None)


def _show_usage_error(self: Any, file: IO[Any] | None = None) -> None:
    from typer._click._compat import get_text_stderr
    from typer._click.utils import echo

    file = file or get_text_stderr()
    color = None
    if self.ctx is not None:
        color = self.ctx.color
        hint = ""
        if self.ctx.command.get_help_option(self.ctx) is not None:
            call = f"{self.ctx.command_path} {self.ctx.help_option_names[0]}"
            hint = _say("Try '{call}' for help.", call=call) + "\n"
        echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
    prefix = gettext(F_("Error"))
    echo(f"{prefix}: {self.format_message()}", file=file, color=color)


def _wrap_format_message(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def format_message(self: Any) -> str:
        return translate_message(original(self))

    return format_message


_MISSING = {
    "argument": (F_("missing argument {hint}."), F_("missing argument.")),
    "option": (F_("missing option {hint}."), F_("missing option.")),
    "parameter": (F_("missing parameter {hint}."), F_("missing parameter.")),
}


def _missing_message(self: Any) -> str:
    param = self.param
    hint = self.param_hint
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(_quote(str(h)) for h in hint)
    kind = self.param_type or (param.param_type_name if param is not None else "parameter")
    if kind not in ("argument", "option"):
        kind = "parameter"
    if hint is None:
        text = _say(_MISSING[kind][1])
    else:
        text = _say(_MISSING[kind][0], hint=hint)
    extra = param.get_missing_message(ctx=self.ctx) if param is not None else ""
    if self.message:
        text += f" {translate_message(self.message)}"
    if extra:
        text += f" {extra}"
    return text


def _bad_parameter_message(self: Any) -> str:
    hint = self.param_hint
    if hint is None and self.param is not None:
        hint = self.param.get_error_hint()
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(_quote(str(h)) for h in hint)
    message = translate_message(self.message)
    if hint is None:
        return _say("invalid value: {message}", message=message)
    return _say("invalid value for {hint}: {message}", hint=hint, message=message)


class _Deferred:
    """A parameter's value conversion, built only when a value needs converting.

    typer builds a pydantic TypeAdapter (about half a millisecond) for every parameter of the
    called command and of the app's callback, also for the options left at their default of
    None. An absent value stays None and text given for a text parameter stays that text,
    exactly as the adapter would return them; any other value goes through typer's own
    conversion, built on first use. A path given as (non-empty) text goes through typer's own
    path checks as text and becomes a Path; a whole number (in plain digits, or a default)
    within the option's range becomes that number, and texts for a list of texts a list (typer's
    converter would load pydantic for them).

    Measured gain (bench/bench.py's paired timer, district repository, 11 pairs, busy machine):
    `coop status` with a remembered page 137 ms instead of 219 ms (pydantic is not imported at
    all); `coop --help` and a write (`partner add`, which loads pydantic for its records anyway)
    within noise. tests/test_start_path.py proves it answers exactly like typer's converter.
    """

    __slots__ = ("_build", "_descriptor", "_built")

    def __init__(self, build: Callable[[Any], Any], descriptor: Any) -> None:
        self._build = build
        self._descriptor = descriptor
        self._built: Any = None

    def _real(self) -> Any:
        if self._built is None:
            self._built = self._build(self._descriptor)
        return self._built

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        single = not (param.multiple or param.nargs == -1)
        if value is None:
            return None if single else ()
        descriptor = self._descriptor
        info = descriptor.parameter_info
        if (
            not single
            and type(value) in (tuple, list)
            and descriptor.annotation == list[str]
            and not info.parser
            and all(type(item) is str for item in value)
        ):
            return list(value)
        plain = single and descriptor.file_annotation is None and not info.parser
        if plain and descriptor.annotation is int and not info.clamp:
            # Plain digits, or a default that is a number already.
            number = (
                int(value) if type(value) is str and value.isascii() and value.isdigit() else value
            )
            low, high = info.min, info.max
            # Out of range: typer's converter words the refusal.
            if (
                type(number) is int
                and (low is None or number >= low)
                and (high is None or number <= high)
            ):
                return number
        if plain and type(value) is str:
            if descriptor.annotation is str:
                return value
            if descriptor.annotation is Path and info.path_type in (None, Path) and value:
                # typer's own path checks on the text (no adapter to build), then a Path.
                from typer._param_types import coerce_cli_path

                checked = coerce_cli_path(value, info, path_type=str, param=param, ctx=ctx)
                return Path(os.fsdecode(checked))
        return self._real().coerce(value, param=param, ctx=ctx)

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        return self._real()._coerce_value(value, param=param, ctx=ctx)


def _deferred(build: Callable[[Any], Any]) -> Callable[[Any], _Deferred]:
    def deferred(descriptor: Any) -> _Deferred:
        return _Deferred(build, descriptor)

    return deferred


def _no_plugins() -> tuple[()]:
    return ()


def without_pydantic_plugins() -> None:
    """Keep pydantic plugins installed beside coop away from its records.

    Records may hold personal data: no plugin sees them. `PYDANTIC_DISABLE_PLUGINS` is
    pydantic's own switch, but its plugin loader imports `importlib.metadata` before reading it;
    where the loader has not been imported yet, one that finds no plugin takes its place.

    Measured against setting `PYDANTIC_DISABLE_PLUGINS` alone (bench/bench.py's paired timer,
    district repository, 11 pairs, busy machine): `coop -C REPO status` 189 ms instead of
    200 ms, `coop partner add` 473 ms instead of 496 ms; `coop --help` within noise.
    """
    import os
    import sys
    import types

    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    name = "pydantic.plugin._loader"
    if name not in sys.modules:
        loader = types.ModuleType(name, "No pydantic plugins in coop (see coopkit.cli.framework).")
        setattr(loader, "get_plugins", _no_plugins)  # noqa: B010
        sys.modules[name] = loader


def _patch(owner: Any, name: str, value: Any) -> None:
    setattr(owner, name, value)


def install() -> None:
    """Put the translations in place (once; patches only modules typer has already loaded).

    Why each patch (none of these has a public hook in typer 0.29):
    - `typer.core._`, click's exception `show`/`format_message`, `HelpFormatter.write_usage`,
      the parameters' display and help-record methods, `Command.format_help_text` /
      `format_epilog`, `describe_number_range`, `_coercion.get_error_msg`: the framework's own
      words (usage line, errors, metavars, help) in German and English; no speed gain.
    - `typer.core.build_runtime_param`: the deferred converter (`_Deferred`, gain written there).
    """
    import typer.core as typer_core
    from typer import _coercion
    from typer._click import exceptions, formatting

    if getattr(typer_core, "_coop_framework", False):
        return
    _patch(typer_core, "_coop_framework", True)
    _patch(typer_core, "_", gettext)
    _patch(_coercion, "get_error_msg", _value_error)
    _patch(typer_core, "describe_number_range", _range_words)
    if hasattr(typer_core, "build_runtime_param"):
        _patch(typer_core, "build_runtime_param", _deferred(typer_core.build_runtime_param))

    _patch(exceptions.ClickException, "show", _show_click_exception)
    _patch(exceptions.UsageError, "show", _show_usage_error)
    _patch(exceptions.BadParameter, "format_message", _bad_parameter_message)
    _patch(exceptions.MissingParameter, "format_message", _missing_message)
    for exception in (exceptions.ClickException, exceptions.NoSuchOption):
        _patch(exception, "format_message", _wrap_format_message(exception.format_message))

    write_usage = formatting.HelpFormatter.write_usage

    def _write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = gettext(F_("Usage: "))
        for word in _USAGE_EN:
            args = args.replace(word, gettext(word))
        write_usage(self, prog, args, prefix)

    _patch(formatting.HelpFormatter, "write_usage", _write_usage)

    def _display_type(self: Any, ctx: Any) -> str:
        desc = self.type_descriptor
        if desc.is_choice:
            return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
        annotation = desc.annotation
        if desc.is_list:
            from typer._typing import get_args

            inner = get_args(annotation)
            annotation = inner[0] if inner else str
        if desc.is_path:
            return type_word(Path)
        return type_word(annotation)

    def _display_name_raw(self: Any) -> str:
        if self.metavar is not None:
            return metavar(str(self.metavar))
        return str(self.name or "").upper()

    def _error_hint(self: Any) -> str:
        if isinstance(self, typer_core.TyperOption):
            return " / ".join(_quote(o) for o in self.opts)
        return _quote(_display_name_raw(self).strip("[]"))

    parameter = typer_core._TyperParameter
    _patch(parameter, "get_missing_message", _missing_choice)
    _patch(parameter, "display_type", _display_type)
    _patch(parameter, "display_name_raw", property(_display_name_raw))
    _patch(parameter, "get_error_hint", _error_hint)
    _patch(typer_core.TyperOption, "get_error_hint", _error_hint)

    def _usage_display_name(self: Any) -> str:
        name = _display_name_raw(self).strip("[]").removesuffix("...")
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self: Any) -> str:
        name = _display_name_raw(self).strip("[]")
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")

    argument = typer_core.TyperArgument
    _patch(argument, "_usage_display_name", _usage_display_name)
    _patch(argument, "_rich_display_name", _rich_display_name)
    # An argument's name already says what goes there (ID, SITZUNG, DATEI).
    _patch(argument, "display_type_rich", lambda self, ctx: None)

    option = typer_core.TyperOption
    option_type = option.display_type_rich

    def _option_display_type(self: Any, ctx: Any) -> str | None:
        if self.metavar is not None:
            return metavar(str(self.metavar))
        return option_type(self, ctx)

    _patch(option, "display_type_rich", _option_display_type)

    for owner in (option, argument):
        _patch(owner, "get_help_record", _translated_help_record(owner.get_help_record))

    from typer._click import core as click_core

    for attribute, method in (("help", "format_help_text"), ("epilog", "format_epilog")):
        original = getattr(click_core.Command, method)
        _patch(click_core.Command, method, _in_english(original, attribute))
    _patch(
        click_core.Command,
        "get_short_help_str",
        _short_help_in_language(click_core.Command.get_short_help_str),
    )


def _short_help_in_language(original: Callable[..., str]) -> Callable[..., str]:
    """Wrap the short help of a command list so it is made from the translated help text."""

    def get_short_help_str(self: Any, limit: int = 45) -> str:
        if _de():
            return original(self, limit)
        help_text, short_help = self.help, self.short_help
        self.help = _help_text(help_text) if help_text else help_text
        self.short_help = _help_text(short_help) if short_help else short_help
        try:
            return original(self, limit)
        finally:
            self.help, self.short_help = help_text, short_help

    return get_short_help_str


def _in_english(
    original: Callable[[Any, Any, Any], None], attribute: str
) -> Callable[[Any, Any, Any], None]:
    """Wrap a help formatter so a registered German text is shown in English under --lang en."""

    def method(self: Any, ctx: Any, formatter: Any) -> None:
        value = getattr(self, attribute)
        translated = _help_text(value) if value else value
        if translated == value:
            original(self, ctx, formatter)
            return
        setattr(self, attribute, translated)
        try:
            original(self, ctx, formatter)
        finally:
            setattr(self, attribute, value)

    return method


def _translated_help_record(
    record: Callable[[Any, Any], tuple[str, str] | None],
) -> Callable[[Any, Any], tuple[str, str] | None]:
    def get_help_record(self: Any, ctx: Any) -> tuple[str, str] | None:
        result = record(self, ctx)
        if result is None:
            return result
        name, text = result
        for word in _HELP_EN:
            if text.startswith(word):
                text = gettext(word) + text[len(word) :]
                break
        else:
            if self.help and text.startswith(self.help):
                text = _help_text(self.help) + text[len(self.help) :]
        return name, text

    return get_help_record


def _missing_choice(self: Any, ctx: Any) -> str | None:
    desc = self.type_descriptor
    if desc.is_choice and desc.choices is not None:
        allowed = join_alternatives([str(getattr(c, "value", c)) for c in desc.choices])
        return _say("Allowed: {allowed}.", allowed=allowed)
    return ""


def _lift_json(args: list[str]) -> list[str]:
    """Move `--json` given after the command to the front, where the root option reads it."""
    end = args.index("--") if "--" in args else len(args)
    head = [a for a in args[:end] if a != "--json"]
    if len(head) == end:
        return args
    return ["--json", *head, *args[end:]]


class CoopGroup(TyperGroup):
    """The root `coop` group: picks the language before parsing and reads `--json` anywhere."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        """Choose the framework's language, then parse as usual."""
        if parent is None:
            args = _lift_json(list(args))
            set_language(choose_language(args))
        return super().make_context(info_name, args, parent=parent, **extra)
