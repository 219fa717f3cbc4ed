"""Structured logging, Prometheus metrics, audit event shapes and the status file."""
