"""Web entry point: FastAPI app with server-rendered pages (Jinja2 + htmx) and a JSON API."""
