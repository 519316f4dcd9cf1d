"""Our own map of the province's cities and counties, for the dashboards' map charts.

Superset's built-in country maps stop at the provinces of China, and real county boundaries are
not among the artefacts we may fetch (code lists come from npm, boundaries from no registry). So
the map is a schematic tile map (方格示意图), generated from the division codes: each city is a
block of tiles in a grid, each county one tile in its city's block, in code order. Every county
is visible and equally clickable, which is what a choropleth by county needs; areas and positions
are not geographic, and the chart says so.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict

ORIGIN = (118.0, 27.0)   # lon, lat of the lower-left corner (near the sample province)
TILE = 0.22              # degrees per tile side
GAP = 0.12               # degrees between city blocks


def layout(counties: list[tuple[str, str, str, str]]) -> list[dict]:
    """counties: (county_code, county_name, city_code, city_name) -> one feature per county:
    {county_code, county_name, city_code, city_name, polygon: [[lon, lat], ...] closed, center}."""
    cities: OrderedDict[str, list] = OrderedDict()
    for c in sorted(counties):
        cities.setdefault(c[2], []).append(c)
    per_row = max(1, math.ceil(math.sqrt(len(cities))))
    side = max(1, max(math.ceil(math.sqrt(len(v))) for v in cities.values())) if cities else 1
    block = side * TILE + GAP
    out = []
    for i, members in enumerate(cities.values()):
        bx, by = ORIGIN[0] + (i % per_row) * block, ORIGIN[1] + (per_row - 1 - i // per_row) * block
        cols = max(1, math.ceil(math.sqrt(len(members))))
        for j, (code, name, city_code, city_name) in enumerate(members):
            x0, y1 = bx + (j % cols) * TILE, by + side * TILE - (j // cols) * TILE
            x1, y0 = x0 + TILE * 0.94, y1 - TILE * 0.94
            ring = [[round(x0, 4), round(y0, 4)], [round(x1, 4), round(y0, 4)], [round(x1, 4), round(y1, 4)],
                    [round(x0, 4), round(y1, 4)], [round(x0, 4), round(y0, 4)]]
            out.append({"county_code": code, "county_name": name, "city_code": city_code, "city_name": city_name,
                        "polygon": ring, "center": [round((x0 + x1) / 2, 4), round((y0 + y1) / 2, 4)]})
    return out


def feature_collection(features: list[dict]) -> dict:
    """The layout as GeoJSON (for docs and other tools)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [f["polygon"]]},
         "properties": {k: f[k] for k in ("county_code", "county_name", "city_code", "city_name")}}
        for f in features]}


def rows(features: list[dict]) -> list[tuple]:
    """(county_code, county_name, city_code, city_name, polygon JSON, GeoJSON feature JSON)."""
    fc = feature_collection(features)["features"]
    return [(f["county_code"], f["county_name"], f["city_code"], f["city_name"],
             json.dumps(f["polygon"]), json.dumps(g, ensure_ascii=False)) for f, g in zip(features, fc)]
