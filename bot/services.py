"""The long-lived pieces the bot is built from, assembled once and shared by every update."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Config
from bot.district.geo import GridIndex
from bot.places.matcher import PlaceMatcher
from bot.understanding import NluClient
from storage.db import Database
from storage.photos import PhotoStore


@dataclass
class Services:
    config: Config
    clock: Clock
    db: Database
    nlu: NluClient
    grids: GridIndex
    places: PlaceMatcher
    photos: PhotoStore
    outbox: "object | None" = field(default=None)  # the OutboxWorker, set once the transport exists

    def locate(self, lat: float, lon: float) -> str | None:
        return self.grids.locate(lat, lon)
