"""Repositories: query and add rows inside a unit of work; they never commit."""
