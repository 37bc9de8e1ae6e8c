"""Model layer: what happens to a lead, day by day.

Pure mechanisms (adstock, saturation, response decay, odds, discount),
random variates drawn by inverse transform, random streams, the spend plan,
lead arrivals, the policy in force, reps, per-lead records and the SimPy
funnel that ties them together. Imports only the scenario layer.
"""
