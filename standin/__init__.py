"""A local stand-in for the Telegram Bot API, for tests, the simulator and benchmarks.

See :class:`StandIn`. Modules: ``params`` (reading and checking requests), ``state``
(users, chats, messages, files, updates), ``api`` (the Bot API methods), ``traffic``
(injected faults, delays, flood limits) and ``server`` (the aiohttp app and the
simulation API).
"""

from standin.params import ApiError
from standin.server import Injected, StandIn

__all__ = ["ApiError", "Injected", "StandIn"]
