"""Stock-flow consistent money: every payment debits one account and credits another.

Accounts are grouped by sector, one float64 array per sector (one entry per firm or household).
The rest of the world (``world``) pays benefits, sells materials and closes the system; it starts
at minus the sum of all other initial balances, so the grand total is zero for ever and
:meth:`Ledger.residual` measures any leak.

Example:
    >>> import numpy as np
    >>> book = Ledger({"households": 3, "merchants": 2})
    >>> book.endow("households", np.arange(3), np.array([10.0, 10.0, 10.0]))
    >>> who, to = np.array([0, 2]), np.array([1, 1])
    >>> book.pay("households", who, "merchants", to, np.array([4.0, 1.0]))
    5.0
    >>> book.balances["merchants"].tolist(), book.residual()
    ([0.0, 5.0], 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["SECTORS", "Ledger"]

SECTORS = (
    "households",
    "merchants",
    "manufacturers",
    "platforms",
    "escrow",
    "couriers",
    "services",
    "offline",
    "world",
)


def _as_index(idx: np.ndarray | int, n: int) -> np.ndarray:
    return np.full(n, idx, dtype=np.int64) if np.isscalar(idx) else np.asarray(idx)


class Ledger:
    """Balances per sector (RMB) and the day's turnover.

    Args:
        sizes: number of accounts per sector; ``world`` always has one.
    """

    def __init__(self, sizes: dict[str, int]) -> None:
        self.balances: dict[str, np.ndarray] = {s: np.zeros(n) for s, n in sizes.items()}
        self.balances["world"] = np.zeros(1)
        self.turnover = 0.0  # RMB moved since the last reset (one day)
        # Per sector, scratch space for sparse payments (see _post); allocated on first use.
        self._first: dict[str, np.ndarray] = {}

    def grow(self, sector: str, n_new: int) -> None:
        """Open ``n_new`` empty accounts at the end of a sector (entry of firms)."""
        self.balances[sector] = np.concatenate([self.balances[sector], np.zeros(n_new)])
        self._first.pop(sector, None)

    def _post(self, sector: str, idx: np.ndarray, amount: np.ndarray) -> None:
        """Add ``amount`` to the accounts ``idx`` of a sector (repeats allowed).

        Each account receives the sum of its entries, added up in entry order from zero and
        then added to its balance, whichever way it is computed, so results do not depend on
        the way chosen. Many entries: one bincount over the whole sector. Few entries into a
        large sector (a day's buyers among a million households): the work stays with the
        entries, which are numbered by the first entry of their account.
        """
        bal = self.balances[sector]
        n = idx.size
        # A bincount costs about as much per account as the sparse way per entry costs /50.
        if 64 * n >= bal.size:
            bal += np.bincount(idx, weights=amount, minlength=bal.size)
            return
        first = self._first.get(sector)
        if first is None:
            first = self._first[sector] = np.empty(bal.size, dtype=np.int64)
        entry = np.arange(n)
        first[idx] = n
        np.minimum.at(first, idx, entry)
        rep = first[idx]
        sums = np.bincount(rep, weights=amount, minlength=n)
        own = rep == entry  # the first entry of each account carries its sum
        bal[idx[own]] += sums[own]

    def endow(self, sector: str, idx: np.ndarray | int, amount: np.ndarray | float) -> None:
        """Initial or injected capital: paid by the rest of the world."""
        self.pay("world", 0, sector, idx, amount)

    def pay(
        self,
        src: str,
        src_idx: np.ndarray | int,
        dst: str,
        dst_idx: np.ndarray | int,
        amount: np.ndarray | float,
    ) -> float:
        """Move ``amount`` (RMB, element-wise) from ``src[src_idx]`` to ``dst[dst_idx]``.

        Index and amount arrays broadcast; a scalar index means one account pays or receives
        all. Returns the total moved.
        """
        amount = np.asarray(amount, dtype=np.float64)
        if amount.ndim == 0:
            n = 1 if np.isscalar(src_idx) and np.isscalar(dst_idx) else None
            if n == 1:
                a = float(amount)
                self.balances[src][src_idx] -= a
                self.balances[dst][dst_idx] += a
                self.turnover += abs(a)
                return a
            size = np.size(src_idx) if not np.isscalar(src_idx) else np.size(dst_idx)
            amount = np.full(size, float(amount))
        n = amount.size
        if n == 0:
            return 0.0
        for sector, idx, sign in ((src, src_idx, -1.0), (dst, dst_idx, 1.0)):
            if np.isscalar(idx):
                self.balances[sector][idx] += sign * amount.sum()
            else:
                self._post(sector, _as_index(idx, n), sign * amount)
        total = float(amount.sum())
        self.turnover += float(np.abs(amount).sum())
        return total

    def pay_in_groups(
        self,
        payers: list[tuple[str, np.ndarray | int, np.ndarray]],
        dst: str,
        dst_idx: np.ndarray | None,
        amount: np.ndarray,
    ) -> None:
        """Several groups of payers pay accounts of one sector, credited in one posting.

        Group ``(src, src_idx, paid)`` pays ``paid`` (RMB, element-wise; a scalar ``src_idx``
        means one account pays them all); ``dst_idx`` and ``amount`` are the receiving
        entries of all groups together, in any order (``dst_idx`` None: one entry per account
        of ``dst``, in account order). When no ``dst`` account receives from
        two groups, the balances and the turnover are exactly those of one :meth:`pay` per
        group in the order given (each account's entries are summed from zero either way),
        while a large sector (a million households paid their wages) is swept once instead
        of once per group.
        """
        for src, src_idx, paid in payers:
            paid = np.asarray(paid, dtype=np.float64)
            if paid.size == 0:
                continue
            if np.isscalar(src_idx):
                self.balances[src][src_idx] += -1.0 * paid.sum()
            else:
                self._post(src, _as_index(src_idx, paid.size), -1.0 * paid)
            self.turnover += float(np.abs(paid).sum())
        amount = np.asarray(amount, dtype=np.float64)
        if dst_idx is None:
            # Each account's one entry summed from zero: 0.0 + x (which turns -0.0 into 0.0).
            self.balances[dst] += amount + 0.0
        elif dst_idx.size:
            self._post(dst, dst_idx, amount)

    def pay_from_each(self, src: str, dst: str, dst_idx: int, amount: np.ndarray) -> float:
        """Every account of sector ``src`` pays ``amount[i]`` (RMB, one entry per account)
        to the one account ``dst[dst_idx]``: the same as :meth:`pay` with ``src_idx`` all of
        the sector's accounts, without indexing them. Returns the total moved."""
        self.balances[src] -= amount
        total = float(amount.sum())
        self.balances[dst][dst_idx] += total
        self.turnover += float(np.abs(amount).sum())
        return total

    def total(self) -> float:
        """Sum of all balances (RMB); zero up to rounding when nothing leaks."""
        return float(sum(b.sum() for b in self.balances.values()))

    def residual(self) -> float:
        """Absolute money created or destroyed so far (RMB)."""
        return abs(self.total())
