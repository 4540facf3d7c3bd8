"""The search: a recursive solver and its levers.

``types`` (the settings, a problem, a candidate) sits below everything; ``levers/`` holds
one module per lever, all with one calling convention; ``solver`` runs them, recursively;
``networks``, ``decompose``, ``units`` and ``finalize`` are what levers use; ``pareto`` is
the front the pipeline chooses from.
"""
