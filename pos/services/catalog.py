"""Catalog import and export (the ``pos products`` commands)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pos.auth.service import AuditSink, anchor_audit
from pos.db.repositories import ProductRepository
from pos.domain.barcodes import DEFAULT_PATTERNS, BarcodePattern
from pos.domain.catalog_csv import (
    CatalogFile,
    NotUtf8Error,
    RowError,
    decode,
    read_catalog,
    write_catalog,
)


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    total: int = 0
    new: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        products = "product" if self.total == 1 else "products"
        return f"{verb} {self.total:,} {products}: {self.new:,} new, {self.updated:,} updated"


PRICE_CHANGES_PER_ENTRY = 100
"""Price changes listed in one ``price_changed`` audit entry (barcode, old, new)."""


class CatalogService:
    """Bulk catalog work on top of :class:`ProductRepository`.

    With ``audit``, an import is an administrative change in the audit log, in the
    import's own transaction: one ``products_imported`` entry (file, counts) and every
    price it changed (``price_changed`` entries, each listing up to
    :data:`PRICE_CHANGES_PER_ENTRY` as ``[barcode, old, new]`` in cents), by ``actor``.
    """

    def __init__(
        self,
        products: ProductRepository,
        patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
        audit: AuditSink | None = None,
        actor: str | None = None,
    ) -> None:
        self._products = products
        self._patterns = patterns
        self._audit = audit
        self._actor = actor

    def import_csv(
        self,
        path: Path,
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Validate the whole file, then import all of it in one transaction, or nothing.

        Raises:
            StorageError: the write failed (nothing was imported).
            OSError: the file cannot be read.
        """
        report = ImportReport(dry_run=dry_run)
        try:
            text = decode(path.read_bytes())
        except NotUtf8Error as exc:
            report.errors.append(exc.error)
            return report
        parsed = read_catalog(text, self._patterns, progress)
        if not parsed.ok:
            report.errors = parsed.errors
            return report
        clashes = self._plu_clashes(parsed)
        if clashes:
            report.errors = clashes
            return report
        report.total = parsed.count
        if dry_run:
            report.updated = len(self._products.existing(parsed.barcodes()))
            if progress is not None:
                progress(report.total)
        else:
            also = None
            if self._audit is not None:
                audit, actor = self._audit, self._actor

                def also(changes: list[tuple[str, int, int]]) -> None:
                    audit.append(
                        "products_imported",
                        actor,
                        {"file": path.name, "rows": parsed.count, "price_changes": len(changes)},
                    )
                    each = PRICE_CHANGES_PER_ENTRY
                    batches = [changes[i : i + each] for i in range(0, len(changes), each)]
                    details = [{"changes": [list(c) for c in batch]} for batch in batches]
                    append_many = getattr(audit, "append_many", None)
                    if append_many is not None:  # the database's log: one executemany
                        append_many("price_changed", actor, details)
                    else:
                        for one in details:
                            audit.append("price_changed", actor, one)

            report.updated = self._products.import_rows(
                parsed.rows(),
                parsed.count,
                progress,
                also=also,
                plus=parsed.plus,
                keep=parsed.left_out,  # a price file keeps the ages and VAT rates there
            )
            if self._audit is not None:
                anchor_audit(self._audit)  # committed: the anchor names its entries
        report.new = report.total - report.updated
        return report

    def _plu_clashes(self, parsed: CatalogFile) -> list[RowError]:
        """The file's PLUs that another product of the catalog has, one the file does not
        give a row of its own (that product would keep its PLU and the import would take
        it): a line-numbered error each. A product of the file that had the PLU before
        hands it over (the import takes the file's PLUs off their old owners first)."""
        if not parsed.plus:
            return []
        owners = self._products.plu_owners(parsed.plus)
        moved = {plu: owner for plu, owner in owners.items() if owner != parsed.plus[plu][1]}
        if not moved:
            return []
        in_file = self._products_in(parsed, set(moved.values()))
        errors = []
        for plu, owner in sorted(moved.items(), key=lambda item: parsed.plus[item[0]][0]):
            if owner not in in_file:
                errors.append(
                    RowError(
                        parsed.plus[plu][0],
                        f"plu {plu} belongs to product {owner} in the catalog; give that "
                        "product another PLU (a row of its own in this file) or this one none",
                    )
                )
        return errors

    @staticmethod
    def _products_in(parsed: CatalogFile, barcodes: set[str]) -> set[str]:
        """Those of ``barcodes`` that the file has a row for."""
        return barcodes.intersection(parsed.barcodes())

    def export_csv(self, out: TextIO) -> int:
        """Write the whole catalog in the import format; returns the row count."""
        return write_catalog(self._products.iter_all(), out)
