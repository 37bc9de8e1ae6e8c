"""Model layer: what happens to a lead, day by day.

Pure mechanisms (adstock, saturation, response decay, odds, discount),
random variates drawn by inverse transform, random streams, each lead's row
of luck, the spend plan, lead arrivals, the policy in force, reps, per-lead
records and the SimPy funnel that ties them together; queueing theory for the
neutral model. Imports only the scenario layer, and neither pandas nor
scipy.stats.
"""
