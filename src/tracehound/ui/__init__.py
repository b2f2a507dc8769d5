"""The web UI: Jinja templates, static CSS/JS and the pure functions that shape page data.

Every page is built by one context function returning plain data (``context.py``); the same dict is
rendered by a template or answered as the page's JSON twin. Charts are SVG or positioned boxes whose
geometry comes from ``charts.py``. No build step, no framework.
"""
