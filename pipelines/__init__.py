"""Dagster code location of News Warehouse: assets, checks, resources, jobs, schedules, sensors."""
