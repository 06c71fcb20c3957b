"""The command centre: one ASGI application (Starlette, Jinja2 templates), server-rendered pages."""
