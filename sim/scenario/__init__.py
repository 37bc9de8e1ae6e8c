"""Scenario layer: the validated description of a company and its plans.

- ``fields``: the frozen section base and the documented field.
- ``plans``: the preset-backed sections, resolved (every field) and as overrides.
- ``presets``: incentive plans and alignment stages as data, looked up by name.
- ``schema``: :class:`Scenario` (what people write) and :class:`ResolvedScenario`
  (what the engine accepts), with the timeline's periods.
- ``overrides``: dotted overrides (``--set``, ``--vary``, timelines) and the keys
  that may not change.
- ``loading``: YAML files with ``extends:``; ``dump``: writing a scenario back.
- ``library``: the shipped ``scenarios/`` files (package data).
- ``errors``: one-line messages.

Imports nothing else from the package.
"""
