"""The branch filter every list, dashboard and report of a multi-branch user shows (issue 17).

One `BranchChoice` per signed-in window holds what the user may pick (`my_branches`) and what
they picked, remembered per user on this desk (`selection.remember_choice`); every screen's
`BranchPicker` shows and changes that one choice, so picking North on the students list also
shows North on the dashboard. A user of one branch sees no picker (nothing to choose).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from desktop_app.context import AppContext
from desktop_app.models import RowsModel
from desktop_app.widgets import index_of
from institute_core.branches.selection import (
    BranchIds,
    BranchOption,
    my_branches,
    remember_choice,
    remembered_choice,
    scope_of,
)

R = TypeVar("R")
ALL_MINE = "All my branches"


class BranchChoice(QObject):
    """The window's one branch choice: the options, the pick, and the selection it means."""

    changed = Signal()  # the pick changed (or the options were loaded)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self._ctx = ctx
        self.options: list[BranchOption] = []
        self.chosen: uuid.UUID | None = None  # None: all my branches
        self.loaded = False
        self.reload()

    def reload(self) -> None:
        """Read the user's branches and their remembered pick on the database thread."""
        replica, user = self._ctx.replica, self._ctx.user

        def _do_load() -> tuple[list[BranchOption], uuid.UUID | None]:
            return my_branches(replica, user), remembered_choice(replica, user.user_id)

        self._ctx.tasks.run_db(_do_load, self._on_loaded)

    def _on_loaded(self, result: tuple[list[BranchOption], uuid.UUID | None]) -> None:
        self.options, remembered = result
        self.chosen = remembered if any(o.id == remembered for o in self.options) else None
        self.loaded = True
        self.changed.emit()

    @property
    def several(self) -> bool:
        """Whether the user works in more than one branch (and so sees the picker)."""
        return len(self.options) > 1

    @property
    def selection(self) -> BranchIds:
        """What figures and reports cover: one branch, or all of the user's (None for an
        administrator: every branch the desk holds)."""
        if not self.options:
            return None  # linked to no branch yet: the desk holds what the server sent
        return scope_of(self.options, self.chosen, self._ctx.user)

    @property
    def label(self) -> str:
        """The pick in words, for titles and messages."""
        return next((o.name for o in self.options if o.id == self.chosen), ALL_MINE)

    def choose(self, branch_id: uuid.UUID | None) -> None:
        """Pick a branch (None: all my branches), remember it and tell every screen."""
        if branch_id == self.chosen:
            return
        self.chosen = branch_id
        replica, user_id = self._ctx.replica, self._ctx.user.user_id
        self._ctx.tasks.run_db(lambda: remember_choice(replica, user_id, branch_id),
                               lambda _r: None)
        self.changed.emit()

    def keeps(self, branch_of: Callable[[R], Any], *, many: bool = False,
              as_hex: bool = False, everywhere: bool = False) -> Callable[[R], bool] | None:
        """A row filter for the current pick (None: keep every row). `branch_of` gives a
        row's branch id (a collection of them with `many`; stored hex text with `as_hex`);
        with `everywhere`, a row of no branch (the syllabus) belongs to every pick."""
        if self.chosen is None:
            return None  # all my branches: the desk holds nothing else
        wanted: Collection[Any] = {self.chosen.hex if as_hex else self.chosen}
        if everywhere:
            wanted = {*wanted, None}
        if many:
            return lambda row: not wanted.isdisjoint(branch_of(row))  # type: ignore[attr-defined]
        return lambda row: branch_of(row) in wanted


def branch_choice(ctx: AppContext) -> BranchChoice:
    """The window's one branch choice, made on first use."""
    if ctx.branch_choice is None:
        ctx.branch_choice = BranchChoice(ctx)
    choice: BranchChoice = ctx.branch_choice
    return choice


class BranchPicker(QComboBox):
    """"All my branches" or one of them; hidden unless the user works in several.

    Each screen has its own picker over the window's one `BranchChoice`; the picker (a child
    of its screen) relays the choice, so nothing is called on a screen that has gone."""

    selection_changed = Signal(object)  # the selection now (`BranchChoice.selection`)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = branch_choice(ctx)
        self._filters: list[Callable[[], None]] = []
        self.setAccessibleName("Branch")
        self.setToolTip("Show one branch, or all the branches you work in")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setVisible(False)
        self.choice.changed.connect(self._on_choice)
        self.currentIndexChanged.connect(self._on_picked)
        if self.choice.loaded:
            self._show_choice()

    @property
    def selection(self) -> BranchIds:
        return self.choice.selection

    def _show_choice(self) -> None:
        choice = self.choice
        self.blockSignals(True)
        if self.count() != len(choice.options) + 1:
            self.clear()
            self.addItem(f"{ALL_MINE} ({len(choice.options)})", None)
            for option in choice.options:
                self.addItem(option.name, option.id)
        self.setCurrentIndex(self.index_of(choice.chosen))
        self.blockSignals(False)
        self.setVisible(choice.several)

    def index_of(self, branch_id: uuid.UUID | None) -> int:
        """The item of a branch (0, "all my branches", for None or one not offered)."""
        return max(0, index_of(self, branch_id)) if branch_id is not None else 0

    def pick(self, branch_id: uuid.UUID | None) -> None:
        """Choose a branch as the user would (None: all my branches)."""
        self.setCurrentIndex(self.index_of(branch_id))

    def _on_choice(self) -> None:
        self._show_choice()
        for apply in self._filters:
            apply()
        self.selection_changed.emit(self.choice.selection)

    def _on_picked(self, index: int) -> None:
        self.choice.choose(self.itemData(index) if index > 0 else None)

    def filter_rows(self, model: RowsModel[R], branch_of: Callable[[R], Any], *,
                    many: bool = False, as_hex: bool = False, everywhere: bool = False,
                    after: Callable[[], None] | None = None) -> None:
        """Keep `model` showing the picked branch's rows from now on (its "branch" filter
        slot), calling `after` each time it changes (a count to update)."""

        def apply() -> None:
            model.set_filter(self.choice.keeps(branch_of, many=many, as_hex=as_hex,
                                               everywhere=everywhere), slot="branch")

        def changed() -> None:
            apply()
            if after is not None:
                after()

        self._filters.append(changed)
        apply()  # a pick made on another screen already holds here
