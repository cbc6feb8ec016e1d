"""The partner portal: pages and a JSON API served by ``onboard serve`` (FastAPI + Jinja2)."""
