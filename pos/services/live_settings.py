"""The till's settings as they are now: one source, taken up between sales.

A setting can change while the till runs: the sync worker pulls the store's settings into
the till's file, or ``pos settings set --db FILE`` is run beside a till of its own. The
services read :attr:`LiveSettings.current` when they use a setting (a receipt, a scan's
barcode patterns, the quantity question) instead of a copy taken at start, and the app
asks :meth:`LiveSettings.take_up` once a second, between sales only (see
:meth:`pos.services.container.Services.take_up_settings`): a customer's sale is scanned,
priced, paid and printed under one set of settings.

Asking is cheap: the file's ``PRAGMA data_version`` (:meth:`SettingsRepository.stamp`),
and the settings are read again only when it changed. Nothing on the scan path asks.

Some settings never change under a running till (:data:`AT_NEXT_START`); their values stay
the ones it started with whatever the file says.
"""

from __future__ import annotations

import logging
from dataclasses import fields, replace
from typing import TYPE_CHECKING

from pos.db.errors import StorageError
from pos.services.store import StoreSettings

if TYPE_CHECKING:
    from pos.db.repositories import SettingsRepository

log = logging.getLogger(__name__)

AT_NEXT_START = ("till_name", "demo", "kiosk")
"""What a running till keeps as it started with:

* ``till_name``: the till's lock, its open cart, its trading day, its receipt numbers and
  its tokens' issuer all go by it (a till renamed under its own feet would sell under a
  name whose lock it does not hold);
* ``demo``: written only when a database is made (:data:`pos.services.store.DEMO_MARK`);
* ``kiosk``: it takes away the Quit key and command; a kiosk till is run by a service that
  restarts it (docs/admin.md), so the change comes with the restart that makes it matter.
"""


class LiveSettings:
    """The settings the services use now.

    Attributes:
        current: The settings in use (replaced whole by :meth:`take_up`, never changed in
            place: a caller that took it keeps a consistent set).
    """

    def __init__(
        self,
        current: StoreSettings,
        source: SettingsRepository | None = None,
        stamp: tuple[int, ...] | None = None,
    ) -> None:
        """``stamp``: the source's stamp taken before ``current`` was read from it (a change
        committed in between is then read again at the first look); taken now if not given."""
        self.current = current
        self._source = source
        self._stamp = stamp
        if source is not None and stamp is None:
            try:
                self._stamp = source.stamp()
            except StorageError:
                self._stamp = None  # looked at again at the first check

    def take_up(self) -> frozenset[str]:
        """Read the settings again if they may have changed since the last look, and use
        them from now on. Returns the names of the :class:`StoreSettings` fields that
        changed (empty: none did, or they cannot be read now and the ones in use stay)."""
        if self._source is None:
            return frozenset()
        try:
            stamp = self._source.stamp()
            if stamp == self._stamp:
                return frozenset()
            read = StoreSettings.load(self._source)
        except StorageError:
            return frozenset()  # the next look tries again
        except (ValueError, KeyError, TypeError):  # a value written by hand, past the checks
            log.warning("a setting in the database cannot be used; the till keeps its own")
            self._stamp = stamp
            return frozenset()
        self._stamp = stamp
        kept = {name: getattr(self.current, name) for name in AT_NEXT_START}
        new = replace(read, **kept)
        old = self.current
        changed = frozenset(
            f.name for f in fields(StoreSettings) if getattr(new, f.name) != getattr(old, f.name)
        )
        if changed:
            log.info("settings changed while the till runs: %s", ", ".join(sorted(changed)))
            self.current = new
        return changed
