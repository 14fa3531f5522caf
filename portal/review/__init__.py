"""Reviewing a call's applications: blind, scored against a rubric, with
conflicts of interest handed on, and the rule for who enters the lottery's pool."""
