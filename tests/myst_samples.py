"""Shared text for tests that build MyST Markdown chapters in a temporary book."""

#: The jupytext header of a MyST Markdown notebook page, as the chapters in notebooks/ carry it.
MYST_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""
