"""Reference data: the five seed cities and their county-level and town-level units.

The data ships as ``data/districts.csv`` (see ``data/SOURCES.md`` for where each row comes
from). Codes are the official administrative division codes where one exists; functional areas
(功能区) without an official code carry a project code documented in SOURCES.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from cbec.kernel.errors import FieldError

__all__ = ["City", "District", "DistrictBook", "load_districts"]


@dataclass(frozen=True)
class District:
    code: str
    name: str
    kind: str  # 区 / 县 / 县级市 / 街道 / 镇 / 功能区
    city_code: str


@dataclass(frozen=True)
class City:
    code: str
    name: str
    districts: tuple[District, ...]


class DistrictBook:
    """Look-ups over the reference data; built once per process."""

    def __init__(self, cities: list[City]) -> None:
        self.cities = tuple(cities)
        self._city = {c.code: c for c in cities}
        self._district = {d.code: d for c in cities for d in c.districts}
        self._by_name = {(c.code, d.name): d for c in cities for d in c.districts}

    def city(self, code: str) -> City | None:
        return self._city.get(code)

    def district(self, code: str) -> District | None:
        return self._district.get(code)

    def district_by_name(self, city_code: str, name: str) -> District | None:
        return self._by_name.get((city_code, name))

    def city_by_name(self, name: str) -> City | None:
        return next((c for c in self.cities if c.name == name), None)

    def problems(self, city_code: str, district_code: str) -> list[FieldError]:
        city = self.city(city_code)
        if city is None:
            return [
                FieldError(
                    "city_code",
                    "city.unknown",
                    f"unknown city code {city_code!r}",
                    "choose one of: " + ", ".join(f"{c.code} {c.name}" for c in self.cities),
                )
            ]
        district = self.district(district_code)
        if district is None or district.city_code != city_code:
            return [
                FieldError(
                    "district_code",
                    "district.unknown",
                    f"unknown district {district_code!r} for {city.name}",
                    "choose a district of the selected city from the list",
                )
            ]
        return []


@cache
def load_districts() -> DistrictBook:
    text = resources.files("cbec.registry").joinpath("data/districts.csv").read_text(encoding="utf-8")
    cities: dict[str, tuple[str, list[District]]] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = cities.setdefault(row["city_code"], (row["city_name"], []))
        entry[1].append(District(row["code"], row["name"], row["kind"], row["city_code"]))
    return DistrictBook([City(code, name, tuple(ds)) for code, (name, ds) in cities.items()])
