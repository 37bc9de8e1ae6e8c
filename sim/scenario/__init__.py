"""Scenario layer: the validated description of a company and its plans.

Schema (pydantic), presets looked up by name, YAML loading with ``extends:``,
dotted overrides (``--set``), and one-line error messages. Imports nothing
else from the package.
"""
