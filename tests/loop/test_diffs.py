"""Diffs are exact while cheap to match and a summary of the changed region beyond that."""

from __future__ import annotations

from brainloop_tui.core.loop.diffs import unified_diff


def test_a_small_change_is_a_unified_diff() -> None:
    assert unified_diff("a\nb\nc\n", "a\nB\nc\n", "x.py", after_label="iteration 2") == (
        "--- x.py (disk)\n+++ x.py (iteration 2)\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
    assert unified_diff("same\n", "same\n", "x.py") == ""


def test_too_many_changed_lines_are_summarized_with_where_they_are() -> None:
    before = "".join(f"def f{i}(x):\n    # old {i}\n    return x\n" for i in range(5_000))
    after = "header\n" + before.replace("# old", "# new")
    summary = unified_diff(before, after, "big.py")
    assert summary == ("--- big.py (disk)\n+++ big.py (new)\n@@ -1,14999 +1,15000 @@ too many changed lines to diff: "
                       "14,999 lines from line 1 replaced by 15,000 (diff not shown)\n")
    # the same number of lines, changed in one region between unchanged ones, is still diffed
    one_region = before.replace("# old 2500\n", "# new 2500\n")
    assert unified_diff(before, one_region, "big.py").count("\n-") == 1
