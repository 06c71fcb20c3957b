"""Text → place: normalise what residents type and find it in the unified address library.

`PlaceMatcher(records).match(text, entity)` returns a `PlaceDecision`: matched, confirm (top 3
to offer as buttons), outside the district, or ask for a location.
"""
from bot.places.matcher import AddressRecord, Candidate, PlaceDecision, PlaceMatcher
from bot.places.normalize import normalize, strip_position

__all__ = ["AddressRecord", "Candidate", "PlaceDecision", "PlaceMatcher", "normalize",
           "strip_position"]
