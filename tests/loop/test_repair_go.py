"""The Go repair: imports the answer does not use go, those of the standard library it uses come, and
nothing uncertain is touched."""

from __future__ import annotations

import shutil

import pytest

from brainloop_tui.core.loop.repair_go import fix_go_imports, repair_go

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed")

HABIT = '''package textutil

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// Slug is a slug; fmt.Sprintf is not called here.
func Slug(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, w)
	}
	_ = "context.Background() in a string is not a use"
	return strings.Join(words, "-")
}
'''


def messages(code: str) -> tuple[str, list[str]]:
    repaired, diagnostics = fix_go_imports(code)
    assert {(d.severity, d.source) for d in diagnostics} <= {("info", "imports")}
    return repaired, [d.message for d in diagnostics]


def test_unused_standard_imports_go_and_a_missing_one_joins_the_standard_group() -> None:
    repaired, said = messages(HABIT)
    assert repaired.startswith('package textutil\n\nimport (\n\t"strings"\n\t"unicode"\n\n\t"go.uber.org/zap"\n)\n')
    assert said == ['removed the import of "context": the code does not use it',
                    'removed the import of "fmt": the code does not use it',
                    'added the import of "unicode": the code used `unicode` without importing it']
    # a third-party path's package name is not known from the path: its import stays
    assert '"go.uber.org/zap"' in repaired
    assert repaired.split(")\n", 1)[1] == HABIT.split(")\n", 1)[1]


def test_a_block_left_empty_goes_and_an_aliased_import_is_judged_by_its_alias() -> None:
    code = 'package p\n\nimport (\n\t"errors"\n\tlg "log"\n)\n\nfunc One() int {\n\treturn 1\n}\n'
    repaired, said = messages(code)
    assert repaired == "package p\n\nfunc One() int {\n\treturn 1\n}\n"
    assert len(said) == 2
    used = code.replace("return 1", 'lg.Print("x")\n\treturn 1')
    assert messages(used)[0] == used.replace('\t"errors"\n', "")


def test_a_single_import_and_no_import_at_all() -> None:
    repaired, _ = messages('package p\n\nimport "os"\n\nfunc N() int { return strconv.IntSize }\n')
    assert repaired == 'package p\n\nimport (\n\t"strconv"\n)\n\nfunc N() int { return strconv.IntSize }\n'


def test_what_is_uncertain_is_left_to_the_compiler() -> None:
    untouched = [
        # `strings` is a parameter here, not the package
        "package p\n\nfunc J(strings []string) string {\n\treturn strings[0]\n}\n",
        # math/rand or crypto/rand: the model must say
        "package p\n\nfunc R() int {\n\treturn rand.Intn(3)\n}\n",
        # only exported names are reached through a package
        "package p\n\nfunc S(sort struct{ x int }) int {\n\treturn sort.x\n}\n",
        # blank and dot imports bind no name a selector shows
        'package p\n\nimport (\n\t_ "embed"\n\t. "strings"\n)\n\nvar X = ToUpper("x")\n',
        # no package clause: not a Go file to repair
        "func F() { fmt.Println() }\n",
    ]
    for code in untouched:
        assert fix_go_imports(code) == (code, []), code


def test_repair_go_formats_what_it_fixed_and_says_so() -> None:
    code = 'package p\n\nimport (\n\t"fmt"\n\t"errors"\n)\n\nfunc F(a int) error {\n    return errors.New(fmt.Sprint(a))\n}\n'
    repaired, diagnostics = repair_go(code)
    assert repaired == code.replace('\t"fmt"\n\t"errors"\n', '\t"errors"\n\t"fmt"\n').replace("    return", "\treturn")
    assert [(d.source, d.message) for d in diagnostics] == [("gofmt", "formatted with gofmt")]
    broken = "package p\n\nfunc F( {\n"
    assert repair_go(broken) == (broken, [])
