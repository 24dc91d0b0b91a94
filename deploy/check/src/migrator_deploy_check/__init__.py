"""Validation of the deployment artefacts that runs in ``make test`` without Docker or a cluster."""
