"""The offline gazetteer: every label names one place, and spelling variants are found."""
from __future__ import annotations

import pytest

from app.services import gazetteer


@pytest.mark.parametrize("label", ["Schleiden (Nordrhein-Westfalen)", "Wickede (Nordrhein-Westfalen)",
                                   "Laer (Nordrhein-Westfalen)", "Südlohn (Nordrhein-Westfalen)"])
def test_a_label_names_exactly_one_place(label):
    found = gazetteer.find(label)
    assert len(found) == 1 and found[0].label == label


def test_every_label_in_the_index_is_unambiguous():
    labels = [place.label for group in gazetteer._index().values() for place in group]
    assert len(labels) == len(set(labels)) > 10_000


def test_the_larger_namesake_answers_to_the_label():
    schleiden = gazetteer.find("Schleiden (Nordrhein-Westfalen)")[0]
    namesakes = [p for p in gazetteer.places() if p.name == "Schleiden" and p.state_code == "NW"]
    assert len(namesakes) > 1 and schleiden.population == max(p.population for p in namesakes)


def test_spelling_variants_and_distance():
    assert [p.name for p in gazetteer.find("suedlohn")] == ["Südlohn"]
    borken, velen = gazetteer.find("Borken (Nordrhein-Westfalen)")[0], gazetteer.find("Velen")[0]
    assert 5 < gazetteer.distance_km(borken.latitude, borken.longitude, velen.latitude, velen.longitude) < 20
