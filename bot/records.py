"""The records the domain hands to channels for rendering (cases, their events, people, drafts).

Channels read their attributes and never query them; importing them from here keeps the
channels off `storage/`.
"""
from storage.models import Case, CaseEvent, Department, Draft, Person

__all__ = ["Case", "CaseEvent", "Department", "Draft", "Person"]
