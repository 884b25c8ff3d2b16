"""The seeds' quantitative targets, seen from the policy catalog.

Targets are kept once, in ``cbec/stats/data/targets.toml``, where statistics monitoring measures
them; here each is tied to the measure (措施) that sets it: same document (the policy document's
``targets_key``) and the same clause string. A target no measure claims is a catalog problem,
so the two files cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cbec.kernel.errors import FieldError
from cbec.policy.catalog import Catalog
from cbec.policy.model import Measure
from cbec.stats.targets import Target, TargetCatalog


@dataclass(frozen=True)
class LinkedTarget:
    target: Target
    measure: Measure

    def as_dict(self) -> dict[str, object]:
        return {
            **self.target.as_dict(),
            "policy_document": self.measure.document.id,
            "measure": self.measure.id,
            "measure_title": self.measure.title,
            "lead": list(self.measure.lead),
            "responsible": list(self.measure.responsible),
        }


def _measures_by_clause(catalog: Catalog) -> dict[tuple[str, str], Measure]:
    return {(m.document.targets_key, m.clause): m for m in catalog.measures.values() if m.document.targets_key}


def link_targets(catalog: Catalog, targets: TargetCatalog) -> tuple[list[LinkedTarget], list[FieldError]]:
    """Every target with its measure, and one problem per target no measure claims."""
    by_clause = _measures_by_clause(catalog)
    linked: list[LinkedTarget] = []
    problems: list[FieldError] = []
    for target in targets.targets:
        measure = by_clause.get((target.document.key, target.clause))
        if measure is None:
            problems.append(
                FieldError(
                    f"targets.toml:{target.id}",
                    "catalog.target_unclaimed",
                    f"no policy measure has clause {target.clause!r} in document {target.document.key!r}",
                    "add the measure to the document's TOML with exactly this clause, or fix the target's clause",
                )
            )
        else:
            linked.append(LinkedTarget(target, measure))
    return linked, problems


def targets_of(catalog: Catalog, targets: TargetCatalog, city: str | None = None) -> list[LinkedTarget]:
    """The linked targets of one city, named by its code (330100) or its name (Hangzhou); all when None."""
    linked, _ = link_targets(catalog, targets)
    if city is None:
        return linked
    wanted = city.strip().lower()
    return [t for t in linked if wanted in (t.target.city_code.lower(), t.measure.document.city.lower())]


def targets_by_measure(catalog: Catalog, targets: TargetCatalog) -> dict[str, list[Target]]:
    out: dict[str, list[Target]] = {}
    for item in link_targets(catalog, targets)[0]:
        out.setdefault(item.measure.id, []).append(item.target)
    return out
