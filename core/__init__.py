"""The ground floor (DESIGN §2): the plan contract, settings, input limits and the user-error base.

Every layer may import ``core``; ``core`` imports none of them (checked by import-linter).
"""
