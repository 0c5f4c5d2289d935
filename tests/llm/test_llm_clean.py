"""Answer cleaning, on the shapes models really answer in and on generated ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brainloop_tui.core.llm import clean_code
from brainloop_tui.core.llm.clean import canonical_language


def test_chatter_around_one_fence_is_dropped():
    answer = "Sure! Here is the function:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nHope this helps."
    assert clean_code(answer) == "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize("tag", ["py", "python3", "Python", "py3", "{.python}"])
def test_language_aliases_pick_the_matching_block(tag):
    answer = f"```bash\npip install x\n```\nthen\n```{tag}\nimport x\n```"
    assert clean_code(answer, "python") == "import x\n"


def test_several_blocks_without_a_match_give_the_longest():
    answer = "```js\nlet a = 1;\n```\n```js\nlet a = 1;\nlet b = 2;\n```"
    assert clean_code(answer, "go") == "let a = 1;\nlet b = 2;\n"
    assert clean_code(answer) == "let a = 1;\nlet b = 2;\n"


EXAMPLES = [
    ("several matching blocks: the longest of them",
     "```go\npackage a\n```\n```sh\nlong long long long\nlong\n```\n```golang\npackage a\n\nfunc f() {}\n```",
     "Go", "package a\n\nfunc f() {}\n"),
    ("SQL dialect tags are SQL",
     "```postgresql\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n```\n```python\nprint('a much longer block')\n```",
     "sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"),
    ("CRLF", "Here:\r\n```py\r\nx = 1\r\ny = 2\r\n```\r\nDone.\r\n", None, "x = 1\ny = 2\n"),
    ("tilde fence", "~~~go\npackage main\n~~~\n", None, "package main\n"),
    ("four backticks around Markdown with fences",
     "README:\n````markdown\n# Tool\n\n```python\nimport tool\n```\n````\nThat's it.",
     "markdown", "# Tool\n\n```python\nimport tool\n```\n"),
    ("Markdown whose inner fences are as long as its own (the usual model error)",
     "Sure:\n```markdown\n# Tool\n\n```python\nimport tool\n```\n\nMore text.\n```\nEnjoy!",
     "md", "# Tool\n\n```python\nimport tool\n```\n\nMore text.\n"),
    ("Markdown followed by another block is not merged",
     "```markdown\n# Title\n```\nand the code:\n```python\nx = 1\n```", "markdown", "# Title\n"),
    ("unclosed fence runs to the end", "```python\ndef f():\n    pass\n", None, "def f():\n    pass\n"),
    ("fence indented in a list", "1. Save this:\n\n   ```python\n   x = 1\n     y = 2\n   ```\n", None,
     "x = 1\n  y = 2\n"),
    ("no fence: the text without blank lines around it", "\n\n    return x\n  \n", None, "    return x\n"),
    ("blank lines inside code are kept", "```\n\n\na\n\n\nb\n\n```", None, "a\n\n\nb\n"),
] + [(f"HTML chatter {opening!r} does not hide the fence", f"{opening}\n```python\nx = 1\n```\n", None, "x = 1\n")
     for opening in ("<pre>", "<!-- generated", "<div>")]


@pytest.mark.parametrize(("answer", "language", "expected"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_examples(answer, language, expected):
    assert clean_code(answer, language) == expected


def test_sql_aliases():
    assert canonical_language("sqlite") == canonical_language("SQL") == canonical_language("mysql") == "sql"


def test_empty_answers():
    assert clean_code("") == ""
    assert clean_code("   \n\n") == ""
    assert clean_code("```python\n```") == ""


def test_blank_lines_inside_code_are_kept():
    assert clean_code("```\n\n\na\n\n\nb\n\n```") == "a\n\n\nb\n"


# -- generated answers ----------------------------------------------------------------------------

# Code lines never look like a fence (CommonMark would end the block there) and carry no NUL
# (CommonMark replaces it with U+FFFD); the first and last lines are not blank.
_line = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="`~"), max_size=40)
_solid = _line.filter(lambda line: line.strip() != "")
code_bodies = st.builds(
    lambda first, middle, last: "\n".join([first, *middle, last]) if middle is not None else first,
    _solid,
    st.none() | st.lists(_line, max_size=6),
    _solid,
)
chatter = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="`~"), max_size=60)
tags = st.sampled_from(["", "python", "py", "go", "sql", "js", "text"])


def _code_only(body: str) -> bool:
    """Leading spaces would be read as an indented code block inside the fence's own indentation."""
    return not body.startswith("    ") and not body.startswith("\t")


@given(before=chatter, body=code_bodies, after=chatter, tag=tags, fence=st.sampled_from(["```", "````", "~~~"]))
def test_generated_fenced_answer_gives_its_code(before, body, after, tag, fence):
    answer = f"{before}\n{fence}{tag}\n{body}\n{fence}\n{after}"
    assert clean_code(answer) == body + "\n"


@given(body=code_bodies, tag=tags)
def test_crlf_and_lf_answers_clean_the_same(body, tag):
    answer = f"Here you go:\n```{tag}\n{body}\n```\nBye"
    assert clean_code(answer.replace("\n", "\r\n")) == clean_code(answer) == body + "\n"


@given(inner=code_bodies, outer=code_bodies)
def test_longer_outer_fence_keeps_inner_fences(inner, outer):
    markdown = f"{outer}\n```python\n{inner}\n```"
    assert clean_code(f"Doc:\n````markdown\n{markdown}\n````\n", "markdown") == markdown + "\n"


@given(body=code_bodies.filter(_code_only))
def test_text_without_fences_is_kept_whole(body):
    assert clean_code(f"\n\n{body}\n\n") == body + "\n"


@given(body=code_bodies)
def test_cleaning_is_idempotent_for_fence_free_code(body):
    once = clean_code(f"```\n{body}\n```")
    assert clean_code(once) == once
