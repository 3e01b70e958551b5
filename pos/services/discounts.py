"""Discount rules in and out of the database (the ``pos discounts`` commands)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pos.auth.service import AuditSink, anchor_audit
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.domain.discounts import Rule as Rule
from pos.domain.rule_format import RuleError, RuleErrors, parse_rules, rule_to_json

MAX_FILE_BYTES = 10_000_000


@dataclass(slots=True)
class RulesReport:
    """What an import did, or every problem that stopped it (one per bad rule)."""

    total: int = 0
    new: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        rules = "rule" if self.total == 1 else "rules"
        return f"imported {self.total} {rules}: {self.new} new, {self.updated} updated"


class DiscountService:
    """Validate, store and export discount rules."""

    def __init__(
        self,
        rules: DiscountRepository,
        products: ProductRepository,
        audit: AuditSink | None = None,
        actor: str | None = None,
    ) -> None:
        self._rules = rules
        self._products = products
        self._audit = audit
        self._actor = actor

    def import_json(self, path: Path) -> RulesReport:
        """Validate every rule in the file, then import all of them or none.

        Raises:
            StorageError: the write failed (nothing was imported).
            OSError: the file cannot be read.
        """
        report = RulesReport()
        if path.stat().st_size > MAX_FILE_BYTES:
            report.errors.append(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes")
            return report
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            report.errors.append(f"{path.name} is not UTF-8 text")
            return report
        except (json.JSONDecodeError, RecursionError) as exc:
            report.errors.append(f"{path.name} is not valid JSON: {exc}")
            return report
        try:
            rules = parse_rules(data, self._products.get)
        except RuleErrors as exc:
            report.errors.extend(str(error) for error in exc.errors)  # every bad rule
            return report
        except RuleError as exc:
            report.errors.append(str(exc))
            return report
        existing = {name.lower() for name in self._rules.names()}
        report.total = len(rules)
        report.updated = sum(rule.name.lower() in existing for rule in rules)
        report.new = report.total - report.updated
        before = {r.name.lower(): rule_to_json(r) for r in self._rules.all()}
        with self._rules.transaction():
            self._rules.upsert_many(rules)
            if self._audit is not None:
                for rule in rules:
                    self._audit.append(
                        "discount_rule_saved",
                        self._actor,
                        {
                            "name": rule.name,
                            "before": before.get(rule.name.lower()),
                            "after": rule_to_json(rule),
                            "source": path.name,
                        },
                    )
        if self._audit is not None:
            anchor_audit(self._audit)  # committed: the anchor names its entries
        return report

    def export_json(self, out: TextIO) -> int:
        """Write every rule in the import format; returns how many."""
        rules = self._rules.all()
        json.dump(
            {"discounts": [rule_to_json(r) for r in rules]}, out, indent=2, ensure_ascii=False
        )
        out.write("\n")
        return len(rules)

    def all(self) -> list[Rule]:
        return self._rules.all()
