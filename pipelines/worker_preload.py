"""Imported once by the workers' fork server (`pipelines.parallel`): warm it with the models.

A module of its own only because a fork server's preload is a list of modules to import."""

from pipelines.parallel import preload

preload()
