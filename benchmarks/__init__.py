"""Benchmark of check-postgresql-log-disconnections: ``python -m benchmarks``.

``testing.corpus`` writes a deterministic, realistic Terraform monorepo and
knows which ``value`` lines the hook must report; ``python -m benchmarks``
times the hook against a naive python-hcl2 baseline, a read-and-regex floor,
``python -c pass`` and (when installed) checkov, and fails when the hook's
findings differ from the corpus's known ones.
"""
