"""The rush benchmark (``python bench/rush.py``) and its bench-only Django app.

The app adds two ceiling views next to the real site, under ``bench.settings`` only: production
code and ``ctpat.settings`` never see it.
"""
