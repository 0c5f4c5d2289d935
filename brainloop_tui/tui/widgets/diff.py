"""`textual_diff_view.DiffView`, recomposed only when its colours really change.

DiffView rebuilds all its children on every style update, and Textual sends one to every widget of a
screen that is pushed or restyled — so a diff would be torn down and built again right after it was
shown, while keys are already arriving. This subclass keeps DiffView's rendering and rebuilds only
when the styles it highlights with differ from the ones it was built with (a theme change).
"""

from __future__ import annotations

from textual.widget import Widget
from textual_diff_view import DiffView

STYLE_CLASSES = sorted(DiffView.COMPONENT_CLASSES)


class StableDiffView(DiffView):
    _built_with: tuple | None = None

    def _colours(self) -> tuple:
        return tuple(self.get_visual_style(name, partial=True) for name in STYLE_CLASSES)

    def compose(self):
        self._built_with = self._colours()
        yield from super().compose()

    def notify_style_update(self) -> None:
        Widget.notify_style_update(self)  # not DiffView's: it recomposes unconditionally
        if self._built_with is not None and self._colours() != self._built_with:
            self._highlighted_code_lines = None
            self._number_styles.clear()
            self._annotation_styles.clear()
            self._line_styles.clear()
            self._edge_styles.clear()
            self.refresh(recompose=True)
